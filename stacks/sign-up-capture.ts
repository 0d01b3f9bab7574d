// Sign-up capture in one region: the PostConfirmation trigger that writes each confirmed user into
// that region's replica of the replicated table, and the fallback queue with its retry worker for
// when the table write fails. The primary stack always has it; the DR stack too in two-way mode
// (users who sign up to the DR pool while failed over), against the DR replica. Same bundles; the
// role names differ by region (IAM names are account-wide), the queue names need not.
import type { Construct } from "constructs";
import { ENV } from "../handlers/contract";
import { queueDepthAlarm } from "../modules/alarms";
import { BundledFunction } from "../modules/bundled-function";
import { allow, useTableKey } from "../modules/iam";
import { allowCognitoInvoke } from "../modules/invoke-permission";
import { deadLetterQueue, queueConsumer, workQueue } from "../modules/queues";
import type { Environment } from "./environments";
import { replicationEnv } from "./handler-env";
import { names, type Role } from "./names";
import { regionOf } from "./regional";

const RETRY_WORKER_TIMEOUT_S = 30;

export interface SignUpCaptureProps {
  env: Environment;
  role: Role;
  /** The table (or its replica) in this region, and the key that encrypts it here. */
  table: { name: string; arn: string; keyArn: string };
  alarmActions: string[];
  permissionsBoundary: string;
}

export interface SignUpCapture {
  /** The PostConfirmation function (the pool's trigger). */
  trigger: BundledFunction;
  fallbackUrl: string;
  /** Lets Cognito invoke the trigger for exactly this pool (after the pool exists: it needs the trigger's ARN). */
  allowInvokeFrom(poolArn: string): void;
}

/** Built in the stack's own scope, so the primary stack's resource addresses stay those it always had. */
export function signUpCapture(scope: Construct, props: SignUpCaptureProps): SignUpCapture {
  const { env, role, table } = props;
  const n = names(env);
  const region = regionOf(env, role);
  const common = { logRetentionDays: env.logRetentionDays, errorsThreshold: env.alarms.lambdaErrors, alarmActions: props.alarmActions, permissionsBoundary: props.permissionsBoundary };

  const fallbackDlq = deadLetterQueue(scope, "fallback-dlq", n.fallbackDlq);
  const fallback = workQueue(scope, "fallback", {
    name: n.fallbackQueue,
    dlq: fallbackDlq,
    maxReceiveCount: 5,
    // Lambda's guidance for SQS sources: at least 6x the function timeout.
    visibilityTimeoutSeconds: 6 * RETRY_WORKER_TIMEOUT_S,
  });

  const trigger = new BundledFunction(scope, "post-confirmation", {
    handler: "post-confirmation",
    functionName: n.fn("post-confirmation"),
    roleName: n.roleIn("post-confirmation", role, "primary"),
    // Cognito waits 5 s for a trigger; the handler's own budget is smaller.
    timeoutSeconds: 5,
    environment: { ...replicationEnv(env), [ENV.TABLE_NAME]: table.name, [ENV.FALLBACK_QUEUE_URL]: fallback.url },
    statements: [allow(["dynamodb:PutItem"], [table.arn], "WriteRecords"), useTableKey(table.keyArn, region), allow(["sqs:SendMessage"], [fallback.arn], "FallBackToQueue")],
    ...common,
  });

  const retry = new BundledFunction(scope, "retry-worker", {
    handler: "retry-worker",
    functionName: n.fn("retry-worker"),
    roleName: n.roleIn("retry-worker", role, "primary"),
    timeoutSeconds: RETRY_WORKER_TIMEOUT_S,
    environment: { ...replicationEnv(env), [ENV.TABLE_NAME]: table.name },
    statements: [
      allow(["dynamodb:PutItem"], [table.arn], "WriteRecords"),
      useTableKey(table.keyArn, region),
      // What Lambda's SQS event source needs of the role (Lambda developer guide, with-sqs.html).
      allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [fallback.arn], "ConsumeFallbackQueue"),
    ],
    ...common,
  });
  queueConsumer(scope, "fallback-to-retry-worker", { functionArn: retry.fn.arn, queue: fallback, batchSize: 10, after: [retry.policy] });
  queueDepthAlarm(scope, "fallback-dlq-depth", {
    queueName: n.fallbackDlq,
    threshold: env.alarms.dlqDepth,
    actions: props.alarmActions,
    what: "Confirmed users failed to reach the replicated table even through the fallback queue.",
  });

  return {
    trigger,
    fallbackUrl: fallback.url,
    allowInvokeFrom: (poolArn) => {
      allowCognitoInvoke(scope, "cognito-invokes-post-confirmation", { functionName: trigger.fn.functionName, poolArn, statementId: "AllowCognitoPostConfirmation" });
    },
  };
}
