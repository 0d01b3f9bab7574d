// The primary region: the user pool people sign up to, the PostConfirmation
// trigger that captures each confirmed user into the replicated table, change
// capture for every later change (change-capture.ts), the shared data plane
// (multi-Region key + global table), and the fallback queue with its retry
// worker for when the table write fails.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { ENV } from "../handlers/contract";
import { queueDepthAlarm } from "../modules/alarms";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import { allowCognitoInvoke } from "../modules/invoke-permission";
import { deadLetterQueue, queueConsumer, workQueue } from "../modules/queues";
import { ReplicatedTable } from "../modules/replicated-table";
import type { Environment } from "./environments";
import { changeCapture } from "./change-capture";
import { replicationEnv } from "./handler-env";
import { preTokenTrigger, provider, userPool } from "./regional";
import { RegionalStack } from "./regional-stack";

const RETRY_WORKER_TIMEOUT_S = 30;

export class PrimaryStack extends RegionalStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env, "primary");
    const { n, acct, boundary, alarms } = this;
    const drProvider = provider(this, "aws-dr", env, env.drRegion, "dr");

    const data = new ReplicatedTable(this, "data", {
      tableName: n.table,
      kmsAlias: n.kmsAlias,
      drRegion: env.drRegion,
      drProvider,
      deletionProtection: env.deletionProtection,
      accountRootArn: acct.rootArn,
      accountId: acct.id,
    });

    const fallbackDlq = deadLetterQueue(this, "fallback-dlq", n.fallbackDlq);
    const fallback = workQueue(this, "fallback", {
      name: n.fallbackQueue,
      dlq: fallbackDlq,
      maxReceiveCount: 5,
      // Lambda's guidance for SQS sources: at least 6x the function timeout.
      visibilityTimeoutSeconds: 6 * RETRY_WORKER_TIMEOUT_S,
    });

    const capture = new BundledFunction(this, "post-confirmation", {
      handler: "post-confirmation",
      functionName: n.fn("post-confirmation"),
      roleName: n.role("post-confirmation"),
      // Cognito waits 5 s for a trigger; the handler's own budget is smaller.
      timeoutSeconds: 5,
      environment: { ...replicationEnv(env), [ENV.TABLE_NAME]: data.table.name, [ENV.FALLBACK_QUEUE_URL]: fallback.url },
      statements: [
        allow(["dynamodb:PutItem"], [data.table.arn], "WriteRecords"),
        useTableKey(data.key.arn, env.primaryRegion),
        allow(["sqs:SendMessage"], [fallback.arn], "FallBackToQueue"),
      ],
      logRetentionDays: env.logRetentionDays,
      errorsThreshold: env.alarms.lambdaErrors,
      alarmActions: alarms.actions,
      permissionsBoundary: boundary,
    });

    // Canonical id (here: the user's own sub) in ID and access tokens.
    const preToken = preTokenTrigger(this, env, "primary", alarms.actions, boundary);
    const users = userPool(this, env, acct, "primary", { triggers: { postConfirmation: capture.fn.arn }, preTokenGeneration: preToken.arn });
    preToken.allowInvokeFrom(users.pool.arn);
    allowCognitoInvoke(this, "cognito-invokes-post-confirmation", { functionName: capture.fn.functionName, poolArn: users.pool.arn, statementId: "AllowCognitoPostConfirmation" });

    const retry = new BundledFunction(this, "retry-worker", {
      handler: "retry-worker",
      functionName: n.fn("retry-worker"),
      roleName: n.role("retry-worker"),
      timeoutSeconds: RETRY_WORKER_TIMEOUT_S,
      environment: { ...replicationEnv(env), [ENV.TABLE_NAME]: data.table.name },
      statements: [
        allow(["dynamodb:PutItem"], [data.table.arn], "WriteRecords"),
        useTableKey(data.key.arn, env.primaryRegion),
        // What Lambda's SQS event source needs of the role (Lambda developer guide, with-sqs.html).
        allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [fallback.arn], "ConsumeFallbackQueue"),
      ],
      logRetentionDays: env.logRetentionDays,
      errorsThreshold: env.alarms.lambdaErrors,
      alarmActions: alarms.actions,
      permissionsBoundary: boundary,
    });
    queueConsumer(this, "fallback-to-retry-worker", { functionArn: retry.fn.arn, queue: fallback, batchSize: 10, after: [retry.policy] });
    queueDepthAlarm(this, "fallback-dlq-depth", {
      queueName: n.fallbackDlq,
      threshold: env.alarms.dlqDepth,
      actions: alarms.actions,
      what: "Confirmed users failed to reach the replicated table even through the fallback queue.",
    });

    // Every other change to a user (CloudTrail -> EventBridge -> change-capture).
    changeCapture(this, {
      env,
      pool: { id: users.pool.id, arn: users.pool.arn },
      table: { name: data.table.name, arn: data.table.arn, keyArn: data.key.arn },
      account: acct,
      alarmActions: alarms.actions,
      permissionsBoundary: boundary,
    });

    new TerraformOutput(this, "user_pool_id", { value: users.pool.id });
    // Which commit this state was last applied from (the pipeline refuses to apply an older one).
    new TerraformOutput(this, "deployed_commit", { value: env.deployCommit });
    new TerraformOutput(this, "app_client_id", { value: users.client.id });
    new TerraformOutput(this, "table_name", { value: data.table.name });
    new TerraformOutput(this, "fallback_queue_url", { value: fallback.url });
    new TerraformOutput(this, "alarm_topic_arn", { value: alarms.topic.arn });
  }
}
