// What an environment is: the typed settings every stack, script and benchmark reads, and the
// per-environment constants. How an environment is built from env vars is environments.ts.
import type { QuotaCategory } from "../handlers/replication/cognito-quotas";
import type { ReplicationMode } from "../handlers/contract";
import type { DnsFailoverSettings } from "../modules/dns-failover";
import type { AppClientSettings } from "../modules/user-pool";

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

/** An S3 bucket holding one stack's state and its lock file (`use_lockfile`, terraform >= 1.10). */
export interface StateBucket {
  bucket: string;
  region: string;
}

/**
 * Each stack's state lives in its own region, so the DR stack can be planned and applied while
 * the primary region is down. `local` keeps files, or with `LOCAL_STATE=s3` the sandbox's S3
 * (buckets `cdr-local-state-<region>`), which the outage rehearsal uses.
 */
export type StateBackend =
  | { kind: "local"; dir: string }
  | { kind: "s3"; keyPrefix: string; useLockfile: true; primary: StateBucket; dr: StateBucket; endpoint?: string; unset?: Unset };

/**
 * Who replicates the users: this project's own stacks (`custom`: table, capture, replicator), or
 * Cognito's multi-Region replication (`native`: a replica of the primary pool, one-way by AWS's
 * design, driven by the deploy step in scripts/lib/native-replica).
 */
export type ReplicationEngine = "custom" | "native";

/** What `<ENV>_REPLICATION_MODE` takes: the custom engine's two modes, or `native`. */
export const DEPLOY_MODES = ["one-way", "two-way", "native"] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];

export interface ReplicationSettings {
  /** `native` when `<ENV>_REPLICATION_MODE=native` (then `mode` is one-way: AWS replicates primary to secondary only). */
  engine: ReplicationEngine;
  /**
   * `one-way` (default): the primary pool is the source, the DR pool a copy that takes no self
   * sign-ups. `two-way`: the DR stack also captures its pool's changes (sign-ups while failed over
   * included) into its replica, and the primary stack applies DR-originated records to the primary
   * pool (`<ENV>_REPLICATION_MODE`; switching is a deploy of both stacks).
   */
  mode: ReplicationMode;
  /** Standard attributes copied to the DR pool (never `sub` or Cognito-internal ones). */
  attributes: string[];
  /** Custom attributes (without the `custom:` prefix) that also replicate. */
  customAttributes: string[];
  /** Days a staging record stays in the table before TTL removes it. */
  recordTtlDays: number;
  /**
   * Share (0, 1] of the target region's Cognito quotas the replicator may use
   * (`<ENV>_REPLICATOR_QUOTA_SHARE`, default 0.8: the rest for that region's own sign-ups and the tools).
   */
  quotaShare: number;
  /**
   * The account's Cognito quotas where raised above AWS's defaults (`<ENV>_COGNITO_QUOTAS`,
   * e.g. `UserCreation=250`); the replicator's rates, users in flight and batch size follow them.
   */
  cognitoQuotas: Partial<Record<QuotaCategory, number>>;
}

/**
 * The trail that makes one region's Cognito calls reach EventBridge: the stack's own (one region,
 * management write events, its own bucket kept `retentionDays`), or one that already logs them
 * there (e.g. an organization trail).
 */
export type TrailSetting = { kind: "own"; retentionDays: number } | { kind: "existing"; arn: string };

/**
 * Change capture (stacks/change-capture.ts): every change to a user, not only a sign-up, reaches
 * the replicated table through CloudTrail and EventBridge. In the primary region always; in the
 * DR region too in two-way mode.
 */
export interface ChangeCaptureSettings {
  /** The primary region's trail: own, or `<ENV>_CLOUDTRAIL_TRAIL_ARN`. */
  trail: TrailSetting;
  /** The DR region's trail (two-way mode only): own, or `<ENV>_DR_CLOUDTRAIL_TRAIL_ARN`. */
  drTrail: TrailSetting;
  /** What a user deleted in the primary becomes in DR (`<ENV>_DELETION_POLICY`); an erasure must propagate, so `delete` by default. */
  deletionPolicy: "delete" | "disable";
  /** Share of the primary pool's UserRead quota the re-reads may use. */
  quotaShare: number;
  /** Function instances at once: the queue mapping's maximum concurrency (Lambda's minimum is 2). */
  maxConcurrency: number;
  /** Seconds the mapping gathers a batch: one user's quick successive changes coalesce. */
  batchWindowSeconds: number;
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
  /** Route 53 Application Recovery Controller routing controls the break-glass failover flips, when configured. */
  arc?: ArcSettings;
  /** The scheduled reconcile in the DR stack (handlers/replication/reconcile.ts as a Lambda). */
  reconcile?: ReconcileSchedule;
  /** Change capture in the primary stack (and, in two-way mode, the DR stack). */
  changeCapture: ChangeCaptureSettings;
  /** Who alarms reach, in both regions. */
  notifications: AlarmNotifications;
  /** How each region's pool sends email (EMAIL_OTP codes, verification). */
  email: EmailSettings;
  /**
   * The commit being deployed (DEPLOY_COMMIT, which the pipeline scripts set from git): each stack
   * records it as its `deployed_commit` output, so a later deploy can refuse to go backwards.
   */
  deployCommit: string;
}

