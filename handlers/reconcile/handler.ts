// Scheduled reconcile (DR region): the same `reconcilePools` the operator CLI runs,
// rate-limited to a share of Cognito's quotas. It reports drift in its log and as
// metrics, repairs it when the environment says so, and fails the invocation when
// drift remains, so the function's errors alarm fires (the schedule does not retry).
// Two-way mode: it also finds DR users the primary lacks (missing_in_primary, D12) but only reports
// them: it runs in DR and has no write grant on the primary pool; `npm run reconcile -- --apply`
// (or the primary region's replicator, once the record arrives) copies them.
//
// A pass outlasts one invocation at scale (2 million users at a quarter of ListUsers' 30 req/s in
// each region: ~74 minutes of listing; an invocation ends at 15), so a pass is carried across
// invocations with a checkpoint in S3 (pass.ts), and the schedule is what continues it: it ticks
// often (`tickMinutes`), and each tick either does nothing (no pass due: the last one started less
// than the pass interval ago), starts a pass, or continues the one in progress until its time
// budget is spent. Chosen over the function invoking itself: no recursion to bound (or for Lambda's
// recursive-loop detection to stop), a crashed or timed-out invocation is resumed by the next tick
// with nothing to re-arm, and the role needs no lambda:InvokeFunction on itself. The log line
// "reconcile finished", the metrics and DriftRemainsError come once per full pass, at its end.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { addByDimension, type DimensionedMetrics } from "../shared/metrics";
import { tableDirectory } from "../replication/dr-directory";
import { COGNITO_QUOTAS, type QuotaCategory } from "../replication/cognito-quotas";
import { RegionLimiter } from "../replication/rate-limit";
import { poolIdByName } from "../replication/find-pool";
import { CAPTURED_KINDS, DEFAULT_CAPTURE_GRACE_MS, reconcilePools, type ReconcileResult } from "../replication/reconcile";
import type { ReplicationConfig } from "../replication/replication-config";
import { FilePartitions, RECONCILE_PARTITIONS, removeStalePartitions } from "../replication/user-partitions";
import { readRecord } from "../replication/table";
import type { ReplicationMode } from "../contract";
import { runInvocation, type InvocationOutcome } from "./pass";
import { settledUsers } from "./settled";
import type { ObjectStore } from "./store";

export interface ReconcileConfig {
  primaryRegion: string;
  primaryPoolName: string;
  drRegion: string;
  targetPoolId: string;
  /** The table's DR replica: the canonical id -> DR user items (which twin to keep; the upsert's lookups). */
  tableName: string;
  apply: boolean;
  allowDelete: boolean;
  /** Share (0..1] of each Cognito quota this run may use. */
  quotaShare: number;
  ttlDays: number;
  replication: ReplicationConfig;
  /** Default one-way. */
  mode?: ReplicationMode;
  /** A new pass starts when the last one started this long ago (minutes). */
  passIntervalMinutes: number;
  /** Work time per invocation (seconds); the Lambda context's remaining time, less a margin, caps it. */
  timeBudgetSeconds: number;
  /** Where the checkpoint and listings live in the bucket. */
  keyPrefix?: string;
}

/** Kept back from the context's remaining time: saving the checkpoint and reporting after the last unit. */
export const CONTEXT_MARGIN_MS = 20_000;

export interface ReconcileDepsIn {
  config: ReconcileConfig;
  primary: Pick<CognitoIdentityProviderClient, "send">;
  dr: Pick<CognitoIdentityProviderClient, "send">;
  /** DynamoDB in the DR region. */
  ddb: Pick<DynamoDBClient, "send">;
  logger: Logger;
  metrics: DimensionedMetrics;
  /** The reconcile bucket: checkpoint and listings. */
  store: ObjectStore;
  now?: () => number;
}

/** What AWS Lambda passes; only the remaining time is read. */
export interface InvocationContext {
  getRemainingTimeInMillis?: () => number;
}

export class DriftRemainsError extends Error {
  override readonly name = "DriftRemainsError";
}

export interface ReconcileSummary {
  status: "completed";
  passId: string;
  /** Invocations the pass took. */
  invocations: number;
  counts: ReconcileResult["counts"];
  missedByCapture: ReconcileResult["missedByCapture"];
  unrepaired: number;
  seconds: number;
}

