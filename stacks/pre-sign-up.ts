// The DR pool's PreSignUp trigger (D7): who may create a user there, and when. One-way mode: no
// self sign-up ever (policy `never`: the DR pool is a copy, and a sign-up there could claim a
// victim's email before the victim is replicated). Two-way mode: only while the failover step has
// marked the environment failed over (`while-failed-over`: it reads the control item from the DR
// replica). Administrators' creates (the replicator, reconcile) always pass. The primary pool has none.
import type { Construct } from "constructs";
import { ENV, type SignupPolicy } from "../handlers/contract";
import { functionMetricAlarm } from "../modules/alarms";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import { allowCognitoInvoke } from "../modules/invoke-permission";
import type { ReplicaLookup } from "../modules/replica-lookup";
import type { Environment } from "./environments";
import { names } from "./names";

export interface PreSignUpProps {
  env: Environment;
  replica: ReplicaLookup;
  alarmActions: string[];
  permissionsBoundary: string;
}

export function signupPolicy(env: Pick<Environment, "replication">): SignupPolicy {
  return env.replication.mode === "two-way" ? "while-failed-over" : "never";
}

export interface PreSignUpTrigger {
  fn: BundledFunction;
  allowInvokeFrom(poolArn: string): void;
}

export function preSignUpTrigger(scope: Construct, props: PreSignUpProps): PreSignUpTrigger {
  const { env, replica } = props;
  const n = names(env);
  const fn = new BundledFunction(scope, "pre-sign-up", {
    handler: "pre-sign-up",
    functionName: n.fn("pre-sign-up"),
    roleName: n.role("pre-sign-up"),
    // Cognito waits 5 s for a trigger; the handler makes at most one strongly consistent read.
    timeoutSeconds: 5,
    environment: { [ENV.SIGNUP_POLICY]: signupPolicy(env), [ENV.TABLE_NAME]: replica.tableName },
    statements: [
      // The failover control item (FAILOVER_CONTROL_KEY), read only under `while-failed-over`; granted
      // in both modes so switching modes changes one variable, not the role.
      allow(["dynamodb:GetItem"], [replica.tableArn], "ReadFailoverState"),
      useTableKey(replica.keyArn, env.drRegion),
    ],
    logRetentionDays: env.logRetentionDays,
    // Refusing is how this trigger answers (Cognito refuses the sign-up when it throws): Lambda's
    // Errors count every refused sign-up, which anyone on the internet can cause. It alarms only when
    // it could not read the failover state (and so may have refused a sign-up it should have allowed).
    errorsThreshold: null,
    alarmActions: props.alarmActions,
    permissionsBoundary: props.permissionsBoundary,
  });
  functionMetricAlarm(scope, "pre-sign-up-state-unreadable", {
    functionName: n.fn("pre-sign-up"),
    service: "pre-sign-up",
    metricName: "FailoverStateUnreadable",
    description: "pre-sign-up could not read the failover state and refused DR sign-ups: see its log group (table or key permissions, throttling).",
    actions: props.alarmActions,
  });
  return {
    fn,
    allowInvokeFrom: (poolArn) => {
      allowCognitoInvoke(scope, "cognito-invokes-pre-sign-up", { functionName: fn.fn.functionName, poolArn, statementId: "AllowCognitoPreSignUp" });
    },
  };
}
