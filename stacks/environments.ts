// The one typed configuration of every environment. Stacks, scripts, the sandbox
// and the benchmarks all read it, so a region or a name changes in one place.
// No account ids or secrets here: the remote state bucket comes from env vars.
// The types and per-environment constants are in settings.ts (re-exported here).
import type { DnsFailoverSettings } from "../modules/dns-failover";
import type { AppClientSettings } from "../modules/user-pool";
import { COGNITO_QUOTAS, type QuotaCategory } from "../handlers/replication/cognito-quotas";
import { DEFAULT_REPLICATOR_QUOTA_SHARE } from "../handlers/replication/pacing";
import { DEFAULT_REPLICATED_ATTRIBUTES, type ReplicationMode } from "../handlers/contract";
import { APP_TAG, DEFAULT_SANDBOX_PORT, DEPLOY_MODES, ENV_NAMES, RECONCILE_SCHEDULES, type AlarmNotifications, type ChangeCaptureSettings, type ArcSettings, type EmailSettings, type EnvName, type Environment, type ReplicationSettings, type StateBackend, type TrailSetting, type Unset } from "./settings";

export * from "./settings";

type Env = Record<string, string | undefined>;

function regionsFor(name: EnvName, env: Env): { primaryRegion: string; drRegion: string } {
  const key = name.toUpperCase();
  return {
    primaryRegion: env[`${key}_PRIMARY_REGION`] ?? env.PRIMARY_REGION ?? "us-east-1",
    drRegion: env[`${key}_DR_REGION`] ?? env.DR_REGION ?? "us-west-2",
  };
}

/**
 * `<ENV>_STATE_BUCKET` (or `STATE_BUCKET`): the primary stack's bucket, in the primary region.
 * `<ENV>_DR_STATE_BUCKET` (or `DR_STATE_BUCKET`): the DR stack's, in the DR region; by default
 * `<primary bucket>-<dr region>`. `<ENV>_STATE_KEY_PREFIX` names the objects in both.
 */
function backendFor(name: EnvName, regions: { primaryRegion: string; drRegion: string }, env: Env): StateBackend {
  const keyPrefix = env[`${name.toUpperCase()}_STATE_KEY_PREFIX`] ?? `cognito-dr/${name}`;
  if (name === "local") {
    if (env.LOCAL_STATE !== "s3") return { kind: "local", dir: env.LOCAL_STATE_DIR ?? ".sandbox/state" };
    const bucket = (region: string) => ({ bucket: `cdr-local-state-${region}`, region });
    return { kind: "s3", keyPrefix, useLockfile: true, primary: bucket(regions.primaryRegion), dr: bucket(regions.drRegion), endpoint: sandboxEndpoint(env) };
  }
  const key = name.toUpperCase();
  const primary = setting(env, name, "STATE_BUCKET");
  const dr = setting(env, name, "DR_STATE_BUCKET") ?? (primary ? `${primary}-${regions.drRegion}` : undefined);
  // A placeholder keeps `synth` working without credentials; plan and deploy refuse it.
  const unset: Unset | undefined = primary ? undefined : { what: "Terraform state buckets", variables: [`${key}_STATE_BUCKET (and ${key}_DR_STATE_BUCKET, default <bucket>-${regions.drRegion})`], required: true };
  return {
    kind: "s3",
    keyPrefix,
    useLockfile: true,
    primary: { bucket: primary ?? `${UNSET}-set-${key}_STATE_BUCKET`, region: regions.primaryRegion },
    dr: { bucket: dr ?? `${UNSET}-set-${key}_DR_STATE_BUCKET`, region: regions.drRegion },
    unset,
  };
}

const PER_ENV: Record<EnvName, Pick<Environment, "logRetentionDays" | "alarms">> = {
  local: { logRetentionDays: 7, alarms: { lambdaErrors: 1, dlqDepth: 1, iteratorAgeMs: 60_000 } },
  dev: { logRetentionDays: 14, alarms: { lambdaErrors: 5, dlqDepth: 1, iteratorAgeMs: 300_000 } },
  staging: { logRetentionDays: 30, alarms: { lambdaErrors: 3, dlqDepth: 1, iteratorAgeMs: 120_000 } },
  prod: { logRetentionDays: 90, alarms: { lambdaErrors: 1, dlqDepth: 1, iteratorAgeMs: 60_000 } },
};

/** A placeholder value that marks an unset setting (synth keeps working; plan and deploy check for it). */
export const UNSET = "UNSET";

