// The one typed configuration of every environment. Stacks, scripts, the sandbox
// and the benchmarks all read it, so a region or a name changes in one place.
// No account ids or secrets here: the remote state bucket comes from env vars.
import type { DnsFailoverSettings } from "../modules/dns-failover";

export type EnvName = "local" | "dev" | "staging" | "prod";
export const ENV_NAMES: readonly EnvName[] = ["local", "dev", "staging", "prod"];

export interface AlarmThresholds {
  /** Lambda errors in one 5-minute period before the errors alarm fires. */
  lambdaErrors: number;
  /** Messages visible in a dead-letter queue before the DLQ alarm fires. */
  dlqDepth: number;
  /** Replicator stream iterator age (ms) before the lag alarm fires. */
  iteratorAgeMs: number;
}

export type StateBackend =
  | { kind: "local"; dir: string }
  | { kind: "s3"; bucket: string; keyPrefix: string; region: string; useLockfile: true };

export interface ReplicationSettings {
  /** Standard attributes copied to the DR pool (never `sub` or Cognito-internal ones). */
  attributes: string[];
  /** Custom attributes (without the `custom:` prefix) that also replicate. */
  customAttributes: string[];
  /** Days a staging record stays in the table before TTL removes it. */
  recordTtlDays: number;
  /** Upper bound of users the replicator works on at once within one batch. */
  maxConcurrency: number;
}

export interface AppClientSettings {
  callbackUrls: string[];
  logoutUrls: string[];
  accessTokenMinutes: number;
  idTokenMinutes: number;
  refreshTokenDays: number;
}

export interface Environment {
  name: EnvName;
  primaryRegion: string;
  drRegion: string;
  /** Prefix of every resource name, e.g. `cdr-dev`. */
  prefix: string;
  tags: Record<string, string>;
  logRetentionDays: number;
  alarms: AlarmThresholds;
  backend: StateBackend;
  replication: ReplicationSettings;
  /** One app client definition, deployed identically to both pools. */
  appClient: AppClientSettings;
  /** Protect pools and the table from deletion (prod). */
  deletionProtection: boolean;
  /** Set only for `local`: every provider endpoint and SDK client points here. */
  sandboxEndpoint?: string;
  /** Route 53 failover of the auth-facing hostname (DR stack). Off unless configured. */
  dnsFailover?: DnsFailoverSettings;
  /** The scheduled reconcile in the DR stack (scripts/lib/reconcile.ts as a Lambda). */
  reconcile?: ReconcileSchedule;
}

export interface ReconcileSchedule {
  enabled: boolean;
  /** EventBridge Scheduler expression, e.g. `rate(1 day)`. */
  schedule: string;
  /** Repair drift (true) or only report it and fail the run, raising the errors alarm (false). */
  apply: boolean;
  /** With apply: also delete DR users the primary no longer has. */
  allowDelete: boolean;
  /** Share (0..1] of each Cognito quota a run may use, leaving the rest to the replicator. */
  quotaShare: number;
}

/** Per environment: on/off, rate, and whether it repairs. The sandbox has no scheduler that invokes Lambda: off. */
export const RECONCILE_SCHEDULES: Record<EnvName, ReconcileSchedule> = {
  local: { enabled: false, schedule: "rate(1 hour)", apply: true, allowDelete: false, quotaShare: 0.5 },
  dev: { enabled: true, schedule: "rate(1 hour)", apply: true, allowDelete: false, quotaShare: 0.5 },
  staging: { enabled: true, schedule: "rate(6 hours)", apply: true, allowDelete: false, quotaShare: 0.5 },
  prod: { enabled: true, schedule: "rate(1 day)", apply: false, allowDelete: false, quotaShare: 0.25 },
};

export const APP_TAG = "cognito-dr-replication";
/** Name of the custom attribute carrying the primary pool's `sub` (the canonical id). */
export const CANONICAL_ID_ATTRIBUTE = "canonical_id";
export const DEFAULT_SANDBOX_PORT = 4599;

export const DEFAULT_REPLICATED_ATTRIBUTES = [
  "email",
  "email_verified",
  "name",
  "given_name",
  "family_name",
  "phone_number",
  "phone_number_verified",
  "locale",
];

type Env = Record<string, string | undefined>;

function regionsFor(name: EnvName, env: Env): { primaryRegion: string; drRegion: string } {
  const key = name.toUpperCase();
  return {
    primaryRegion: env[`${key}_PRIMARY_REGION`] ?? env.PRIMARY_REGION ?? "us-east-1",
    drRegion: env[`${key}_DR_REGION`] ?? env.DR_REGION ?? "us-west-2",
  };
}

