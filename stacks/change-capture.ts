// Change capture in one region: every call that changes a user of that region's pool (not only a
// sign-up's PostConfirmation) reaches the region's replica of the replicated table. The primary
// stack always has it; the DR stack too in two-way mode (same bundle, its own trail or an existing
// one, role names suffixed `-dr`: IAM names are account-wide; the rest is regional and keeps its name). Cognito logs each call as
// a CloudTrail management event; EventBridge receives it while a trail logs the region (the
// stack's own, or an existing one); a rule sends the pool's user-changing calls to a queue, and the
// change-capture function re-reads each user from the pool and writes its next record version (or
// a tombstone). Why a queue between the rule and the function: handlers/change-capture/README.md.
import type { Construct } from "constructs";
import { CAPTURE_COGNITO_ACTIONS, CAPTURED_EVENT_NAMES, ENV } from "../handlers/contract";
import type { Account } from "../modules/account";
import { functionMetricAlarm, queueDepthAlarm } from "../modules/alarms";
import { BundledFunction } from "../modules/bundled-function";
import { EventsToQueue } from "../modules/event-queue";
import { allow, useTableKey } from "../modules/iam";
import { deadLetterQueue, queueConsumer, workQueue } from "../modules/queues";
import { ManagementTrail } from "../modules/trail";
import type { Environment } from "./environments";
import { replicationEnv } from "./handler-env";
import { names, type Role } from "./names";
import { regionOf, trustsCanonicalIdAttribute } from "./regional";

const CAPTURE_TIMEOUT_S = 60;

export interface ChangeCaptureProps {
  env: Environment;
  role: Role;
  pool: { id: string; arn: string };
  table: { name: string; arn: string; keyArn: string };
  account: Account;
  alarmActions: string[];
  permissionsBoundary: string;
}

/**
 * The rule's pattern: the pool's user-changing calls. Self-service calls (SignUp, UpdateUserAttributes,
 * DeleteUser, ...) carry the pool in `additionalEventData.userPoolId`, admin calls in
 * `requestParameters.userPoolId` (handlers/change-capture/README.md); failed calls match too and
 * the function drops them (a successful call's errorCode is "", so no pattern can tell them apart).
 */
export function capturePattern(poolId: string): Record<string, unknown> {
  return {
    source: ["aws.cognito-idp"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["cognito-idp.amazonaws.com"],
      eventName: [...CAPTURED_EVENT_NAMES],
      $or: [{ requestParameters: { userPoolId: [poolId] } }, { additionalEventData: { userPoolId: [poolId] } }],
    },
  };
}

export function changeCapture(scope: Construct, props: ChangeCaptureProps): BundledFunction {
  const { env, role } = props;
  const n = names(env);
  const settings = env.changeCapture;
  const region = regionOf(env, role);
  const trail = role === "primary" ? settings.trail : settings.drTrail;
  // Trail names are per region (the ARN carries it), and the bucket's name carries the region.
  if (trail.kind === "own") new ManagementTrail(scope, "trail", { name: n.trail, region, account: props.account, retentionDays: trail.retentionDays, protect: env.deletionProtection });
  const dlq = deadLetterQueue(scope, "capture-dlq", n.captureDlq);
  const queue = workQueue(scope, "capture-queue", {
    name: n.captureQueue,
    dlq,
    maxReceiveCount: 5,
    // Lambda's guidance for SQS sources: at least 6x the function timeout.
    visibilityTimeoutSeconds: 6 * CAPTURE_TIMEOUT_S,
  });
  new EventsToQueue(scope, "capture-rule", { ruleName: n.captureRule, description: `User changes in ${n.userPool(role)} (CloudTrail) for change capture`, pattern: capturePattern(props.pool.id), queue });

  const fn = new BundledFunction(scope, "change-capture", {
    handler: "change-capture",
    functionName: n.fn("change-capture"),
    roleName: n.roleIn("change-capture", role, "primary"),
    timeoutSeconds: CAPTURE_TIMEOUT_S,
    environment: {
      ...replicationEnv(env),
      [ENV.CAPTURE_USER_POOL_ID]: props.pool.id,
      [ENV.REGION_ROLE]: role,
      // Whether the pool's custom:canonical_id names a user's canonical id (D3): in DR always (the
      // replicator sets it), in the primary only in two-way mode (DR-born users' copies carry it).
      [ENV.TRUST_CANONICAL_ID_ATTRIBUTE]: String(trustsCanonicalIdAttribute(env, role)),
      [ENV.TABLE_NAME]: props.table.name,
      // Loop safety: the project's own roles (replicator, reconcile, operators' tools) are never captured.
      [ENV.CAPTURE_IGNORED_ROLE_PREFIX]: `${env.prefix}-`,
      [ENV.CAPTURE_QUOTA_SHARE]: String(settings.quotaShare),
      [ENV.CAPTURE_MAX_CONCURRENCY]: String(settings.maxConcurrency),
    },
    statements: [
      allow([...CAPTURE_COGNITO_ACTIONS], [props.pool.arn], "ReReadUsers"),
      // GetItem: the record as the table holds it, so a version that says nothing new is not written.
      allow(["dynamodb:GetItem", "dynamodb:PutItem"], [props.table.arn], "WriteRecords"),
      useTableKey(props.table.keyArn, region),
      // What Lambda's SQS event source needs of the role (Lambda developer guide, with-sqs.html).
      allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [queue.arn], "ConsumeCaptureQueue"),
    ],
    logRetentionDays: env.logRetentionDays,
    errorsThreshold: env.alarms.lambdaErrors,
    alarmActions: props.alarmActions,
    permissionsBoundary: props.permissionsBoundary,
  });
  queueConsumer(scope, "capture-queue-to-function", {
    functionArn: fn.fn.arn,
    queue,
    batchSize: 10,
    batchWindowSeconds: settings.batchWindowSeconds,
    maxConcurrency: settings.maxConcurrency,
    after: [fn.policy],
  });
  queueDepthAlarm(scope, "capture-dlq-depth", {
    queueName: n.captureDlq,
    threshold: env.alarms.dlqDepth,
    actions: props.alarmActions,
    what:
      role === "primary"
        ? "Changes to primary users could not be captured (re-read or record write failed five times); their DR copies lag until reconcile."
        : "Changes to DR users could not be captured (re-read or record write failed five times); their primary copies lag until reconcile.",
  });
  // Users whose re-read or write failed (retried by SQS): a rising count is broken capture before
  // the DLQ fills. The function publishes it under its service name (Powertools' default dimension).
  functionMetricAlarm(scope, "capture-failures", {
    functionName: n.fn("change-capture"),
    service: "change-capture",
    metricName: "CaptureFailed",
    description: "change-capture could not re-read or record users: see its log group; reconcile repairs what it missed.",
    actions: props.alarmActions,
  });
  return fn;
}
