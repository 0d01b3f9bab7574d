// Fallback queue consumer (primary region): writes records that post-confirmation
// could not put into the table, with the same never-go-back conditional put. A body
// that is not a valid record fails; the queue's redrive policy moves it to the DLQ.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { classifyAwsError } from "../shared/classify";
import type { RetryWorkerConfig } from "../shared/env";
import { InvalidRecordError } from "../shared/errors";
import { count, METRIC, type MetricsSink } from "../shared/metrics";
import { expiresAtFor, parseRecord, type ReplicatedUser } from "../replication/record";
import { putRecord } from "../replication/table";

export interface RetryWorkerDeps {
  ddb: Pick<DynamoDBClient, "send">;
  config: RetryWorkerConfig;
  logger: Logger;
  metrics: MetricsSink;
  now: () => number;
}

export function parseBody(body: string): ReplicatedUser {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidRecordError("message body is not JSON");
  }
  return parseRecord(json);
}

export function makeHandler(deps: RetryWorkerDeps) {
  const { logger, metrics, config } = deps;

  async function processMessage(message: SQSRecord): Promise<void> {
    try {
      const parsed = parseBody(message.body);
      // A message may have waited in the queue; never stage a record that is about to expire.
      const record = { ...parsed, expiresAt: Math.max(parsed.expiresAt, expiresAtFor(deps.now(), config.ttlDays)) };
      const outcome = await putRecord(deps.ddb, config.tableName, record);
      count(metrics, outcome === "written" ? METRIC.Written : METRIC.Skipped);
      logger.info("fallback record written", { messageId: message.messageId, canonicalId: record.canonicalId, outcome });
    } catch (err) {
      const e = classifyAwsError(err);
      count(metrics, METRIC.Failed);
      logger.warn("fallback record not written", { messageId: message.messageId, reason: e.reason, retryable: e.retryable, error: e.message });
      throw e;
    }
  }

  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    if (context) logger.addContext(context);
    try {
      const processor = new BatchProcessor(EventType.SQS);
      return await processPartialResponse(event, processMessage, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
