// DynamoDB stream consumer (DR region): makes each DR user match its record.
// - REMOVE (TTL expiry) and records written in this region (loop safety) are skipped.
// - Records of one user apply in stream order; users run concurrently, bounded.
// - Retryable failures (after the SDK's adaptive retries) become batch item failures;
//   permanent ones are parked with their reason and count as handled.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { TABLE_KEY } from "../contract";
import { classifyAwsError } from "../shared/classify";
import type { ReplicatorConfig } from "../shared/env";
import { ReplicationError } from "../shared/errors";
import { count, lag, METRIC, type MetricsSink } from "../shared/metrics";
import { orderByKey } from "../shared/ordering";
import { park } from "../shared/park";
import { fromItem, type ReplicatedUser } from "../replication/record";
import { upsertDrUser } from "../replication/upsert";

export interface ReplicatorDeps {
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  sqs: Pick<SQSClient, "send">;
  config: ReplicatorConfig;
  logger: Logger;
  metrics: MetricsSink;
  now: () => number;
}

type Image = Record<string, { S?: string; M?: Record<string, { S?: string }> } | undefined>;

/** The user a stream record belongs to, read leniently (the image may be malformed). */
export function userKeyOf(r: DynamoDBRecord): string | undefined {
  const keys = r.dynamodb?.Keys as Image | undefined;
  const image = (r.dynamodb?.NewImage ?? r.dynamodb?.OldImage) as Image | undefined;
  const key = keys?.[TABLE_KEY]?.S ?? image?.[TABLE_KEY]?.S;
  return typeof key === "string" ? key : undefined;
}

function previousEmailOf(r: DynamoDBRecord): string | undefined {
  const email = (r.dynamodb?.OldImage as Image | undefined)?.attributes?.M?.email?.S;
  return typeof email === "string" ? email : undefined;
}

export function makeHandler(deps: ReplicatorDeps) {
  const { logger, metrics, config } = deps;
  const ctx = { cognito: deps.cognito, userPoolId: config.drUserPoolId, config: config.replication };

  async function parkOrFail(r: DynamoDBRecord, e: ReplicationError, record: ReplicatedUser | undefined): Promise<void> {
    const where = { eventID: r.eventID, sequenceNumber: r.dynamodb?.SequenceNumber, canonicalId: record?.canonicalId ?? userKeyOf(r) };
    try {
      await park(deps.sqs, config.parkQueueUrl, {
        reason: e.reason,
        message: e.message,
        record: record ?? r.dynamodb?.NewImage ?? null,
        eventID: r.eventID,
        sequenceNumber: r.dynamodb?.SequenceNumber,
        parkedAt: deps.now(),
      });
    } catch (parkErr) {
      count(metrics, METRIC.Failed);
      logger.error("record could not be parked; reporting it failed", { ...where, reason: e.reason, parkError: classifyAwsError(parkErr).message });
      throw e;
    }
    count(metrics, METRIC.Parked);
    logger.warn("record parked", { ...where, reason: e.reason, error: e.message });
  }

  return async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
    if (context) logger.addContext(context);
    // Highest version applied per user in this batch: duplicates and stale records are skipped.
    const applied = new Map<string, number>();
    const skip = (r: DynamoDBRecord, why: string): void => {
      count(metrics, METRIC.Skipped);
      logger.debug("record skipped", { eventID: r.eventID, why });
    };

    async function processRecord(r: DynamoDBRecord): Promise<void> {
      if (r.eventName === "REMOVE") return skip(r, "REMOVE events (TTL expiry) never delete DR users");
      let record: ReplicatedUser | undefined;
      try {
        record = fromItem(r.dynamodb?.NewImage);
        if (record.originRegion === config.region) return skip(r, "written in this region");
        const last = applied.get(record.canonicalId);
        if (last !== undefined && record.version <= last) return skip(r, "an equal or newer version was applied in this batch");
        const result = await upsertDrUser(ctx, record, { previousEmail: previousEmailOf(r) });
        applied.set(record.canonicalId, record.version);
        count(metrics, METRIC.Replicated);
        // For a newly confirmed user version == confirmedAt; for updates, lag since the change.
        if (result.action !== "unchanged") lag(metrics, deps.now() - Math.max(record.confirmedAt, record.version));
        logger.info("user replicated", { eventID: r.eventID, canonicalId: record.canonicalId, action: result.action, changes: result.changes });
      } catch (err) {
        const e = classifyAwsError(err);
        if (!e.retryable) return parkOrFail(r, e, record);
        count(metrics, METRIC.Failed);
        logger.warn("record failed; it will be retried", { eventID: r.eventID, canonicalId: record?.canonicalId, reason: e.reason, error: e.message });
        throw e;
      }
    }

    try {
      // Stryker disable next-line ArrayDeclaration: equivalent, an event without Records is refused by the batch processor below whatever this holds
      const run = orderByKey(event.Records ?? [], userKeyOf, config.maxConcurrency);
      const recordHandler = (r: DynamoDBRecord): Promise<void> =>
        run(r, () => processRecord(r)).catch((err: unknown) => {
          if (err instanceof ReplicationError && err.reason === "BLOCKED_BY_EARLIER_FAILURE") {
            count(metrics, METRIC.Failed);
            logger.info("record deferred behind an earlier failure of the same user", { eventID: r.eventID });
          }
          throw err;
        });
      const processor = new BatchProcessor(EventType.DynamoDBStreams);
      return await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
