// The primary region: the user pool people sign up to, the PostConfirmation
// trigger that captures each confirmed user into the replicated table, the
// shared data plane (multi-Region key + global table), and the fallback queue
// with its retry worker for when the table write fails.
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ENV } from "../handlers/contract";
import { account } from "../modules/account";
import { queueDepthAlarm } from "../modules/alarms";
import { configureBackend } from "../modules/backend";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import { awsProvider } from "../modules/providers";
import { PreTokenTrigger } from "../modules/pre-token-trigger";
import { deadLetterQueue, workQueue } from "../modules/queues";
import { ReplicatedTable } from "../modules/replicated-table";
import { ReplicatedUserPool } from "../modules/user-pool";
import type { Environment } from "./environments";
import { replicationEnv } from "./handler-env";
import { alarmTopic, backendProps, poolEmail } from "./regional";
import { names } from "./names";

const RETRY_WORKER_TIMEOUT_S = 30;

export class PrimaryStack extends TerraformStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id);
    const n = names(env);
    configureBackend(this, id, backendProps(env, "primary", id));
    awsProvider(this, "aws", env, env.primaryRegion);
    const drProvider = awsProvider(this, "aws-dr", env, env.drRegion, "dr");
    const acct = account(this);
    // Every role of the stacks carries it (created once per account; npm run pipeline-policies).
    const boundary = acct.policyArn(n.boundary);
    const alarms = alarmTopic(this, env, acct, "primary", id);

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
    const preToken = new PreTokenTrigger(this, "pre-token", { env, role: "primary", alarmActions: alarms.actions, permissionsBoundary: boundary });
    const users = new ReplicatedUserPool(this, "users", {
      env,
      name: n.userPool("primary"),
      email: poolEmail(env, acct, "primary"),
      triggers: { postConfirmation: capture.fn.arn },
      preTokenGeneration: preToken.arn,
    });
    preToken.allowInvokeFrom(users.pool.arn);
    new LambdaPermission(this, "cognito-invokes-post-confirmation", {
      statementId: "AllowCognitoPostConfirmation",
      action: "lambda:InvokeFunction",
      functionName: capture.fn.functionName,
      principal: "cognito-idp.amazonaws.com",
      sourceArn: users.pool.arn,
    });

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
    new LambdaEventSourceMapping(this, "fallback-to-retry-worker", {
      functionName: retry.fn.arn,
      eventSourceArn: fallback.arn,
      batchSize: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    queueDepthAlarm(this, "fallback-dlq-depth", {
      queueName: n.fallbackDlq,
      threshold: env.alarms.dlqDepth,
      actions: alarms.actions,
      what: "Confirmed users failed to reach the replicated table even through the fallback queue.",
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
