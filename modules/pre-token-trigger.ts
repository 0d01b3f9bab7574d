// The PreTokenGeneration trigger of one pool: the `pre-token` handler from the
// shared bundle (same hash in both regions), with this region's own role, log
// group and errors alarm, and the permission for exactly this pool to invoke it.
// Both stacks build it the same way; only the role name differs by role, because
// IAM role names are global to the account.
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import { ENV } from "../handlers/contract";
import { CANONICAL_ID_ATTRIBUTE, type Environment } from "../stacks/environments";
import { names, type Role } from "../stacks/names";
import { BundledFunction } from "./bundled-function";

export interface PreTokenTriggerProps {
  env: Environment;
  role: Role;
  alarmActions: string[];
  permissionsBoundary: string;
}

export class PreTokenTrigger extends Construct {
  readonly function: BundledFunction;

  constructor(scope: Construct, id: string, props: PreTokenTriggerProps) {
    super(scope, id);
    const n = names(props.env);
    this.function = new BundledFunction(this, "fn", {
      handler: "pre-token",
      functionName: n.fn("pre-token"),
      roleName: n.role(`pre-token-${props.role}`),
      // Cognito waits 5 s; the handler reads the event only and needs milliseconds.
      timeoutSeconds: 5,
      environment: { [ENV.CANONICAL_ID_ATTRIBUTE]: CANONICAL_ID_ATTRIBUTE },
      // It calls nothing: the role only writes its own logs.
      statements: [],
      logRetentionDays: props.env.logRetentionDays,
      errorsThreshold: props.env.alarms.lambdaErrors,
      alarmActions: props.alarmActions,
      permissionsBoundary: props.permissionsBoundary,
    });
  }

  get arn(): string {
    return this.function.fn.arn;
  }

  /** Lets Cognito invoke the trigger on behalf of exactly this pool. */
  allowInvokeFrom(poolArn: string): LambdaPermission {
    return new LambdaPermission(this, "cognito-invokes", {
      statementId: "AllowCognitoPreTokenGeneration",
      action: "lambda:InvokeFunction",
      functionName: this.function.fn.functionName,
      principal: "cognito-idp.amazonaws.com",
      sourceArn: poolArn,
    });
  }
}
