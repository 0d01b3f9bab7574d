// PostConfirmation trigger (primary region; in two-way mode the DR pool's too): stage the
// confirmed user in the table, which replicates to the other region. The record's canonical id is
// the user's own sub and its origin this pool (D3, D5): a self sign-up is always born in the pool
// that confirms it (copies are admin-created and never confirm a sign-up). Cognito waits at most 5 s and fails the
// sign-up if the trigger throws, so this never throws and always returns the event:
// table first, fallback queue second, and a `Lost` metric if both fail. The logger, metrics
// and id source are used through `quiet()`: their failures cannot skip a write or fail a sign-up.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, PostConfirmationTriggerEvent } from "aws-lambda";
import { fromCognitoAttributes } from "../replication/attributes";
import { classifyAwsError } from "../shared/classify";
import { withDeadline } from "../shared/deadline";
import type { PostConfirmationConfig } from "../shared/env";
import { count, METRIC, type MetricsSink } from "../shared/metrics";
import { orElse, quiet } from "../shared/quiet";
import { newRecord, type ReplicatedUser } from "../replication/record";
import { putRecord } from "../replication/table";

/**
 * Hard budgets per call, retries included. With the clients built in index.ts
 * (connect 300 ms + request 600 ms per attempt, 2 attempts) each call would fit in
 * ~1.9 s anyway; the deadlines cap the sum: 1.5 s table + 1.0 s queue = 2.5 s,
 * plus a cold start (~0.5 s), leaves ~2 s of Cognito's 5 s unused.
 */
export const DEFAULT_BUDGETS = { tableMs: 1_500, queueMs: 1_000 } as const;

export interface PostConfirmationDeps {
  ddb: Pick<DynamoDBClient, "send">;
  sqs: Pick<SQSClient, "send">;
  config: PostConfirmationConfig;
  logger: Logger;
  metrics: MetricsSink;
  now: () => number;
  /** Correlation ids for log lines about one confirmation. */
  newId: () => string;
  budgets?: { tableMs: number; queueMs: number };
}

export function makeHandler(deps: PostConfirmationDeps) {
  const { config } = deps;
  const logger = quiet(deps.logger);
  const metrics = quiet(deps.metrics);
  const budgets = deps.budgets ?? DEFAULT_BUDGETS;

  function buildRecord(event: PostConfirmationTriggerEvent): ReplicatedUser {
    return newRecord({
      canonicalId: event.request.userAttributes.sub,
      username: event.userName,
      attributes: fromCognitoAttributes(event.request.userAttributes, config.replication),
      originRegion: event.region,
      originPoolId: event.userPoolId,
      now: deps.now(),
      ttlDays: config.ttlDays,
    });
  }

  async function stage(record: ReplicatedUser, correlationId: string): Promise<void> {
    try {
      const outcome = await withDeadline(budgets.tableMs, (abortSignal) => putRecord(deps.ddb, config.tableName, record, { abortSignal }));
      count(metrics, METRIC.Written);
      logger.info("user staged for replication", { correlationId, canonicalId: record.canonicalId, outcome });
      return;
    } catch (err) {
      const e = classifyAwsError(err);
      logger.warn("table write failed; using the fallback queue", { correlationId, reason: e.reason, error: e.message });
    }
    try {
      const body = JSON.stringify(record);
      await withDeadline(budgets.queueMs, (abortSignal) =>
        deps.sqs.send(new SendMessageCommand({ QueueUrl: config.fallbackQueueUrl, MessageBody: body }), { abortSignal }),
      );
      count(metrics, METRIC.FallbackQueued);
      logger.info("user queued for a later table write", { correlationId, canonicalId: record.canonicalId });
    } catch (err) {
      const e = classifyAwsError(err);
      count(metrics, METRIC.Lost);
      // No user data here: the reconcile tool finds users missing in the DR pool.
      logger.error("user not staged: table and fallback queue both failed", { correlationId, reason: e.reason, error: e.message });
    }
  }

  async function run(event: PostConfirmationTriggerEvent, correlationId: string): Promise<void> {
    if (event.triggerSource !== "PostConfirmation_ConfirmSignUp") {
      logger.debug("not a sign-up confirmation; nothing to replicate", { correlationId, triggerSource: event.triggerSource });
      return;
    }
    let record: ReplicatedUser;
    try {
      record = buildRecord(event);
    } catch (err) {
      const e = classifyAwsError(err);
      count(metrics, METRIC.Failed);
      logger.error("cannot build a replication record", { correlationId, reason: e.reason, error: e.message });
      return;
    }
    await stage(record, correlationId);
  }

  return async function handler(event: PostConfirmationTriggerEvent, context?: Context): Promise<PostConfirmationTriggerEvent> {
    if (context) logger.addContext(context);
    const correlationId = orElse(deps.newId, "no-correlation-id");
    try {
      await run(event, correlationId);
    } /* Stryker disable next-line BlockStatement: unreachable today (every step catches its own errors and the logger is quiet); kept so a future change cannot fail a sign-up */ catch (err) {
      // Belt and braces: a bug here must not fail the user's sign-up.
      // Stryker disable next-line StringLiteral,ObjectLiteral: unreachable today, see above
      logger.error("unexpected error in post-confirmation", { correlationId, error: err as Error });
    } finally {
      metrics.publishStoredMetrics();
    }
    return event;
  };
}
