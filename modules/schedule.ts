// An EventBridge Scheduler schedule that invokes one Lambda function, with its own
// role allowed to invoke exactly that function. No retries: a scheduled run that
// fails (e.g. reconcile finding drift) raises the function's errors alarm once.
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { Construct } from "constructs";
import { allow, assumeRolePolicy, policyDocument } from "./iam";

export interface ScheduledInvokeProps {
  name: string;
  /** `rate(1 day)`, `cron(...)`. */
  scheduleExpression: string;
  functionArn: string;
}

export class ScheduledInvoke extends Construct {
  readonly schedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: ScheduledInvokeProps) {
    super(scope, id);
    const role = new IamRole(this, "role", { name: `${props.name}-schedule-role`, assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com") });
    new IamRolePolicy(this, "policy", {
      name: `${props.name}-schedule-invoke`,
      role: role.name,
      policy: policyDocument([allow(["lambda:InvokeFunction"], [props.functionArn], "InvokeTarget")]),
    });
    this.schedule = new SchedulerSchedule(this, "schedule", {
      name: props.name,
      scheduleExpression: props.scheduleExpression,
      flexibleTimeWindow: { mode: "OFF" },
      target: { arn: props.functionArn, roleArn: role.arn, retryPolicy: { maximumRetryAttempts: 0 } },
    });
  }
}
