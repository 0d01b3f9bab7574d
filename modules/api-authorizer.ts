// An API Gateway REST API authorizer that accepts ID or access tokens from both
// user pools (primary and DR), so an API deployed in either region keeps
// authorizing users after a failover: COGNITO_USER_POOLS with every pool's ARN in
// `provider_arns` (API Gateway allows up to 1,000 pools per authorizer).
//
// The pools live in two stacks and two regions; `poolArnsByName` finds a pool's
// ARN with a data source in its own region (pass that region's provider), so no
// cross-stack reference is needed. The authorizer accepts a token from either
// pool but knows nothing of the canonical id: integrations behind it key data by
// the `canonical_id` claim (the pre-token trigger adds it in both pools), or use
// the verifier library (handlers/tokens/verify-token.ts) in a Lambda authorizer
// for client-id and token-use checks as well.
import { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import { DataAwsCognitoUserPools } from "@cdktf/provider-aws/lib/data-aws-cognito-user-pools";
import type { TerraformProvider } from "cdktf";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface MultiPoolAuthorizerProps {
  restApiId: string;
  name: string;
  /** ARNs of every pool whose tokens are accepted (both regions). Lists from `poolArnsByName` may be passed as is. */
  userPoolArns: Array<string | string[]>;
  /** Where the token is read (default: the Authorization header). */
  identitySource?: string;
  /** Seconds API Gateway caches a decision per token (default 300; 0 disables). */
  resultTtlSeconds?: number;
}

export class MultiPoolAuthorizer extends Construct {
  readonly authorizer: ApiGatewayAuthorizer;

  constructor(scope: Construct, id: string, props: MultiPoolAuthorizerProps) {
    super(scope, id);
    if (props.userPoolArns.length < 2) {
      throw new Error(`MultiPoolAuthorizer ${props.name}: give the ARNs of both pools (primary and DR), got ${props.userPoolArns.length}`);
    }
    const plain = props.userPoolArns.every((a) => typeof a === "string");
    const lists = props.userPoolArns.map((a) => (Array.isArray(a) ? a : [a]));
    this.authorizer = new ApiGatewayAuthorizer(this, "authorizer", {
      restApiId: props.restApiId,
      name: props.name,
      type: "COGNITO_USER_POOLS",
      // Data-source lists are tokens until plan time: concat them there.
      providerArns: plain ? (props.userPoolArns as string[]) : (Fn.concat(lists) as string[]),
      identitySource: props.identitySource ?? "method.request.header.Authorization",
      authorizerResultTtlInSeconds: props.resultTtlSeconds ?? 300,
    });
  }

  get id(): string {
    return this.authorizer.id;
  }
}

/** The ARN(s) of the pool named `name` in `provider`'s region (one, when names are unique as ours are). */
export function poolArnsByName(scope: Construct, id: string, name: string, provider?: TerraformProvider): string[] {
  return new DataAwsCognitoUserPools(scope, id, { name, provider }).arns;
}