function backendFor(name: EnvName, primaryRegion: string, env: Env): StateBackend {
  if (name === "local") return { kind: "local", dir: env.LOCAL_STATE_DIR ?? ".sandbox/state" };
  const key = name.toUpperCase();
  return {
    kind: "s3",
    // A placeholder keeps `synth` working without credentials; `deploy` checks for it.
    bucket: env[`${key}_STATE_BUCKET`] ?? env.STATE_BUCKET ?? "UNSET-set-STATE_BUCKET",
    keyPrefix: env[`${key}_STATE_KEY_PREFIX`] ?? `cognito-dr/${name}`,
    region: env.STATE_BUCKET_REGION ?? primaryRegion,
    useLockfile: true,
  };
}

const PER_ENV: Record<EnvName, Pick<Environment, "logRetentionDays" | "alarms">> = {
  local: { logRetentionDays: 7, alarms: { lambdaErrors: 1, dlqDepth: 1, iteratorAgeMs: 60_000 } },
  dev: { logRetentionDays: 14, alarms: { lambdaErrors: 5, dlqDepth: 1, iteratorAgeMs: 300_000 } },
  staging: { logRetentionDays: 30, alarms: { lambdaErrors: 3, dlqDepth: 1, iteratorAgeMs: 120_000 } },
  prod: { logRetentionDays: 90, alarms: { lambdaErrors: 1, dlqDepth: 1, iteratorAgeMs: 60_000 } },
};

function appClientFor(name: EnvName, env: Env): AppClientSettings {
  const key = name.toUpperCase();
  const base = env[`${key}_APP_URL`] ?? (name === "local" ? "http://localhost:3000" : `https://app.${name}.example.com`);
  return {
    callbackUrls: [`${base}/auth/callback`],
    logoutUrls: [`${base}/auth/logout`],
    accessTokenMinutes: 60,
    idTokenMinutes: 60,
    refreshTokenDays: 30,
  };
}

/**
 * Opt-in per environment: set `<ENV>_DNS_ZONE_ID` and `<ENV>_AUTH_HOSTNAME`, plus
 * `<ENV>_PRIMARY_AUTH_TARGET` / `<ENV>_DR_AUTH_TARGET` (the regional hostnames) and
 * optionally `<ENV>_HEALTH_PATH` (default /health).
 */
function dnsFailoverFor(name: EnvName, regions: { primaryRegion: string; drRegion: string }, env: Env): DnsFailoverSettings | undefined {
  const key = name.toUpperCase();
  const zone = env[`${key}_DNS_ZONE_ID`]?.trim();
  const host = env[`${key}_AUTH_HOSTNAME`]?.trim();
  if (!zone && !host) return undefined;
  const required = (v: string) => {
    const value = env[v]?.trim();
    if (!value) throw new Error(`Environment "${name}": DNS failover is configured, so ${v} must be set too`);
    return value;
  };
  return {
    hostedZoneId: required(`${key}_DNS_ZONE_ID`),
    recordName: required(`${key}_AUTH_HOSTNAME`),
    primary: { region: regions.primaryRegion, target: required(`${key}_PRIMARY_AUTH_TARGET`) },
    secondary: { region: regions.drRegion, target: required(`${key}_DR_AUTH_TARGET`) },
    healthCheckPath: env[`${key}_HEALTH_PATH`]?.trim() || "/health",
  };
}

export function sandboxEndpoint(env: Env = process.env): string {
  return env.SANDBOX_ENDPOINT ?? `http://127.0.0.1:${DEFAULT_SANDBOX_PORT}`;
}

/** Builds one environment; `env` is injectable so tests do not depend on the shell. */
export function environment(name: EnvName, env: Env = process.env): Environment {
  if (!ENV_NAMES.includes(name)) {
    throw new Error(`Unknown environment "${name}". Expected one of: ${ENV_NAMES.join(", ")}`);
  }
  const { primaryRegion, drRegion } = regionsFor(name, env);
  if (primaryRegion === drRegion) {
    throw new Error(`Environment "${name}": primary and DR region are both ${primaryRegion}; they must differ`);
  }
  return {
    name,
    primaryRegion,
    drRegion,
    prefix: `cdr-${name}`,
    tags: { app: APP_TAG, env: name, "managed-by": "cdktf" },
    ...PER_ENV[name],
    backend: backendFor(name, primaryRegion, env),
    replication: {
      attributes: [...DEFAULT_REPLICATED_ATTRIBUTES],
      customAttributes: [],
      recordTtlDays: 30,
      maxConcurrency: 10,
    },
    appClient: appClientFor(name, env),
    deletionProtection: name === "prod",
    sandboxEndpoint: name === "local" ? sandboxEndpoint(env) : undefined,
    dnsFailover: dnsFailoverFor(name, { primaryRegion, drRegion }, env),
    reconcile: { ...RECONCILE_SCHEDULES[name] },
  };
}

export function allEnvironments(env: Env = process.env): Environment[] {
  return ENV_NAMES.map((n) => environment(n, env));
}

export function parseEnvName(value: string | undefined): EnvName {
  if (!value || !ENV_NAMES.includes(value as EnvName)) {
    throw new Error(`--env must be one of ${ENV_NAMES.join(", ")} (got ${value ?? "nothing"})`);
  }
  return value as EnvName;
}
