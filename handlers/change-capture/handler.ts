// Change capture (the followed pool's region): Cognito calls CloudTrail recorded, delivered by an
// EventBridge rule to an SQS queue, and from it to this function by an event source mapping.
//
// Why a queue between the rule and the function: EventBridge would invoke the function once per
// event, so ten quick changes to one user would be ten re-reads and ten record versions. The
// mapping's batching window gathers them, and this function re-reads each distinct user of a batch
// once. Retries and the dead-letter queue come from SQS and Lambda (a failed user's messages become
// visible again; maxReceiveCount moves them to the DLQ), not from code; and the mapping's maximum
// concurrency bounds how many instances re-read at once, which with the per-instance rate limit
// below keeps all of them inside CAPTURE_QUOTA_SHARE of the pool's UserRead quota.
//
// For each user: re-read it (never trust the event), build the record with the shared code, and
// write it as the next version with the conditional put, so late and duplicate events cannot roll
// the user back. A user the pool no longer has becomes a tombstone (a new version marked deleted).
//
// Two-way mode runs it in both regions, each following its own pool and writing records whose
// origin is its own region and pool (D5). The record's canonical id is the user's trusted
// `custom:canonical_id`, else its sub (D3); a deleted user's is read from the directory's reverse
// item (its copy was made by this region's replicator), else it was born here and it is its sub.
// Only the messages of users that failed are retried (partial batch response).
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { COGNITO_QUOTAS } from "../replication/cognito-quotas";
import { recordFromUser, replicable } from "../replication/pool-users";
import { RegionLimiter } from "../replication/rate-limit";
import { tableDirectory } from "../replication/dr-directory";
import { parseRecord, tombstoneRecord, type ReplicatedUser } from "../replication/record";
import { canonicalIdAttributeName } from "../replication/replication-config";
import { attributeMap } from "../replication/attributes";
import { putRecord, readRecord, sameUserState, type PutOutcome } from "../replication/table";
import { classifyAwsError } from "../shared/classify";
import { addByDimension, count, METRIC, type DimensionedMetrics } from "../shared/metrics";
import { semaphore } from "../shared/ordering";
import { parseMessage, type CapturedEvent, type DropReason, type Parsed } from "./cloudtrail";
import type { CaptureConfig } from "./config";
import { readPrimaryUser } from "./reread";

export interface CaptureDeps {
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  ddb: Pick<DynamoDBClient, "send">;
  config: CaptureConfig;
  logger: Logger;
  metrics: DimensionedMetrics;
  now: () => number;
}

/** Drops that mean the event's shape is not what this parser knows: worth a WARN, as AWS may have changed it. */
const UNKNOWN_SHAPE: ReadonlySet<DropReason> = new Set(["not-json", "not-cloudtrail", "no-pool-id", "no-sub", "no-time"]);

/** Per-instance request rates: the configured share of each quota, split among the mapping's instances. */
export function captureRates(config: Pick<CaptureConfig, "quotaShare" | "maxConcurrency">): { UserRead: number; UserList: number } {
  const share = config.quotaShare / config.maxConcurrency;
  return { UserRead: COGNITO_QUOTAS.UserRead * share, UserList: COGNITO_QUOTAS.UserList * share };
}

