// The DR region: a user pool built by the same module as the primary's, and the
// replicator that turns the table replica's stream into DR users. It finds the
// replica key and table by name, so it plans and applies on its own after the
// primary stack, with no cross-stack reference.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { DR_DIRECTORY_TABLE_ACTIONS, ENV, UPSERT_COGNITO_ACTIONS } from "../handlers/contract";
import { iteratorAgeAlarm, queueDepthAlarm } from "../modules/alarms";
import { DnsFailover } from "../modules/dns-failover";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import { deadLetterQueue } from "../modules/queues";
import { streamConsumer } from "../modules/stream-consumer";
import { findReplica } from "../modules/replica-lookup";
import type { Environment } from "./environments";
import { replicationEnv } from "./handler-env";
import { preTokenTrigger, userPool } from "./regional";
import { drReconcile } from "./dr-reconcile";
import { RegionalStack } from "./regional-stack";

export class DrStack extends RegionalStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env, "dr");
    const { n, acct, boundary, alarms } = this;

    // Created by the primary stack in this region; looked up by name.
    const replica = findReplica(this, { tableName: n.table, kmsAlias: n.kmsAlias });

    // Canonical id (the replicated custom:canonical_id) in ID and access tokens.
    const preToken = preTokenTrigger(this, env, "dr", alarms.actions, boundary);
    const users = userPool(this, env, acct, "dr", { preTokenGeneration: preToken.arn });
    preToken.allowInvokeFrom(users.pool.arn);
    const dlq = deadLetterQueue(this, "replicator-dlq", n.replicatorDlq);

    const replicator = new BundledFunction(this, "replicate-user", {
      handler: "replicate-user",
      functionName: n.fn("replicate-user"),
      roleName: n.role("replicate-user"),
      timeoutSeconds: 120,
      environment: {
        ...replicationEnv(env),
        [ENV.TARGET_USER_POOL_ID]: users.pool.id,
        [ENV.TABLE_NAME]: replica.tableName,
        [ENV.DELETION_POLICY]: env.changeCapture.deletionPolicy,
        [ENV.PARK_QUEUE_URL]: dlq.url,
        [ENV.MAX_CONCURRENCY]: String(env.replication.maxConcurrency),
      },
      statements: [
        allow([...UPSERT_COGNITO_ACTIONS], [users.pool.arn], "UpsertDrUsers"),
        // One DR user per canonical id: the canonical id -> DR user items it keeps in the replica.
        allow([...DR_DIRECTORY_TABLE_ACTIONS], [replica.tableArn], "DrUserDirectory"),
        // What Lambda's DynamoDB event source needs of the role (Lambda developer guide, with-ddb.html;
        // Lambda checks all four when the mapping is created). ListStreams has no resource type in
        // the Service Authorization Reference: only "*" grants it.
        allow(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], [replica.streamArn], "ReadReplicaStream"),
        allow(["dynamodb:ListStreams"], ["*"], "ListStreams"),
        useTableKey(replica.keyArn, env.drRegion, "DecryptReplicaStream"),
        // Parked records (by the handler) and batch positions (by the mapping).
        allow(["sqs:SendMessage"], [dlq.arn], "ParkOnDlq"),
      ],
      logRetentionDays: env.logRetentionDays,
      errorsThreshold: env.alarms.lambdaErrors,
      alarmActions: alarms.actions,
      permissionsBoundary: boundary,
    });
    streamConsumer(this, "replica-stream-to-replicator", { fn: replicator.fn, streamArn: replica.streamArn, onFailure: dlq, after: [replicator.policy] });

    iteratorAgeAlarm(this, "replicator-iterator-age", {
      functionName: n.fn("replicate-user"),
      thresholdMs: env.alarms.iteratorAgeMs,
      actions: alarms.actions,
    });
    queueDepthAlarm(this, "replicator-dlq-depth", {
      queueName: n.replicatorDlq,
      threshold: env.alarms.dlqDepth,
      actions: alarms.actions,
      what: "Records could not be replicated to the DR pool and were parked with a reason.",
    });

    // Optional: the auth-facing hostname fails over to this region. Here, not in the
    // primary stack, so it can be changed while the primary region is impaired.
    if (env.dnsFailover) {
      const dns = new DnsFailover(this, "dns-failover", { name: `${env.prefix}-auth`, settings: env.dnsFailover });
      // What the break-glass failover inverts to move sign-in to this region (npm run failover).
      new TerraformOutput(this, "primary_health_check_id", { value: dns.healthChecks.primary.id });
    }

    // Optional: the scheduled reconcile (the same code as `npm run reconcile`).
    if (env.reconcile?.enabled) drReconcile(this, { env, settings: env.reconcile, drPool: users.pool, replica, account: acct, alarmActions: alarms.actions, permissionsBoundary: boundary });

    new TerraformOutput(this, "user_pool_id", { value: users.pool.id });
    // Which commit this state was last applied from (the pipeline refuses to apply an older one).
    new TerraformOutput(this, "deployed_commit", { value: env.deployCommit });
    new TerraformOutput(this, "app_client_id", { value: users.client.id });
    new TerraformOutput(this, "replicator_dlq_url", { value: dlq.url });
    new TerraformOutput(this, "alarm_topic_arn", { value: alarms.topic.arn });
  }
}
