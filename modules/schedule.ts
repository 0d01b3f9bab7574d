// An EventBridge Scheduler schedule that invokes one Lambda function, with its own role allowed to
// invoke exactly that function.
//
// Retries happen in two places, and both are set here on purpose. Scheduler invokes Lambda
// asynchronously (Lambda developer guide, with-eventbridge-scheduler.html: "EventBridge Scheduler
// invokes your Lambda function asynchronously"), so a failed run is retried by Scheduler's own
// RetryPolicy (Scheduler API, RetryPolicy: 0-185 attempts, 60-86400 s) *and* by Lambda's
// asynchronous retries ("By default, Lambda retries an asynchronous invocation twice",
// AWS::Lambda::EventInvokeConfig). A scheduled run that fails (reconcile finding drift) should
// raise the function's errors alarm once, not run three times: both are 0.
//
// The role trusts Scheduler only for schedules of this account: `aws:SourceAccount`, as the
// Scheduler User Guide's execution role example and its "Confused deputy prevention" page advise
// (without it, Scheduler acting for another account that knows the role's ARN could use it).
// `aws:SourceArn` would be the schedule group (never one schedule, the same page says); this
// schedule sits in the account's default group with every other, so the account is the real bound.
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { Construct } from "constructs";
import { allow, assumeRolePolicy, policyDocument } from "./iam";

export interface ScheduledInvokeProps {
  name: string;
  /** `rate(1 day)`, `cron(...)`. */
  scheduleExpression: string;
  functionArn: string;
  functionName: string;
  /** The deploying account's id (a plan-time token: modules/account.ts), the trust's aws:SourceAccount. */
  accountId: string;
  /** ARN of the permissions boundary the schedule's role carries. */
  permissionsBoundary: string;
  /**
   * How long a run may wait (Scheduler delivery, then Lambda's asynchronous queue when throttled)
   * before it is dropped: a run that starts later than this is not worth starting. Default 1 hour.
   */
  maximumEventAgeSeconds?: number;
}

export class ScheduledInvoke extends Construct {
  readonly schedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: ScheduledInvokeProps) {
    super(scope, id);
    const maxAge = props.maximumEventAgeSeconds ?? 3600;
    const role = new IamRole(this, "role", {
      name: `${props.name}-schedule-role`,
      assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com", { StringEquals: { "aws:SourceAccount": props.accountId } }),
      permissionsBoundary: props.permissionsBoundary,
    });
    new IamRolePolicy(this, "policy", {
      name: `${props.name}-schedule-invoke`,
      role: role.name,
      policy: policyDocument([allow(["lambda:InvokeFunction"], [props.functionArn], "InvokeTarget")]),
    });
    new LambdaFunctionEventInvokeConfig(this, "async", {
      functionName: props.functionName,
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: maxAge,
    });
    this.schedule = new SchedulerSchedule(this, "schedule", {
      name: props.name,
      scheduleExpression: props.scheduleExpression,
      flexibleTimeWindow: { mode: "OFF" },
      target: { arn: props.functionArn, roleArn: role.arn, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: maxAge } },
    });
  }
}
