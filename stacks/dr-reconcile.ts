// The scheduled reconcile of the DR stack: the operator tool's reconcile core as a
// Lambda on an EventBridge Scheduler schedule, per environment on/off and rate
// (`Environment.reconcile`). It finds the primary pool by name at run time, so the
// DR stack keeps no reference to the primary stack and still plans during an outage.
import type { Construct } from "constructs";
import { ENV, UPSERT_COGNITO_ACTIONS } from "../handlers/contract";
import type { Account } from "../modules/account";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import type { ReplicaLookup } from "../modules/replica-lookup";
import { ScheduledInvoke } from "../modules/schedule";
import type { Environment, ReconcileSchedule } from "./environments";
import { replicationEnv } from "./handler-env";
import { names } from "./names";

/** What reconcile reads in both pools. */
export const RECONCILE_READ_ACTIONS = ["cognito-idp:ListUsers", "cognito-idp:ListGroups", "cognito-idp:ListUsersInGroup"];

export interface DrReconcileProps {
  env: Environment;
  settings: ReconcileSchedule;
  drPool: { id: string; arn: string };
  /** The table replica: which DR user a canonical id names (twins), and what reconcile repaired. */
  replica: ReplicaLookup;
  account: Account;
  alarmActions: string[];
  permissionsBoundary: string;
}

export function drReconcile(scope: Construct, props: DrReconcileProps): BundledFunction {
  const { env, settings } = props;
  const n = names(env);
  // Pools of the primary region in this account: the primary pool id is not known here.
  const primaryPools = `arn:${props.account.partition}:cognito-idp:${env.primaryRegion}:${props.account.id}:userpool/*`;
  // Repairs are the shared upsert's calls: its AdminDeleteUser removes a twin (a second DR user of
  // one canonical id) or a user it just created unconfirmed; deleting DR users the primary no longer
  // has stays behind allowDelete (a code path).
  const repair = settings.apply ? [...UPSERT_COGNITO_ACTIONS] : [];
  // The canonical id -> DR user items: read to tell a twin from the user the replicator knows, written by repairs.
  const directory = settings.apply ? ["dynamodb:GetItem", "dynamodb:PutItem"] : ["dynamodb:GetItem"];
  const fn = new BundledFunction(scope, "reconcile", {
    handler: "reconcile",
    functionName: n.fn("reconcile"),
    roleName: n.role("reconcile"),
    timeoutSeconds: 900,
    environment: {
      ...replicationEnv(env),
      [ENV.PRIMARY_REGION]: env.primaryRegion,
      [ENV.PRIMARY_USER_POOL_NAME]: n.userPool("primary"),
      [ENV.TARGET_USER_POOL_ID]: props.drPool.id,
      [ENV.TABLE_NAME]: props.replica.tableName,
      [ENV.RECONCILE_APPLY]: String(settings.apply),
      [ENV.RECONCILE_ALLOW_DELETE]: String(settings.apply && settings.allowDelete),
      [ENV.RECONCILE_QUOTA_SHARE]: String(settings.quotaShare),
      // Two-way: a DR-born user is missing in the primary, not extra in DR (which would fail every run).
      ...(env.replication.mode === "two-way" ? { [ENV.REPLICATION_MODE]: env.replication.mode } : {}),
    },
    statements: [
      allow(["cognito-idp:ListUserPools"], ["*"], "FindPrimaryPoolByName"),
      allow(RECONCILE_READ_ACTIONS, [primaryPools], "ReadPrimaryPool"),
      allow(Array.from(new Set([...RECONCILE_READ_ACTIONS, ...repair])), [props.drPool.arn], settings.apply ? "ReadAndRepairDrPool" : "ReadDrPool"),
      allow(directory, [props.replica.tableArn], "DrUserDirectory"),
      useTableKey(props.replica.keyArn, env.drRegion),
    ],
    logRetentionDays: env.logRetentionDays,
    // One failed run (drift left) is worth an alarm.
    errorsThreshold: 1,
    alarmActions: props.alarmActions,
    permissionsBoundary: props.permissionsBoundary,
  });
  new ScheduledInvoke(scope, "reconcile-schedule", { name: n.fn("reconcile"), scheduleExpression: settings.schedule, functionArn: fn.fn.arn, functionName: fn.fn.functionName, accountId: props.account.id, permissionsBoundary: props.permissionsBoundary });
  return fn;
}
