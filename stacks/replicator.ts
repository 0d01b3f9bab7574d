// The replicator of one region: the replicate-user function on this region's replica stream of the
// replicated table, applying records that originate in the other region to this region's pool, its
// DLQ (parked records and exhausted batch positions), and the lag and DLQ alarms. The DR stack
// always has it (records from the primary); the primary stack too in two-way mode (records from
// DR, on the primary table's own stream). Same bundle; the function knows its region role.
import type { Construct } from "constructs";
import { DR_DIRECTORY_TABLE_ACTIONS, ENV, UPSERT_COGNITO_ACTIONS } from "../handlers/contract";
import { replicatorPacing } from "../handlers/replication/pacing";
import { iteratorAgeAlarm, queueDepthAlarm } from "../modules/alarms";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import { deadLetterQueue } from "../modules/queues";
import { streamConsumer } from "../modules/stream-consumer";
import type { Environment } from "./environments";
import { replicationEnv } from "./handler-env";
import { names, type Role } from "./names";
import { regionOf } from "./regional";

export interface ReplicatorProps {
  env: Environment;
  role: Role;
  /** The pool the records are applied to: this region's. */
  pool: { id: string; arn: string };
  /** This region's table (or replica): its stream, the directory items it keeps, its key here. */
  table: { name: string; arn: string; streamArn: string; keyArn: string };
  alarmActions: string[];
  permissionsBoundary: string;
}

export interface Replicator {
  fn: BundledFunction;
  dlqUrl: string;
}

const POOL_LABEL: Record<Role, string> = { primary: "Primary", dr: "Dr" };

/** Built in the stack's own scope, so the DR stack's resource addresses stay those it always had. */
export function replicator(scope: Construct, props: ReplicatorProps): Replicator {
  const { env, role, pool, table } = props;
  const n = names(env);
  const dlqName = n.replicatorDlqIn(role);
  const dlq = deadLetterQueue(scope, "replicator-dlq", dlqName);
  const label = POOL_LABEL[role];
  // Its share of the target region's quotas sets its rate, users in flight and batch size.
  const pacing = replicatorPacing(env.replication.quotaShare, env.replication.cognitoQuotas);

  const fn = new BundledFunction(scope, "replicate-user", {
    handler: "replicate-user",
    functionName: n.fn("replicate-user"),
    roleName: n.roleIn("replicate-user", role, "dr"),
    timeoutSeconds: 120,
    environment: {
      ...replicationEnv(env),
      [ENV.TARGET_USER_POOL_ID]: pool.id,
      [ENV.REGION_ROLE]: role,
      [ENV.TABLE_NAME]: table.name,
      [ENV.DELETION_POLICY]: env.changeCapture.deletionPolicy,
      [ENV.PARK_QUEUE_URL]: dlq.url,
      [ENV.MAX_CONCURRENCY]: String(pacing.inFlight),
      [ENV.REPLICATOR_RATES]: JSON.stringify(pacing.rates),
    },
    statements: [
      allow([...UPSERT_COGNITO_ACTIONS], [pool.arn], `Upsert${label}Users`),
      // One pool user per canonical id: the directory items (canonical id -> pool user, sub -> canonical id) it keeps in this region's table.
      allow([...DR_DIRECTORY_TABLE_ACTIONS], [table.arn], `${label}UserDirectory`),
      // What Lambda's DynamoDB event source needs of the role (Lambda developer guide, with-ddb.html;
      // Lambda checks all four when the mapping is created). ListStreams has no resource type in
      // the Service Authorization Reference: only "*" grants it.
      allow(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], [table.streamArn], "ReadReplicaStream"),
      allow(["dynamodb:ListStreams"], ["*"], "ListStreams"),
      useTableKey(table.keyArn, regionOf(env, role), "DecryptReplicaStream"),
      // Parked records (by the handler) and batch positions (by the mapping).
      allow(["sqs:SendMessage"], [dlq.arn], "ParkOnDlq"),
    ],
    logRetentionDays: env.logRetentionDays,
    errorsThreshold: env.alarms.lambdaErrors,
    alarmActions: props.alarmActions,
    permissionsBoundary: props.permissionsBoundary,
  });
  streamConsumer(scope, "replica-stream-to-replicator", { fn: fn.fn, streamArn: table.streamArn, onFailure: dlq, after: [fn.policy], batchSize: pacing.batchSize });

  iteratorAgeAlarm(scope, "replicator-iterator-age", {
    functionName: n.fn("replicate-user"),
    thresholdMs: env.alarms.iteratorAgeMs,
    actions: props.alarmActions,
  });
  queueDepthAlarm(scope, "replicator-dlq-depth", {
    queueName: dlqName,
    threshold: env.alarms.dlqDepth,
    actions: props.alarmActions,
    what: `Records could not be replicated to the ${role === "dr" ? "DR" : "primary"} pool and were parked with a reason.`,
  });
  return { fn, dlqUrl: dlq.url };
}