/**
 * `<ENV>_ALARM_EMAILS` (comma-separated), `<ENV>_ALARM_HTTPS_ENDPOINT`, `<ENV>_ALARM_TOPIC_ARN` and
 * `<ENV>_DR_ALARM_TOPIC_ARN` (existing topics in the primary / DR region). `local` defaults to one
 * address (the sandbox delivers nowhere); dev may run without (warned); staging and prod refuse.
 */
/** `<ENV>_<NAME>`, else the unprefixed `<NAME>` (what the workflows set for the environment they run). */
function setting(env: Env, name: EnvName, variable: string): string | undefined {
  return (env[`${name.toUpperCase()}_${variable}`] ?? env[variable])?.trim() || undefined;
}

function notificationsFor(name: EnvName, env: Env): AlarmNotifications {
  const key = name.toUpperCase();
  const emails = (setting(env, name, "ALARM_EMAILS") ?? (name === "local" ? "oncall@example.com" : ""))
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const httpsEndpoint = setting(env, name, "ALARM_HTTPS_ENDPOINT");
  const existingTopicArns = { primary: setting(env, name, "ALARM_TOPIC_ARN"), dr: setting(env, name, "DR_ALARM_TOPIC_ARN") };
  if (emails.length > 0 || httpsEndpoint || (existingTopicArns.primary && existingTopicArns.dr)) return { emails, httpsEndpoint, existingTopicArns };
  const unset: Unset = {
    what: "alarm notifications",
    variables: [`${key}_ALARM_EMAILS`, `${key}_ALARM_HTTPS_ENDPOINT`, `${key}_ALARM_TOPIC_ARN + ${key}_DR_ALARM_TOPIC_ARN`],
    required: name !== "dev",
  };
  // A placeholder subscriber keeps synth and validate working; deploy refuses it.
  return { emails: name === "dev" ? [] : [`${UNSET}-set-${key}_ALARM_EMAILS@example.invalid`], existingTopicArns, unset };
}

/**
 * `<ENV>_SES_FROM`, `<ENV>_SES_IDENTITY` (the identity's name, e.g. `example.com` or an address,
 * verified in both regions) or the ARNs themselves as `<ENV>_SES_IDENTITY_ARN` /
 * `<ENV>_DR_SES_IDENTITY_ARN`, and optionally `<ENV>_SES_CONFIGURATION_SET` (same name in both
 * regions). `local` keeps Cognito's default sender (the sandbox's outbox); dev may (warned).
 */
function emailFor(name: EnvName, regions: { primaryRegion: string; drRegion: string }, env: Env): EmailSettings {
  if (name === "local") return { kind: "cognito-default" };
  const key = name.toUpperCase();
  const from = setting(env, name, "SES_FROM");
  const identity = setting(env, name, "SES_IDENTITY");
  const primary = setting(env, name, "SES_IDENTITY_ARN") ?? identity;
  const dr = setting(env, name, "DR_SES_IDENTITY_ARN") ?? identity;
  const configurationSet = setting(env, name, "SES_CONFIGURATION_SET");
  if (from && primary && dr) {
    for (const [which, value, region] of [["primary", primary, regions.primaryRegion], ["DR", dr, regions.drRegion]] as const) {
      if (value.startsWith("arn:") && value.split(":")[3] !== region) {
        throw new Error(`Environment "${name}": the ${which} SES identity ${value} must be in ${region}, the ${which} pool's region`);
      }
    }
    return { kind: "ses", from, identities: { primary, dr }, configurationSet };
  }
  const unset: Unset = { what: "SES email", variables: [`${key}_SES_FROM`, `${key}_SES_IDENTITY (or ${key}_SES_IDENTITY_ARN and ${key}_DR_SES_IDENTITY_ARN)`], required: name !== "dev" };
  if (name === "dev") return { kind: "cognito-default", unset };
  const placeholder = `${UNSET}-set-${key}_SES_IDENTITY.example.invalid`;
  return { kind: "ses", from: `${UNSET}-set-${key}_SES_FROM@example.invalid`, identities: { primary: placeholder, dr: placeholder }, unset };
}

/** Settings of `env` that are not configured yet (plan and deploy refuse the required ones). */
export function unsetSettings(env: Environment): Unset[] {
  const out: Unset[] = [];
  if (env.backend.kind === "s3" && env.backend.unset) out.push(env.backend.unset);
  if (env.notifications.unset) out.push(env.notifications.unset);
  if (env.email.unset) out.push(env.email.unset);
  return out;
}

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

