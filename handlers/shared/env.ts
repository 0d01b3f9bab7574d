// Validated configuration from environment variables, read once per cold start.
// Every failure names the variable, so a wiring mistake in a stack shows up as one
// clear line in the function's first log instead of an obscure SDK error later.
import { DELETION_POLICIES, ENV, REGION_ROLES, SIGNUP_POLICIES, type DeletionPolicy, type RegionRole, type SignupPolicy } from "../contract";
import { COGNITO_QUOTAS, type QuotaCategory } from "../replication/cognito-quotas";
import { DEFAULT_REPLICATOR_QUOTA_SHARE, IN_FLIGHT_LIMITS, replicatorPacing } from "../replication/pacing";
import { replicationConfig, ReplicationConfigError, type ReplicationConfig } from "../replication/replication-config";

export type EnvSource = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Environment variable ${variable} ${problem}`);
  }
}

export function requireString(env: EnvSource, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, "is required but not set");
  return value;
}

export function optionalNumber(env: EnvSource, name: string, fallback: number, range: { min: number; max: number; integer?: boolean }): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value)) || value < range.min || value > range.max) {
    throw new ConfigError(name, `must be ${range.integer ? "an integer" : "a number"} between ${range.min} and ${range.max} (got "${raw}")`);
  }
  return value;
}

/** Comma-separated list; unset means the default, set-but-empty means an empty list. */
export function optionalList(env: EnvSource, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** One of `allowed`; unset means `fallback`. */
export function oneOf<T extends string>(env: EnvSource, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")} (got "${raw}")`);
  return raw as T;
}

export function queueUrl(env: EnvSource, name: string): string {
  const value = requireString(env, name);
  if (!/^https?:\/\/\S+$/.test(value)) throw new ConfigError(name, `must be an SQS queue URL (got "${value}")`);
  return value;
}

export function readReplicationConfig(env: EnvSource): ReplicationConfig {
  const variable = {
    attributes: ENV.REPLICATED_ATTRIBUTES,
    required: ENV.REPLICATED_ATTRIBUTES,
    customAttributes: ENV.REPLICATED_CUSTOM_ATTRIBUTES,
    canonicalIdAttribute: ENV.CANONICAL_ID_ATTRIBUTE,
  } as const;
  try {
    return replicationConfig({
      attributes: optionalList(env, ENV.REPLICATED_ATTRIBUTES),
      customAttributes: optionalList(env, ENV.REPLICATED_CUSTOM_ATTRIBUTES),
      canonicalIdAttribute: env[ENV.CANONICAL_ID_ATTRIBUTE]?.trim() || undefined,
    });
  } catch (err) {
    if (err instanceof ReplicationConfigError) throw new ConfigError(variable[err.field], `is invalid: ${err.message}`);
    throw err;
  }
}

export const readTtlDays = (env: EnvSource): number => optionalNumber(env, ENV.RECORD_TTL_DAYS, 30, { min: 1, max: 3650 });

export interface PostConfirmationConfig {
  tableName: string;
  fallbackQueueUrl: string;
  ttlDays: number;
  replication: ReplicationConfig;
}

export function readPostConfirmationConfig(env: EnvSource): PostConfirmationConfig {
  return {
    tableName: requireString(env, ENV.TABLE_NAME),
    fallbackQueueUrl: queueUrl(env, ENV.FALLBACK_QUEUE_URL),
    ttlDays: readTtlDays(env),
    replication: readReplicationConfig(env),
  };
}

export interface ReplicatorConfig {
  region: string;
  targetPoolId: string;
  /** Which pool the target is ("dr" or "primary"): the directory items it keeps (DIRECTORY_KEY_PREFIXES). */
  regionRole: RegionRole;
  parkQueueUrl: string;
  /** The table's replica in this region: the target pool's directory items, tombstone lookups. */
  tableName: string;
  deletionPolicy: DeletionPolicy;
  maxConcurrency: number;
  /** Requests/s per Cognito quota category this function may send (its share of the region's quotas). */
  rates: Record<QuotaCategory, number>;
  replication: ReplicationConfig;
}

/**
 * `REPLICATOR_RATES`: a JSON object of quota category -> requests/s. Unset (a function deployed
 * before the rates existed): the default share of AWS's default quotas.
 */