/** A setting that must be configured before plan/deploy of this environment: the variables that set it. */
export interface Unset {
  what: string;
  variables: string[];
  /** true: plan/deploy refuse; false: they warn (dev). */
  required: boolean;
}

export interface AlarmNotifications {
  /** Email addresses subscribed to each stack's alarm topic (they confirm by email). */
  emails: string[];
  /** An HTTPS endpoint (a paging service's SNS integration) subscribed to each topic. */
  httpsEndpoint?: string;
  /** Existing topics, per region, that every alarm also notifies (their policy must let CloudWatch publish). */
  existingTopicArns: { primary?: string; dr?: string };
  /** Set when nothing is configured: synth works, plan/deploy refuse (or warn in dev). */
  unset?: Unset;
}

/**
 * Cognito's default sender allows 50 emails a day per account (Cognito developer guide, "Quotas"):
 * far too few when every DR sign-in of a replicated user is an EMAIL_OTP email. Outside `local`,
 * pools send through SES (`DEVELOPER`) with a verified identity in **their own region** (the DR
 * pool must not depend on the primary region's SES; user-pool-email.html: "Typically, the Region in
 * the SourceArn and the user pool Region are the same").
 */
export type EmailSettings =
  | { kind: "cognito-default"; unset?: Unset }
  | {
      kind: "ses";
      /** The From address, e.g. `Example <no-reply@example.com>`. */
      from: string;
      /** The verified SES identity in each region: its name (a domain or an address) or its ARN. */
      identities: { primary: string; dr: string };
      configurationSet?: string;
      unset?: Unset;
    };

/**
 * Routing controls (one per region) of an ARC cluster. ARC keeps at least three of the cluster's five
 * regional endpoints available for state changes and tells callers to try each in turn (ARC developer
 * guide, "Getting and updating routing control states using the ARC API").
 */
export interface ArcSettings {
  clusterEndpoints: Array<{ region: string; url: string }>;
  primaryControlArn: string;
  drControlArn: string;
}

export interface ReconcileSchedule {
  enabled: boolean;
  /**
   * Minutes between the starts of two full passes (a pass lists both pools and compares them; at
   * scale it spans several invocations).
   */
  passIntervalMinutes: number;
  /**
   * Minutes between the schedule's invocations: each starts a due pass or continues the one in
   * progress. Not less than the function's timeout (15 minutes), so two never overlap.
   */
  tickMinutes: number;
  /** Repair drift (true) or only report it and fail the run, raising the errors alarm (false). */
  apply: boolean;
  /** With apply: also delete DR users the primary no longer has. */
  allowDelete: boolean;
  /** Share (0..1] of each Cognito quota a run may use, leaving the rest to the replicator. */
  quotaShare: number;
  /**
   * The function's memory. The compare invocation keeps the listings in /tmp and holds one of 64
   * partitions of them at a time (handlers/replication/user-partitions.ts), one stored unit while
   * it reads them (a sixteenth of a pool: ~140 MB at 2 million users), the group memberships and
   * the drift found. More memory also buys CPU for the comparison (Lambda allocates CPU in
   * proportion to memory).
   */
  memoryMb: number;
  /**
   * The function's /tmp (Lambda: 512 to 10,240 MB), where the compare invocation spills both pools'
   * listings: about 330 bytes a listed user (`npx tsx bench/reconcile-heap/run.ts`: a 40-character
   * email and a name; more with more replicated attributes), 1.3 GB for 2 × 2 million users, so
   * 3,072 MB leaves room. Unset: Lambda's 512 MB, room for about 750,000 users a pool. The function
   * logs `spilledMb`.
   */
  ephemeralStorageMb?: number;
}

/**
 * Per environment: on/off, how often a full pass starts, and whether it repairs. `local` deploys it
 * like dev does: the sandbox fires schedules as EventBridge Scheduler would (its role's trust and
 * invoke permission decided), but only when a test or a person asks (`POST
 * /__sandbox/scheduler/fire`), so a tick never lands inside another test. Every environment
 * repairs: with change capture, what a pass finds is what capture missed, and prod should not wait
 * for a person to copy it to DR. None deletes DR users (an erasure capture missed is reported, and
 * the pass fails, which alarms). The tick is the function's timeout: a 2-million-user pass (about
 * 74 minutes of listing at prod's quarter of ListUsers) takes six or seven ticks.
 */
export const RECONCILE_SCHEDULES: Record<EnvName, ReconcileSchedule> = {
  local: { enabled: true, passIntervalMinutes: 60, tickMinutes: 15, apply: true, allowDelete: false, quotaShare: 0.5, memoryMb: 512 },
  dev: { enabled: true, passIntervalMinutes: 60, tickMinutes: 15, apply: true, allowDelete: false, quotaShare: 0.5, memoryMb: 512 },
  staging: { enabled: true, passIntervalMinutes: 6 * 60, tickMinutes: 15, apply: true, allowDelete: false, quotaShare: 0.5, memoryMb: 1024, ephemeralStorageMb: 2048 },
  prod: { enabled: true, passIntervalMinutes: 24 * 60, tickMinutes: 15, apply: true, allowDelete: false, quotaShare: 0.25, memoryMb: 2048, ephemeralStorageMb: 3072 },
};

export const APP_TAG = "cognito-dr-replication";
export const DEFAULT_SANDBOX_PORT = 4599;