export function makeHandler(deps: ReconcileDepsIn) {
  const { config, logger, metrics } = deps;
  const rates = Object.fromEntries(Object.entries(COGNITO_QUOTAS).map(([k, q]) => [k, q * config.quotaShare])) as Record<QuotaCategory, number>;
  const directory = tableDirectory(deps.ddb, config.tableName, config.targetPoolId);
  // Once per container, like the clients: limit() adds its metering middleware to an SDK client, and
  // a warm container's token buckets carry over, so back-to-back invocations share one rate.
  const primary = new RegionLimiter(config.primaryRegion, rates).limit(deps.primary);
  const dr = new RegionLimiter(config.drRegion, rates).limit(deps.dr);

  const now = deps.now ?? Date.now;

  return async function handler(_event?: unknown, context?: InvocationContext): Promise<ReconcileSummary | Exclude<InvocationOutcome, { status: "completed" }>> {
    const started = now();
    const budgetEnd = started + config.timeBudgetSeconds * 1000;
    const remainingMs = () => Math.min(budgetEnd - now(), context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() - CONTEXT_MARGIN_MS : Infinity);
    const mode = config.mode ?? "one-way";
    const outcome = await runInvocation({
      store: deps.store,
      prefix: config.keyPrefix ?? "reconcile/",
      identity: { intervalMs: config.passIntervalMinutes * 60_000, mode, primaryPoolName: config.primaryPoolName, drPoolId: config.targetPoolId },
      pools: { primary, dr },
      drPoolId: config.targetPoolId,
      // Found by name at run time: the DR stack holds no reference to the primary stack.
      findPrimaryPool: () => poolIdByName(primary, config.primaryPoolName, config.primaryRegion),
      remainingMs,
      now,
      logger,
      compareReserveMs: (config.timeBudgetSeconds * 1000) / 2,
      compare: async (listings, primaryPoolId, keepRepairing, passStartedAt) => {
        // Users changed while the pass listed are left to the next pass (settled.ts), counted once.
        const changed = new Set<string>();
        // The listings wait for the join in /tmp, a partition at a time in memory (the function's
        // ephemeral storage is sized for them: stacks/settings.ts).
        removeStalePartitions();
        const partitions = new FilePartitions(RECONCILE_PARTITIONS);
        try {
          return await reconcilePools(
            {
              primary,
              dr,
              primaryPoolId,
              drPoolId: config.targetPoolId,
              primaryRegion: config.primaryRegion,
              config: config.replication,
              ttlDays: config.ttlDays,
              directory,
              mode,
              drRegion: config.drRegion,
              // The DR replica's latest record of an id: its origin decides missing_in_primary.
              records: { read: (id) => readRecord(deps.ddb, config.tableName, id) },
              listings,
            },
            // No primary-pool write grant here: missing_in_primary is reported, never repaired.
            // "Missed by capture" is judged as of the listing, not of this comparison an hour later: a
            // change made just before the pass started, still on its way, is not yet capture's miss.
            {
              apply: config.apply,
              allowDelete: config.allowDelete,
              repairInPrimary: false,
              keepRepairing,
              captureGraceMs: DEFAULT_CAPTURE_GRACE_MS + Math.max(0, now() - passStartedAt),
              partitions,
              settle: (p, d) => settledUsers(p, d, passStartedAt, config.replication, mode, changed),
            },
          );
        } finally {
          // What the listings took of /tmp: the figure to size ephemeralStorageMb by.
          logger.info("reconcile listings spilled to /tmp for the comparison", { spilledMb: Math.round(partitions.bytesWritten / 1e5) / 10 });
          partitions.close();
          if (changed.size > 0) logger.info("reconcile pass leaves users changed while it listed to the next pass", { changedDuringPass: changed.size });
        }
      },
    });
    if (outcome.status !== "completed") return outcome;
    const { result } = outcome;
    const found = result.drift.length;
    metrics.addMetric("ReconcileDrift", MetricUnit.Count, found);
    metrics.addMetric("ReconcileUnrepaired", MetricUnit.Count, result.unrepaired);
    // What change capture should have carried: the alarm that says capture is broken watches this.
    const missed = CAPTURED_KINDS.reduce((sum, k) => sum + result.missedByCapture[k], 0);
    metrics.addMetric("ReconcileMissedByCapture", MetricUnit.Count, missed);
    metrics.publishStoredMetrics();
    addByDimension(metrics, "kind", "ReconcileMissedByCapture", MetricUnit.Count, CAPTURED_KINDS.map((k) => [k, result.missedByCapture[k]] as const));
    addByDimension(metrics, "kind", "ReconcileRepairedMissedByCapture", MetricUnit.Count, CAPTURED_KINDS.map((k) => [k, result.repairedMissedByCapture[k]] as const));
    // Canonical ids and kinds only: no emails or attribute values in the log.
    const sample = result.drift.filter((d) => !d.repaired).slice(0, 50).map((d) => ({ kind: d.kind, canonicalId: d.canonicalId, detail: d.detail, error: d.error }));
    logger.info("reconcile finished", {
      mode,
      passId: outcome.passId,
      invocations: outcome.invocations,
      counts: result.counts,
      // Canonical ids and regions only, never the email.
      sameEmail: result.sameEmail.slice(0, 50),
      ...(mode === "two-way" && result.counts.missing_in_primary > 0
        ? { missingInPrimary: `${result.counts.missing_in_primary} DR user(s) missing in the primary are reported only: this function runs in DR without a write grant on the primary pool; npm run reconcile -- --apply copies them` }
        : {}),
      missedByCapture: result.missedByCapture,
      repairedMissedByCapture: result.repairedMissedByCapture,
      unrepaired: result.unrepaired,
      seconds: result.seconds,
      sample,
    });
    if (result.unrepaired > 0) {
      throw new DriftRemainsError(`${result.unrepaired} drift item(s) not repaired (${config.apply ? "apply on" : "report only"}); see the log for the list`);
    }
    return { status: "completed", passId: outcome.passId, invocations: outcome.invocations, counts: result.counts, missedByCapture: result.missedByCapture, unrepaired: result.unrepaired, seconds: result.seconds };
  };
}
