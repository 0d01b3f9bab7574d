// The scheduled reconcile of the DR stack: the operator tool's reconcile core as a
// Lambda on an EventBridge Scheduler schedule, per environment on/off, pass interval and
// tick (`Environment.reconcile`). It finds the primary pool by name at run time, so the
// DR stack keeps no reference to the primary stack and still plans during an outage.
// A pass spans invocations (handlers/reconcile/handler.ts says why the schedule, not the
// function itself, continues it): its checkpoint and listings live in a private bucket of
// its own in the DR region, encrypted with the table's replica key.
import { Construct } from "constructs";
import { ENV, UPSERT_COGNITO_ACTIONS } from "../handlers/contract";
import type { Account } from "../modules/account";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useBucketKey, useTableKey } from "../modules/iam";
import { privateBucket } from "../modules/private-bucket";
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

/** The function's timeout: Lambda's maximum. The schedule's tick is at least this, so runs never overlap. */
export const RECONCILE_TIMEOUT_SECONDS = 900;
/** Kept back from the timeout for saving the checkpoint after the last unit. */
const BUDGET_MARGIN_SECONDS = 60;
/** Seconds of work one invocation spends on a pass (RECONCILE_TIME_BUDGET_SECONDS). */
export const RECONCILE_BUDGET_SECONDS = RECONCILE_TIMEOUT_SECONDS - BUDGET_MARGIN_SECONDS;
/** The bucket prefix of the checkpoint and the listings (handlers/reconcile/handler.ts's default). */
const KEY_PREFIX = "reconcile/";
/** Days a pass's listings are kept if its last invocation did not delete them (a pass lasts hours). */
const LISTING_DAYS = 3;

export function drReconcile(scope: Construct, props: DrReconcileProps): BundledFunction {
  const { env, settings } = props;
  const n = names(env);
  if (settings.tickMinutes * 60 < RECONCILE_TIMEOUT_SECONDS) throw new Error(`reconcile tickMinutes (${settings.tickMinutes}) must be at least the function's timeout (${RECONCILE_TIMEOUT_SECONDS / 60} minutes), or two invocations overlap on one checkpoint`);
  if (settings.passIntervalMinutes < settings.tickMinutes) throw new Error(`reconcile passIntervalMinutes (${settings.passIntervalMinutes}) must be at least tickMinutes (${settings.tickMinutes})`);
  const state = privateBucket(new Construct(scope, "reconcile-state"), {
    bucket: `${n.reconcileBucket}-${props.account.id}-${env.drRegion}`,
    kmsKeyArn: props.replica.keyArn,
    // Only the local sandbox is torn down with whatever a pass left.
    forceDestroy: env.name === "local",
    expire: { id: "expire-pass-listings", prefix: `${KEY_PREFIX}passes/`, days: LISTING_DAYS },
  });
  const objects = `${state.bucket.arn}/${KEY_PREFIX}*`;
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
    timeoutSeconds: RECONCILE_TIMEOUT_SECONDS,
    // The compare invocation spills the listings to /tmp and holds a partition at a time (settings.ts).
    memoryMb: settings.memoryMb,
    ephemeralStorageMb: settings.ephemeralStorageMb,
    environment: {
      ...replicationEnv(env),
      [ENV.PRIMARY_REGION]: env.primaryRegion,
      [ENV.PRIMARY_USER_POOL_NAME]: n.userPool("primary"),
      [ENV.TARGET_USER_POOL_ID]: props.drPool.id,
      [ENV.TABLE_NAME]: props.replica.tableName,
      [ENV.RECONCILE_APPLY]: String(settings.apply),
      [ENV.RECONCILE_ALLOW_DELETE]: String(settings.apply && settings.allowDelete),
      [ENV.RECONCILE_QUOTA_SHARE]: String(settings.quotaShare),
      [ENV.RECONCILE_BUCKET]: state.bucket.bucket,
      [ENV.RECONCILE_PASS_INTERVAL_MINUTES]: String(settings.passIntervalMinutes),
      [ENV.RECONCILE_TIME_BUDGET_SECONDS]: String(RECONCILE_BUDGET_SECONDS),
      // Two-way: a DR-born user is missing in the primary, not extra in DR (which would fail every run).
      ...(env.replication.mode === "two-way" ? { [ENV.REPLICATION_MODE]: env.replication.mode } : {}),
    },
    statements: [
      allow(["cognito-idp:ListUserPools"], ["*"], "FindPrimaryPoolByName"),
      allow(RECONCILE_READ_ACTIONS, [primaryPools], "ReadPrimaryPool"),
      allow(Array.from(new Set([...RECONCILE_READ_ACTIONS, ...repair])), [props.drPool.arn], settings.apply ? "ReadAndRepairDrPool" : "ReadDrPool"),
      allow(directory, [props.replica.tableArn], "DrUserDirectory"),
      useTableKey(props.replica.keyArn, env.drRegion),
      // The pass checkpoint and listings: read, written, deleted at the pass end (keys are known;
      // nothing lists). s3:ListBucket only so a missing checkpoint reads as NoSuchKey, not 403
      // (S3 API Reference, GetObject: "If you don't have the s3:ListBucket permission, Amazon S3
      // returns an HTTP status code 403 Access Denied error").
      allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [objects], "PassState"),
      allow(["s3:ListBucket"], [state.bucket.arn], "MissingCheckpointIsNotFound"),
      useBucketKey(props.replica.keyArn, env.drRegion),
    ],
    logRetentionDays: env.logRetentionDays,
    // One failed run (drift left) is worth an alarm.
    errorsThreshold: 1,
    alarmActions: props.alarmActions,
    permissionsBoundary: props.permissionsBoundary,
  });
  new ScheduledInvoke(scope, "reconcile-schedule", { name: n.fn("reconcile"), scheduleExpression: `rate(${settings.tickMinutes} minutes)`, maximumEventAgeSeconds: settings.tickMinutes * 60, functionArn: fn.fn.arn, functionName: fn.fn.functionName, accountId: props.account.id, permissionsBoundary: props.permissionsBoundary });
  return fn;
}
