// Scheduled reconcile (DR region): the same `reconcilePools` the operator CLI runs,
// rate-limited to a share of Cognito's quotas. It reports drift in its log and as
// metrics, repairs it when the environment says so, and fails the invocation when
// drift remains, so the function's errors alarm fires (the schedule does not retry).
// Two-way mode: it also finds DR users the primary lacks (missing_in_primary, D12) but only reports
// them: it runs in DR and has no write grant on the primary pool; `npm run reconcile -- --apply`
// (or the primary region's replicator, once the record arrives) copies them.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { addByDimension, type DimensionedMetrics } from "../shared/metrics";
import { tableDirectory } from "../replication/dr-directory";
import { COGNITO_QUOTAS, type QuotaCategory } from "../replication/cognito-quotas";
import { RegionLimiter } from "../replication/rate-limit";
import { poolIdByName } from "../replication/find-pool";
import { CAPTURED_KINDS, reconcilePools, type ReconcileResult } from "../replication/reconcile";
import type { ReplicationConfig } from "../replication/replication-config";
import { readRecord } from "../replication/table";
import type { ReplicationMode } from "../contract";

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
}

export interface ReconcileDepsIn {
  config: ReconcileConfig;
  primary: Pick<CognitoIdentityProviderClient, "send">;
  dr: Pick<CognitoIdentityProviderClient, "send">;
  /** DynamoDB in the DR region. */
  ddb: Pick<DynamoDBClient, "send">;
  logger: Logger;
  metrics: DimensionedMetrics;
}

export class DriftRemainsError extends Error {
  override readonly name = "DriftRemainsError";
}

export interface ReconcileSummary {
  counts: ReconcileResult["counts"];
  missedByCapture: ReconcileResult["missedByCapture"];
  unrepaired: number;
  seconds: number;
}

export function makeHandler(deps: ReconcileDepsIn) {
  const { config, logger, metrics } = deps;
  const rates = Object.fromEntries(Object.entries(COGNITO_QUOTAS).map(([k, q]) => [k, q * config.quotaShare])) as Record<QuotaCategory, number>;
  let primaryPoolId: string | undefined;
  const directory = tableDirectory(deps.ddb, config.tableName, config.targetPoolId);

  return async function handler(): Promise<ReconcileSummary> {
    const primary = new RegionLimiter(config.primaryRegion, rates).wrap(deps.primary);
    const dr = new RegionLimiter(config.drRegion, rates).wrap(deps.dr);
    // Found by name at run time: the DR stack holds no reference to the primary stack.
    primaryPoolId ??= await poolIdByName(primary, config.primaryPoolName, config.primaryRegion);
    const mode = config.mode ?? "one-way";
    const result = await reconcilePools(
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
      },
      // No primary-pool write grant here: missing_in_primary is reported, never repaired.
      // The listing sizes its segment walks for the UserList rate this run's limiters allow.
      { apply: config.apply, allowDelete: config.allowDelete, repairInPrimary: false, listRate: rates.UserList },
    );
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
      listing: result.listing,
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
    return { counts: result.counts, missedByCapture: result.missedByCapture, unrepaired: result.unrepaired, seconds: result.seconds };
  };
}
