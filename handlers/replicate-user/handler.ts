// DynamoDB stream consumer: makes each user of this region's pool (TARGET_USER_POOL_ID) match its
// record. In the DR region it applies the primary's records to the DR pool (REGION_ROLE "dr", the
// default); in two-way mode a second one in the primary region applies DR-born changes to the
// primary pool (REGION_ROLE "primary"). Same code, the role picks the directory items it keeps.
// - REMOVE (TTL expiry), records written in this region (loop safety: origin is where the change
//   was made, D5) and every key containing "#" (directory and control items, not records) are skipped.
// - A tombstone (the user was deleted in the other region) deletes or disables its copies (DELETION_POLICY).
// - Records of one user apply in stream order; users run concurrently, bounded.
// - Retryable failures (after the SDK's adaptive retries) become batch item failures;
//   permanent ones are parked with their reason and count as handled.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { TABLE_KEY } from "../contract";
import { classifyAwsError } from "../shared/classify";
import type { ReplicatorConfig } from "../shared/env";
import { ReplicationError, TransientError } from "../shared/errors";
import { addByDimension, count, lag, METRIC, type DimensionedMetrics } from "../shared/metrics";
import { orderByKey } from "../shared/ordering";
import { park } from "../shared/park";
import { isNotARecordKey, tableDirectory } from "../replication/dr-directory";
import { fromItem, type ReplicatedUser } from "../replication/record";
import { applyTombstone } from "../replication/tombstone";
import { upsertDrUser } from "../replication/upsert";

export interface ReplicatorDeps {
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  /** The table's replica in this region (DR user items, tombstone lookups). */
  ddb: Pick<DynamoDBClient, "send">;
  sqs: Pick<SQSClient, "send">;
  config: ReplicatorConfig;
  logger: Logger;
  metrics: DimensionedMetrics;
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

/**
 * How long a record whose email another canonical id holds (CANONICAL_ID_CONFLICT,
 * CONFLICT_SAME_EMAIL) is retried before it is parked.
 */
export const CONFLICT_GRACE_MS = 120_000;

/**
 * A record not started while less than this is left of the invocation becomes a batch item failure
 * (retried in the next batch) instead of being cut off by the timeout, which would retry the whole
 * batch. It covers one user's worst case: 6 attempts of at most 5 s each (index.ts) and backoff.
 */
export const START_MARGIN_MS = 35_000;

const CONFLICT_REASONS: ReadonlySet<string> = new Set(["CANONICAL_ID_CONFLICT", "CONFLICT_SAME_EMAIL"]);

/**
 * The kinds of change a record carries and when the earliest happened: change capture says so;
 * a PostConfirmation record is a confirmation at its version; anything else (backfill, reconcile,
 * redrive) is a `record` written at its version.
 */
export function changesOf(record: ReplicatedUser): { kinds: string[]; at: number } {
  if (record.changeKinds && record.changeKinds.length > 0) return { kinds: record.changeKinds, at: record.changedAt ?? record.version };
  return { kinds: [record.version === record.confirmedAt ? "confirm" : "record"], at: record.version };
}

export function makeHandler(deps: ReplicatorDeps) {
  const { logger, metrics, config } = deps;
  const directory = tableDirectory(deps.ddb, config.tableName, config.targetPoolId, config.regionRole, deps.now);
  const ctx = { cognito: deps.cognito, userPoolId: config.targetPoolId, config: config.replication, directory, deletionPolicy: config.deletionPolicy };

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
    const lags: Array<[string, number]> = [];
    const tombstones: Array<[string, number]> = [];
    const skip = (r: DynamoDBRecord, why: string): void => {
      count(metrics, METRIC.Skipped);
      logger.debug("record skipped", { eventID: r.eventID, why });
    };

    async function apply(r: DynamoDBRecord, record: ReplicatedUser): Promise<void> {
      const previousEmail = previousEmailOf(r);
      const changed = changesOf(record);
      if (record.deleted) {
        const result = await applyTombstone(ctx, record, { policy: config.deletionPolicy, previousEmail });
        tombstones.push([result.action, 1]);
        if (result.action !== "unchanged") for (const kind of changed.kinds) lags.push([kind, deps.now() - changed.at]);
        const message = result.found === 0 ? "tombstone: no DR user carries this canonical id (reconcile reports one both lookups missed)" : "tombstone applied";
        logger.info(message, { eventID: r.eventID, canonicalId: record.canonicalId, action: result.action, policy: config.deletionPolicy, found: result.found, changes: result.changes });
        return;
      }
      const result = await upsertDrUser(ctx, record, { previousEmail });
      count(metrics, METRIC.Replicated);
      if (result.action !== "unchanged") {
        // For a newly confirmed user version == confirmedAt; for updates, lag since the change.
        lag(metrics, deps.now() - Math.max(record.confirmedAt, record.version));
        for (const kind of changed.kinds) lags.push([kind, deps.now() - changed.at]);
      }
      logger.info("user replicated", { eventID: r.eventID, canonicalId: record.canonicalId, action: result.action, changes: result.changes });
    }

    async function processRecord(r: DynamoDBRecord): Promise<void> {
      if (context && context.getRemainingTimeInMillis() < START_MARGIN_MS) {
        count(metrics, METRIC.Failed);
        throw new TransientError(`not started: ${context.getRemainingTimeInMillis()} ms left of the invocation; retried in the next batch`);
      }
      if (r.eventName === "REMOVE") return skip(r, "REMOVE events (TTL expiry) never delete DR users");
      // Before parsing: directory items of either pool and control items, not records (and must not
      // be parked as invalid ones).
      if (isNotARecordKey(userKeyOf(r) ?? "")) return skip(r, "a directory or control item, not a user record");
      let record: ReplicatedUser | undefined;
      try {
        record = fromItem(r.dynamodb?.NewImage);
        if (record.originRegion === config.region) return skip(r, "written in this region");
        const last = applied.get(record.canonicalId);
        if (last !== undefined && record.version <= last) return skip(r, "an equal or newer version was applied in this batch");
        await apply(r, record);
        applied.set(record.canonicalId, record.version);
      } catch (err) {
        let e = classifyAwsError(err);
        if (CONFLICT_REASONS.has(e.reason) && record && deps.now() - (record.changedAt ?? record.version) < CONFLICT_GRACE_MS) {
          // The user holding this email may be the copy of a user just deleted in the other region,
          // whose tombstone change capture is still carrying (CloudTrail's delivery has no bound), or
          // one half of an email swap still on its way: retry a young record before parking it as a
          // conflict for a person.
          e = new TransientError(`the email is held by another canonical id; retried for ${CONFLICT_GRACE_MS / 1000} s in case a deletion is on its way`, { cause: e });
        }
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
      addByDimension(metrics, "kind", METRIC.ChangeToDrLagMs, MetricUnit.Milliseconds, lags.map(([k, ms]) => [k, Math.max(0, ms)] as const));
      addByDimension(metrics, "action", METRIC.TombstonesApplied, MetricUnit.Count, tombstones);
    }
  };
}
