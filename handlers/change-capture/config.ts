// change-capture's configuration, read once per cold start from the variables the stack sets
// (names in ../contract.ts). Every failure names the variable.
import { ENV, REGION_ROLES, type RegionRole } from "../contract";
import type { ReplicationConfig } from "../replication/replication-config";
import { ConfigError, oneOf, optionalList, optionalNumber, readReplicationConfig, readTtlDays, requireString, type EnvSource } from "../shared/env";

export interface CaptureConfig {
  region: string;
  /** This region's role: which directory's reverse items name a deleted user's canonical id. */
  regionRole: RegionRole;
  /**
   * Whether a user's `custom:<canonical attribute>` names its canonical id (D3): the DR pool always,
   * the primary pool in two-way mode (its copies of DR-born users); else the id is the user's sub.
   */
  trustAttribute: boolean;
  /** The pool whose calls are followed; in this function's region. */
  poolId: string;
  tableName: string;
  ttlDays: number;
  replication: ReplicationConfig;
  /** Share (0..1] of the pool's UserRead (and UserList) quota that all instances together may use. */
  quotaShare: number;
  /** The event source mapping's maximum concurrency: the share is split among that many instances. */
  maxConcurrency: number;
  /** Users re-read at once within one batch. */
  userConcurrency: number;
  ignoredRoleArns: ReadonlySet<string>;
  ignoredRolePrefix?: string;
}

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export function readCaptureConfig(env: EnvSource): CaptureConfig {
  const region = requireString(env, "AWS_REGION");
  const poolId = requireString(env, ENV.CAPTURE_USER_POOL_ID);
  if (!poolId.startsWith(`${region}_`)) {
    throw new ConfigError(ENV.CAPTURE_USER_POOL_ID, `must be a user pool of this function's region ${region} (got "${poolId}"): CloudTrail delivers a call's events in the call's region`);
  }
  const arns = optionalList(env, ENV.CAPTURE_IGNORED_ROLE_ARNS) ?? [];
  for (const arn of arns) if (!ROLE_ARN.test(arn)) throw new ConfigError(ENV.CAPTURE_IGNORED_ROLE_ARNS, `must list IAM role ARNs (got "${arn}")`);
  const prefix = env[ENV.CAPTURE_IGNORED_ROLE_PREFIX]?.trim() || undefined;
  // Loop safety from the start: a capture that ignores no role would re-capture the project's own writes.
  if (arns.length === 0 && !prefix) {
    throw new ConfigError(ENV.CAPTURE_IGNORED_ROLE_ARNS, `or ${ENV.CAPTURE_IGNORED_ROLE_PREFIX} is required: the project's own roles (replicator, reconcile, backfill, operators) must not be captured`);
  }
  // Default "primary": capture ran only there before two-way mode.
  const regionRole = oneOf<RegionRole>(env, ENV.REGION_ROLE, REGION_ROLES, "primary");
  const trust = env[ENV.TRUST_CANONICAL_ID_ATTRIBUTE]?.trim();
  if (trust && trust !== "true" && trust !== "false") throw new ConfigError(ENV.TRUST_CANONICAL_ID_ATTRIBUTE, `must be "true" or "false" (got "${trust}")`);
  // The DR pool's users are copies carrying the primary's id in the attribute: read as their own DR
  // sub, every change to one would become a record of a stranger, which the primary would create.
  if (regionRole === "dr" && trust === "false") {
    throw new ConfigError(ENV.TRUST_CANONICAL_ID_ATTRIBUTE, `must be "true" (or unset) where ${ENV.REGION_ROLE} is "dr": DR users carry their canonical id in the attribute`);
  }
  return {
    region,
    regionRole,
    // Unset: false in the primary (one-way deployments, as before), true in DR.
    trustAttribute: trust ? trust === "true" : regionRole === "dr",
    poolId,
    tableName: requireString(env, ENV.TABLE_NAME),
    ttlDays: readTtlDays(env),
    replication: readReplicationConfig(env),
    quotaShare: optionalNumber(env, ENV.CAPTURE_QUOTA_SHARE, 0.25, { min: 0.01, max: 1 }),
    // SQS event source mappings' maximum concurrency is 2 to 1000.
    maxConcurrency: optionalNumber(env, ENV.CAPTURE_MAX_CONCURRENCY, 2, { min: 2, max: 1000, integer: true }),
    userConcurrency: optionalNumber(env, ENV.MAX_CONCURRENCY, 10, { min: 1, max: 100, integer: true }),
    ignoredRoleArns: new Set(arns),
    ignoredRolePrefix: prefix,
  };
}