export function readRates(env: EnvSource, name: string): Record<QuotaCategory, number> {
  const fallback = replicatorPacing(DEFAULT_REPLICATOR_QUOTA_SHARE).rates;
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, `must be a JSON object of quota category to requests per second (got "${raw}")`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ConfigError(name, `must be a JSON object (got "${raw}")`);
  const rates = { ...fallback };
  for (const [category, rate] of Object.entries(parsed)) {
    if (!(category in COGNITO_QUOTAS)) throw new ConfigError(name, `names an unknown quota category "${category}" (known: ${Object.keys(COGNITO_QUOTAS).join(", ")})`);
    if (typeof rate !== "number" || !(rate > 0) || !Number.isFinite(rate)) throw new ConfigError(name, `rate of ${category} must be a positive number (got ${JSON.stringify(rate)})`);
    rates[category as QuotaCategory] = rate;
  }
  return rates;
}

export function readReplicatorConfig(env: EnvSource): ReplicatorConfig {
  return {
    region: requireString(env, "AWS_REGION"),
    targetPoolId: requireString(env, ENV.TARGET_USER_POOL_ID),
    // Default "dr": every replicator deployed before two-way applies records to the DR pool, and
    // must keep reading the `dr#` items it wrote. A value that is neither fails the cold start.
    regionRole: oneOf<RegionRole>(env, ENV.REGION_ROLE, REGION_ROLES, "dr"),
    parkQueueUrl: queueUrl(env, ENV.PARK_QUEUE_URL),
    tableName: requireString(env, ENV.TABLE_NAME),
    // Default `delete`: a user erased in the primary (on request, say) must not remain in DR.
    deletionPolicy: oneOf(env, ENV.DELETION_POLICY, DELETION_POLICIES, "delete"),
    maxConcurrency: optionalNumber(env, ENV.MAX_CONCURRENCY, 10, { min: 1, max: IN_FLIGHT_LIMITS.max, integer: true }),
    rates: readRates(env, ENV.REPLICATOR_RATES),
    replication: readReplicationConfig(env),
  };
}

export interface RetryWorkerConfig {
  tableName: string;
  ttlDays: number;
}

export function readRetryWorkerConfig(env: EnvSource): RetryWorkerConfig {
  return { tableName: requireString(env, ENV.TABLE_NAME), ttlDays: readTtlDays(env) };
}

export interface PreTokenConfig {
  canonicalIdAttribute: string;
  /** Whether this pool's `custom:<attribute>` may name the canonical id (DR; the primary in two-way mode), or only `sub` does (one-way primary). */
  trustAttribute: boolean;
}

/**
 * Both required, not defaulted: a pool whose attribute name differs from the trigger's would
 * silently put DR users' own `sub` into their tokens, and trusting the attribute in the wrong pool
 * would let whoever can write it claim another user's id.
 */
export function readPreTokenConfig(env: EnvSource): PreTokenConfig {
  const name = requireString(env, ENV.CANONICAL_ID_ATTRIBUTE);
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(name)) {
    throw new ConfigError(ENV.CANONICAL_ID_ATTRIBUTE, `must be a custom attribute name without "custom:" (1-20 of A-Z a-z 0-9 _ -, got "${name}")`);
  }
  const trust = requireString(env, ENV.TRUST_CANONICAL_ID_ATTRIBUTE);
  if (trust !== "true" && trust !== "false") throw new ConfigError(ENV.TRUST_CANONICAL_ID_ATTRIBUTE, `must be "true" or "false" (got "${trust}")`);
  return { canonicalIdAttribute: name, trustAttribute: trust === "true" };
}

export interface PreSignUpConfig {
  policy: SignupPolicy;
  /** The table's replica in this region (the failover state item). */
  tableName: string;
}

/** No default policy: a pool whose trigger guessed would either refuse everyone or let anyone in. */
export function readPreSignUpConfig(env: EnvSource): PreSignUpConfig {
  requireString(env, ENV.SIGNUP_POLICY);
  return { policy: oneOf<SignupPolicy>(env, ENV.SIGNUP_POLICY, SIGNUP_POLICIES, "never"), tableName: requireString(env, ENV.TABLE_NAME) };
}
