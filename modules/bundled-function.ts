// One Lambda function built from a handler bundle, with its own role (only the
// statements the caller names, plus writing to its own log group), a log group
// with retention, and an errors alarm.
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { HANDLER_ENTRIES, type HandlerName } from "../handlers/contract";
import { METRICS_NAMESPACE } from "./alarms";
import { bundleHandler } from "./bundle";
import { allow, assumeRolePolicy, policyDocument, type Statement } from "./iam";

/**
 * The runtime of every function the stacks deploy (the static rules check it against AWS's schedule).
 * nodejs22.x, not nodejs24.x: the pinned provider (hashicorp/aws 5.100.0, the one in this project's
 * offline mirror and what @cdktf/provider-aws 20.1.0 wraps) refuses nodejs24.x at validate
 * ("expected runtime to be one of [... nodejs22.x], got nodejs24.x"); the provider accepts it from
 * 6.19.0 (hashicorp/terraform-provider-aws#44986). nodejs22.x is supported until 2027-04-30: the
 * runtime rule warns now and fails from that day, so the provider upgrade cannot be forgotten.
 */
export const LAMBDA_RUNTIME = "nodejs22.x";

export interface BundledFunctionProps {
  handler: HandlerName;
  functionName: string;
  roleName: string;
  environment: Record<string, string>;
  /** What the function calls, on exactly which resources. */
  statements: Statement[];
  logRetentionDays: number;
  /**
   * Lambda errors in 5 minutes that raise the errors alarm; null for a function that answers by
   * throwing (the pre-sign-up trigger refuses sign-ups that way), which alarms on its own metric.
   */
  errorsThreshold: number | null;
  /** What the errors alarm notifies (the stack's alarm topic and any existing on-call topic). */
  alarmActions: string[];
  timeoutSeconds?: number;
  memoryMb?: number;
  /** The /tmp directory's size (Lambda's default 512 MB when unset). */
  ephemeralStorageMb?: number;
  /** ARN of the permissions boundary the role carries (the most any workload of the environment may do). */
  permissionsBoundary: string;
}

export class BundledFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: IamRole;
  /** The role's permissions: what an event source mapping of this function must wait for (Lambda checks them when it is created). */
  readonly policy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const bundle = bundleHandler(props.handler, HANDLER_ENTRIES[props.handler]);
    const asset = new TerraformAsset(this, "code", { path: bundle.zipPath, type: AssetType.FILE });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
      permissionsBoundary: props.permissionsBoundary,
    });
    this.policy = new IamRolePolicy(this, "policy", {
      name: `${props.functionName}-least-privilege`,
      role: this.role.name,
      policy: policyDocument([
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [`${this.logGroup.arn}:*`], "OwnLogs"),
        ...props.statements,
      ]),
    });
    this.fn = new LambdaFunction(this, "fn", {
      functionName: props.functionName,
      role: this.role.arn,
      filename: asset.path,
      sourceCodeHash: bundle.sha256,
      handler: "index.handler",
      // Lambda runtimes page (lambda-runtimes.html, read 2026-11-30): nodejs20.x deprecated
      // 2026-04-30, nodejs22.x deprecated 2027-04-30, nodejs24.x supported to 2028-04-30.
      // Every handler is async, as Node.js 24 will require.
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      timeout: props.timeoutSeconds ?? 30,
      memorySize: props.memoryMb ?? 256,
      ...(props.ephemeralStorageMb === undefined ? {} : { ephemeralStorage: { size: props.ephemeralStorageMb } }),
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          POWERTOOLS_SERVICE_NAME: props.handler,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          ...props.environment,
        },
      },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      dependsOn: [this.logGroup],
    });
    if (props.errorsThreshold === null) return;
    new CloudwatchMetricAlarm(this, "errors", {
      alarmName: `${props.functionName}-errors`,
      alarmDescription: `${props.functionName} raised errors: see its log group ${this.logGroup.name}`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: this.fn.functionName },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: props.errorsThreshold,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: props.alarmActions,
      okActions: props.alarmActions,
    });
  }
}