export function makeHandler(deps: CaptureDeps) {
  const { config, logger, metrics } = deps;
  // One limiter per instance, kept across invocations: the rate is per instance, not per batch.
  const cognito = new RegionLimiter(config.region, captureRates(config)).limit(deps.cognito);
  const parseConfig = { poolId: config.poolId, ignoredRoleArns: config.ignoredRoleArns, ignoredRolePrefix: config.ignoredRolePrefix };
  const directory = tableDirectory(deps.ddb, config.tableName, config.poolId, config.regionRole, deps.now);
  const trusted = (attributes: Record<string, string>): string | undefined =>
    config.trustAttribute ? attributes[canonicalIdAttributeName(config.replication)]?.trim() || undefined : undefined;

  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    if (context) logger.addContext(context);
    const records = event.Records ?? [];
    const parsed = new Map<string, Parsed>(records.map((r) => [r.messageId, parseMessage(r.body, parseConfig)]));
    // Every event of one user in this batch: one re-read, one record version carries them all.
    const byUser = new Map<string, CapturedEvent[]>();
    for (const p of parsed.values()) if (p.ok) byUser.set(p.event.sub, [...(byUser.get(p.event.sub) ?? []), p.event]);

    const accepted: Array<[string, number]> = [];
    const dropped: Array<[string, number]> = [];
    const lags: Array<[string, number]> = [];
    const limit = semaphore(config.userConcurrency);

    async function capture(sub: string, events: CapturedEvent[]): Promise<void> {
      const kinds = [...new Set(events.map((e) => e.kind))].sort();
      const changedAt = Math.max(0, Math.min(...events.map((e) => e.at)));
      const log: { canonicalId: string; sub?: string; kinds: string[]; events: number } = { canonicalId: sub, kinds, events: events.length };
      let record: ReplicatedUser;
      try {
        const started = deps.now();
        const read = await readPrimaryUser(cognito, config.poolId, sub);
        metrics.addMetric(METRIC.CaptureReReadMs, MetricUnit.Milliseconds, Math.max(0, deps.now() - started));
        if (read.found && !replicable(read.user)) {
          logger.info("user not confirmed yet: nothing to replicate (its confirmation is captured)", log);
          return;
        }
        const origin = { originRegion: config.region, originPoolId: config.poolId, now: deps.now(), ttlDays: config.ttlDays, changedAt, changeKinds: kinds };
        const canonicalId = read.found ? (trusted(attributeMap(read.user.Attributes)) ?? sub) : ((await directory.canonicalIdOfSub(sub)) ?? sub);
        if (canonicalId !== sub) Object.assign(log, { canonicalId, sub });
        record = read.found
          ? parseRecord({
              ...recordFromUser(read.user, read.groups, { region: config.region, poolId: config.poolId, config: config.replication, ttlDays: config.ttlDays, now: origin.now }),
              canonicalId,
              changedAt,
              changeKinds: kinds,
            })
          : tombstoneRecord({ ...origin, canonicalId });
      } catch (err) {
        const e = classifyAwsError(err);
        if (e.retryable) throw failed(e, log);
        // This user's data cannot make a record (e.g. a value Cognito allows and the record does
        // not): retrying changes nothing. Reconcile reports it as `invalid`.
        count(metrics, METRIC.CaptureFailed);
        logger.error("user cannot be replicated; its events are dropped (reconcile reports it as invalid)", { ...log, reason: e.reason, error: e.message });
        return;
      }
      let outcome: PutOutcome | "unchanged";
      try {
        // A sign-up's ConfirmSignUp, a repeated disable, a tombstone already written: the table
        // already says this. Skipping saves a write, its replication and a replicator call in DR.
        const current = await readRecord(deps.ddb, config.tableName, record.canonicalId);
        outcome = current && sameUserState(current, record) ? "unchanged" : await putRecord(deps.ddb, config.tableName, record);
      } catch (err) {
        throw failed(classifyAwsError(err), log);
      }
      const written = deps.now();
      if (outcome === "unchanged") {
        count(metrics, METRIC.CaptureUnchanged);
      } else if (outcome === "written") {
        count(metrics, METRIC.CaptureWritten);
        if (record.deleted) count(metrics, METRIC.CaptureTombstones);
        for (const e of events) lags.push([e.kind, Math.max(0, written - e.at)]);
      } else {
        count(metrics, METRIC.CaptureSuperseded);
      }
      logger.info(record.deleted ? "user gone from the pool: tombstone written" : "user captured", { ...log, outcome, version: record.version });
    }

    function failed(e: ReturnType<typeof classifyAwsError>, log: object): Error {
      count(metrics, METRIC.CaptureFailed);
      logger.warn("user not captured; its messages will be retried", { ...log, reason: e.reason, error: e.message });
      return e;
    }

    // Users whose events include a deletion go first: a newcomer reusing a deleted user's email
    // then finds the tombstone already in the table when its own record reaches the replicator.
    const deletionsFirst = [...byUser].filter(([, events]) => events.some((e) => e.kind === "delete"));
    const deletions = new Map(deletionsFirst.map(([sub, events]) => [sub, limit(() => capture(sub, events))]));
    const deletionsDone = Promise.allSettled(deletions.values());
    const work = new Map<string, Promise<void>>(deletions);
    const userWork = (sub: string): Promise<void> => {
      let w = work.get(sub);
      if (!w) {
        w = deletionsDone.then(() => limit(() => capture(sub, byUser.get(sub)!)));
        work.set(sub, w);
      }
      return w;
    };

    async function processMessage(r: SQSRecord): Promise<void> {
      const p = parsed.get(r.messageId)!;
      if (!p.ok) {
        dropped.push([p.reason, 1]);
        const line = { messageId: r.messageId, reason: p.reason, ...p.facts };
        if (UNKNOWN_SHAPE.has(p.reason)) logger.warn("event dropped: not a shape this function knows", line);
        else logger.info("event dropped", line);
        return;
      }
      accepted.push([p.event.kind, 1]);
      await userWork(p.event.sub);
    }

    try {
      const processor = new BatchProcessor(EventType.SQS);
      return await processPartialResponse(event, processMessage, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.publishStoredMetrics();
      addByDimension(metrics, "kind", METRIC.CaptureEvents, MetricUnit.Count, accepted);
      addByDimension(metrics, "reason", METRIC.CaptureDropped, MetricUnit.Count, dropped);
      addByDimension(metrics, "kind", METRIC.ChangeToRecordLagMs, MetricUnit.Milliseconds, lags);
    }
  };
}
