// The PreTokenGeneration trigger of one pool: the `pre-token` handler from the
// shared bundle (same hash in both regions), with this region's own role, log
// group and errors alarm, and the permission for exactly this pool to invoke it.
// Both stacks build it the same way; only the role name differs by role, because
// IAM role names are global to the account, and whether the pool's canonical id
// attribute is trusted (only the DR pool's is set by this project).
import type { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import { CANONICAL_ID_ATTRIBUTE, ENV } from "../handlers/contract";
import { BundledFunction } from "./bundled-function";
import { allowCognitoInvoke } from "./invoke-permission";

export interface PreTokenTriggerProps {
  functionName: string;
  /** Per region: IAM role names are global to the account. */
  roleName: string;
  logRetentionDays: number;
  errorsThreshold: number;
  alarmActions: string[];
  permissionsBoundary: string;
  /** Whether this pool's `custom:canonical_id` names the canonical id: the DR pool's yes (the replicator sets it), the primary's no. */
  trustCanonicalIdAttribute: boolean;
}

export class PreTokenTrigger extends Construct {
  readonly function: BundledFunction;

  constructor(scope: Construct, id: string, props: PreTokenTriggerProps) {
    super(scope, id);
    this.function = new BundledFunction(this, "fn", {
      handler: "pre-token",
      functionName: props.functionName,
      roleName: props.roleName,
      // Cognito waits 5 s; the handler reads the event only and needs milliseconds.
      timeoutSeconds: 5,
      environment: { [ENV.CANONICAL_ID_ATTRIBUTE]: CANONICAL_ID_ATTRIBUTE, [ENV.TRUST_CANONICAL_ID_ATTRIBUTE]: String(props.trustCanonicalIdAttribute) },
      // It calls nothing: the role only writes its own logs.
      statements: [],
      logRetentionDays: props.logRetentionDays,
      errorsThreshold: props.errorsThreshold,
      alarmActions: props.alarmActions,
      permissionsBoundary: props.permissionsBoundary,
    });
  }

  get arn(): string {
    return this.function.fn.arn;
  }

  /** Lets Cognito invoke the trigger on behalf of exactly this pool. */
  allowInvokeFrom(poolArn: string): LambdaPermission {
    return allowCognitoInvoke(this, "cognito-invokes", { functionName: this.function.fn.functionName, poolArn, statementId: "AllowCognitoPreTokenGeneration" });
  }
}