/**
 * `<ENV>_ARC_CLUSTER_ENDPOINTS` (`<region>=<url>,...`, from DescribeCluster), `<ENV>_ARC_PRIMARY_CONTROL_ARN`
 * and `<ENV>_ARC_DR_CONTROL_ARN`: all three or none.
 */
function arcFor(name: EnvName, env: Env): ArcSettings | undefined {
  const endpoints = setting(env, name, "ARC_CLUSTER_ENDPOINTS");
  const primary = setting(env, name, "ARC_PRIMARY_CONTROL_ARN");
  const dr = setting(env, name, "ARC_DR_CONTROL_ARN");
  if (!endpoints && !primary && !dr) return undefined;
  const key = name.toUpperCase();
  if (!endpoints || !primary || !dr) throw new Error(`Environment "${name}": ARC needs ${key}_ARC_CLUSTER_ENDPOINTS, ${key}_ARC_PRIMARY_CONTROL_ARN and ${key}_ARC_DR_CONTROL_ARN together`);
  const clusterEndpoints = endpoints.split(",").map((pair) => {
    const [region, url] = pair.split("=").map((x) => x?.trim());
    if (!region || !url?.startsWith("https://")) throw new Error(`Environment "${name}": ${key}_ARC_CLUSTER_ENDPOINTS entries are <region>=https://<endpoint> (got "${pair}")`);
    return { region, url };
  });
  return { clusterEndpoints, primaryControlArn: primary, drControlArn: dr };
}

/** Days the stack's own trail keeps its log files (the events that matter reach EventBridge at once). */
const TRAIL_RETENTION_DAYS: Record<EnvName, number> = { local: 7, dev: 30, staging: 30, prod: 90 };

const TRAIL_ARN = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):\d{12}:trail\/.+$/;

/**
 * An existing trail's ARN from `variable`, or the stack's own trail. `region`: the trail must be
 * that region's (the DR trail: EventBridge receives a call's events in the call's region).
 */
function trailFor(name: EnvName, env: Env, variable: string): TrailSetting {
  const key = name.toUpperCase();
  const arn = setting(env, name, variable);
  if (!arn) return { kind: "own", retentionDays: TRAIL_RETENTION_DAYS[name] };
  const match = TRAIL_ARN.exec(arn);
  if (!match) throw new Error(`Environment "${name}": ${key}_${variable} must be a trail's ARN (got ${arn})`);
  return { kind: "existing", arn };
}

/**
 * `<ENV>_CLOUDTRAIL_TRAIL_ARN` / `<ENV>_DR_CLOUDTRAIL_TRAIL_ARN` (an existing trail that logs the
 * primary / DR region, no trail of our own there) and `<ENV>_DELETION_POLICY` (delete | disable).
 */
function changeCaptureFor(name: EnvName, env: Env): ChangeCaptureSettings {
  const key = name.toUpperCase();
  const policy = setting(env, name, "DELETION_POLICY") ?? "delete";
  if (policy !== "delete" && policy !== "disable") throw new Error(`Environment "${name}": ${key}_DELETION_POLICY must be delete or disable (got ${policy})`);
  return {
    trail: trailFor(name, env, "CLOUDTRAIL_TRAIL_ARN"),
    // Any region: a multi-Region trail (an organization's, say) is named by its home region and
    // logs the DR region too. The smoke checks that it logs there (scripts/operator/capture-wiring.ts).
    drTrail: trailFor(name, env, "DR_CLOUDTRAIL_TRAIL_ARN"),
    deletionPolicy: policy,
    quotaShare: 0.25,
    maxConcurrency: 2,
    batchWindowSeconds: 1,
  };
}

/** `<ENV>_REPLICATOR_QUOTA_SHARE`: the replicator's share of the target region's Cognito quotas, (0, 1]. */
function quotaShareFor(name: EnvName, env: Env): number {
  const raw = setting(env, name, "REPLICATOR_QUOTA_SHARE");
  if (raw === undefined) return DEFAULT_REPLICATOR_QUOTA_SHARE;
  const share = Number(raw);
  if (!(share > 0 && share <= 1)) throw new Error(`Environment "${name}": ${name.toUpperCase()}_REPLICATOR_QUOTA_SHARE must be a number in (0, 1] (got "${raw}")`);
  return share;
}

/**
 * `<ENV>_COGNITO_QUOTAS`: `<category>=<requests/s>,...` for quotas the account had raised (Service
 * Quotas), the same in both regions of the environment (set the lower where they differ). UserUpdate
 * is not adjustable ("Quotas in Amazon Cognito", https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html).
 */
