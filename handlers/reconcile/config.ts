// The scheduled reconcile's configuration, read once per cold start from the
// variables the DR stack sets (names in ../contract.ts).
import { ENV, REPLICATION_MODES } from "../contract";
import { ConfigError, oneOf, optionalNumber, readReplicationConfig, readTtlDays, requireString, type EnvSource } from "../shared/env";
import type { ReconcileConfig } from "./handler";

function flag(env: EnvSource, name: string): boolean {
  const raw = env[name]?.trim() ?? "false";
  if (raw !== "true" && raw !== "false") throw new ConfigError(name, `must be "true" or "false" (got "${raw}")`);
  return raw === "true";
}

/** The environment's replication mode: the DR stack sets it in two-way mode (unset: one-way, as before two-way existed). */
export const REPLICATION_MODE_VARIABLE = ENV.REPLICATION_MODE;

export function readReconcileConfig(env: EnvSource): ReconcileConfig {
  return {
    primaryRegion: requireString(env, ENV.PRIMARY_REGION),
    primaryPoolName: requireString(env, ENV.PRIMARY_USER_POOL_NAME),
    drRegion: requireString(env, "AWS_REGION"),
    targetPoolId: requireString(env, ENV.TARGET_USER_POOL_ID),
    tableName: requireString(env, ENV.TABLE_NAME),
    apply: flag(env, ENV.RECONCILE_APPLY),
    allowDelete: flag(env, ENV.RECONCILE_ALLOW_DELETE),
    quotaShare: optionalNumber(env, ENV.RECONCILE_QUOTA_SHARE, 0.5, { min: 0.01, max: 1 }),
    ttlDays: readTtlDays(env),
    replication: readReplicationConfig(env),
    mode: oneOf(env, REPLICATION_MODE_VARIABLE, REPLICATION_MODES, "one-way"),
    passIntervalMinutes: optionalNumber(env, ENV.RECONCILE_PASS_INTERVAL_MINUTES, 24 * 60, { min: 1, max: 31 * 24 * 60, integer: true }),
    // Lambda's maximum timeout (900 s) less a margin for saving the checkpoint; the context caps it too.
    timeBudgetSeconds: optionalNumber(env, ENV.RECONCILE_TIME_BUDGET_SECONDS, 840, { min: 1, max: 900 }),
  };
}

/** The reconcile bucket's name (the DR stack sets it whenever the schedule is on). */
export function readReconcileBucket(env: EnvSource): string {
  return requireString(env, ENV.RECONCILE_BUCKET);
}