function cognitoQuotasFor(name: EnvName, env: Env): Partial<Record<QuotaCategory, number>> {
  const raw = setting(env, name, "COGNITO_QUOTAS");
  const key = `${name.toUpperCase()}_COGNITO_QUOTAS`;
  const quotas: Partial<Record<QuotaCategory, number>> = {};
  for (const pair of raw ? raw.split(",") : []) {
    const [category, value] = pair.split("=").map((x) => x?.trim());
    if (!category || !(category in COGNITO_QUOTAS)) throw new Error(`Environment "${name}": ${key} names an unknown category "${category ?? ""}" (known: ${Object.keys(COGNITO_QUOTAS).join(", ")})`);
    if (category === "UserUpdate") throw new Error(`Environment "${name}": ${key}: UserUpdate is a fixed quota (25/s), AWS does not raise it`);
    const rate = Number(value);
    const floor = COGNITO_QUOTAS[category as QuotaCategory];
    if (!Number.isFinite(rate) || rate < floor) throw new Error(`Environment "${name}": ${key}: ${category} must be a number of requests/s at or above AWS's default ${floor} (got "${value ?? ""}")`);
    quotas[category as QuotaCategory] = rate;
  }
  return quotas;
}

/**
 * `<ENV>_REPLICATION_MODE` (or `REPLICATION_MODE`): `one-way` (default) or `two-way` (this project's
 * replication), or `native` (Cognito's multi-Region replication: one-way, by AWS's design).
 */
function modeFor(name: EnvName, env: Env): Pick<ReplicationSettings, "engine" | "mode"> {
  const value = setting(env, name, "REPLICATION_MODE") ?? "one-way";
  if (!(DEPLOY_MODES as readonly string[]).includes(value)) {
    const key = `${name.toUpperCase()}_REPLICATION_MODE`;
    const variable = env[key]?.trim() ? key : "REPLICATION_MODE";
    throw new Error(`Environment "${name}": ${variable} must be one of ${DEPLOY_MODES.join(", ")} (got "${value}")`);
  }
  return value === "native" ? { engine: "native", mode: "one-way" } : { engine: "custom", mode: value as ReplicationMode };
}

export function sandboxEndpoint(env: Env = process.env): string {
  return env.SANDBOX_ENDPOINT ?? `http://127.0.0.1:${DEFAULT_SANDBOX_PORT}`;
}

/**
 * The settings: the process environment, over GitHub's configuration variables when a workflow
 * passes them whole (`DEPLOY_VARS: ${{ toJSON(vars) }}`), so every `<ENV>_*` setting reaches the
 * scripts without each workflow listing each variable. GitHub matches variable names without
 * regard to case; they are upper-cased here.
 */
export function withGithubVars(env: Env): Env {
  const raw = env.DEPLOY_VARS?.trim();
  if (!raw) return env;
  let vars: unknown;
  try {
    vars = JSON.parse(raw);
  } catch {
    throw new Error("DEPLOY_VARS is not JSON (expected ${{ toJSON(vars) }} from a workflow)");
  }
  if (typeof vars !== "object" || vars === null || Array.isArray(vars)) throw new Error("DEPLOY_VARS must be a JSON object of variable names to values");
  const merged: Env = {};
  for (const [k, v] of Object.entries(vars)) if (typeof v === "string") merged[k.toUpperCase()] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") merged[k] = v;
  return merged;
}

/** Builds one environment; `env` is injectable so tests do not depend on the shell. */
export function environment(name: EnvName, rawEnv: Env = process.env): Environment {
  const env = withGithubVars(rawEnv);
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
    backend: backendFor(name, { primaryRegion, drRegion }, env),
    replication: {
      ...modeFor(name, env),
      attributes: [...DEFAULT_REPLICATED_ATTRIBUTES],
      customAttributes: [],
      recordTtlDays: 30,
      quotaShare: quotaShareFor(name, env),
      cognitoQuotas: cognitoQuotasFor(name, env),
    },
    appClient: appClientFor(name, env),
    deletionProtection: name === "prod",
    deployCommit: env.DEPLOY_COMMIT?.trim() || "unrecorded",
    sandboxEndpoint: name === "local" ? sandboxEndpoint(env) : undefined,
    dnsFailover: dnsFailoverFor(name, { primaryRegion, drRegion }, env),
    arc: arcFor(name, env),
    reconcile: { ...RECONCILE_SCHEDULES[name] },
    changeCapture: changeCaptureFor(name, env),
    notifications: notificationsFor(name, env),
    email: emailFor(name, { primaryRegion, drRegion }, env),
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
