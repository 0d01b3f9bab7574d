// The contract between the stacks and the handlers: the handler entry points that
// get bundled, and the environment variables each one reads. Stacks import these
// names, so renaming a variable here breaks synth tests instead of production.

/** Handler name -> entry file under handlers/. Each entry exports `handler`. */
export const HANDLER_ENTRIES = {
  "post-confirmation": "post-confirmation/index.ts",
  "replicate-user": "replicate-user/index.ts",
  "retry-worker": "retry-worker/index.ts",
  "pre-token": "pre-token/index.ts",
  reconcile: "reconcile/index.ts",
  "change-capture": "change-capture/index.ts",
  "pre-sign-up": "pre-sign-up/index.ts",
} as const;

/**
 * `one-way`: the primary pool is the source, the DR pool a copy (sign-ups refused in DR).
 * `two-way`: each region captures and applies; a record applies only outside its origin region.
 */
export const REPLICATION_MODES = ["one-way", "two-way"] as const;
export type ReplicationMode = (typeof REPLICATION_MODES)[number];

/** A stack's (and its functions') place in an environment. */
export const REGION_ROLES = ["primary", "dr"] as const;
export type RegionRole = (typeof REGION_ROLES)[number];

/**
 * Self sign-up to the DR pool (the pre-sign-up trigger): `never` (one-way mode: the DR pool is a
 * copy) or `while-failed-over` (two-way mode: only while the failover step has opened it, see
 * FAILOVER_CONTROL_KEY). Administrators' creates (the replicator, reconcile) always pass.
 */
export const SIGNUP_POLICIES = ["never", "while-failed-over"] as const;
export type SignupPolicy = (typeof SIGNUP_POLICIES)[number];

/**
 * The replicated table's item that says whether sign-in is failed over to the DR region:
 * `{ state: "failed-over" | "normal", changedAt, by }`, written by `npm run failover` and
 * `npm run failback` (two-way mode), read by the DR pool's pre-sign-up trigger. In the table
 * because the DR replica stays writable while the primary region is down.
 */
export const FAILOVER_CONTROL_KEY = "control#failover";
export const FAILOVER_STATES = ["failed-over", "normal"] as const;
export type FailoverState = (typeof FAILOVER_STATES)[number];

/**
 * Table keys that are not user records contain "#" (canonical ids are Cognito subs, which never
 * do): the directory items of each pool and the control items. The replicator, reconcile and
 * backfill skip them.
 */
export const NOT_A_RECORD_MARK = "#";

export type HandlerName = keyof typeof HANDLER_ENTRIES;

export const ENV = {
  /**
   * The replicated table's replica in the function's region: user records (post-confirmation,
   * retry-worker, change-capture), each pool's directory items (DIRECTORY_KEY_PREFIXES: the
   * replicator and reconcile keep them, change capture reads them) and the failover control item
   * (pre-sign-up reads it).
   */
  TABLE_NAME: "TABLE_NAME",
  /** SQS fallback queue URL used when the table write fails (post-confirmation). */
  FALLBACK_QUEUE_URL: "FALLBACK_QUEUE_URL",
  /**
   * The pool a region's replicator applies records to: its own region's pool (the DR pool; in
   * two-way mode also the primary pool, for records that originate in the DR region).
   */
  TARGET_USER_POOL_ID: "TARGET_USER_POOL_ID",
  /**
   * The function's region role, "primary" or "dr": which directory items (`DIRECTORY_KEY_PREFIXES`)
   * the replicator and change capture keep and read. Same bundle in both regions; the role comes
   * from the stack.
   */
  REGION_ROLE: "REGION_ROLE",
  /** The environment's REPLICATION_MODES entry (the scheduled reconcile; unset: one-way). */
  REPLICATION_MODE: "REPLICATION_MODE",
  /** Who may sign up to the pool by themselves (pre-sign-up): one of SIGNUP_POLICIES. */
  SIGNUP_POLICY: "SIGNUP_POLICY",
  /** SQS queue URL where the replicator parks permanently failing records (replicate-user). */
  PARK_QUEUE_URL: "PARK_QUEUE_URL",
  /** Comma-separated standard attributes that replicate. */
  REPLICATED_ATTRIBUTES: "REPLICATED_ATTRIBUTES",
  /** Comma-separated custom attribute names (without `custom:`) that replicate. */
  REPLICATED_CUSTOM_ATTRIBUTES: "REPLICATED_CUSTOM_ATTRIBUTES",
  /** Custom attribute name (without `custom:`) holding the canonical id. */
  CANONICAL_ID_ATTRIBUTE: "CANONICAL_ID_ATTRIBUTE",
  /**
   * "true": the pre-token trigger and change capture take a user's canonical id from the attribute
   * when set (the DR pool, where the replicator sets it; in two-way mode the primary pool too, whose
   * copies of DR-born users carry it); "false": always from `sub` (the primary pool in one-way mode,
   * where nothing of this project sets it, so a value there is not to be trusted).
   */
  TRUST_CANONICAL_ID_ATTRIBUTE: "TRUST_CANONICAL_ID_ATTRIBUTE",
  /** Days before a staging record expires (post-confirmation, retry-worker). */
  RECORD_TTL_DAYS: "RECORD_TTL_DAYS",
  /** Upper bound of users processed at once in one batch (replicate-user): derived from its rate (replication/pacing.ts). */
  MAX_CONCURRENCY: "MAX_CONCURRENCY",
  /** The replicator's Cognito request rates per quota category, JSON `{"UserCreation":40,...}` (its share of this region's quotas). */
  REPLICATOR_RATES: "REPLICATOR_RATES",
  /** Primary region and pool name the scheduled reconcile lists (found by name: no cross-stack reference). */
  PRIMARY_REGION: "PRIMARY_REGION",
  PRIMARY_USER_POOL_NAME: "PRIMARY_USER_POOL_NAME",
  /** "true": the scheduled reconcile repairs drift; "false": it reports only. */
  RECONCILE_APPLY: "RECONCILE_APPLY",
  /** "true": with apply, also delete DR users the primary no longer has. */
  RECONCILE_ALLOW_DELETE: "RECONCILE_ALLOW_DELETE",
  /** Share (0..1] of each Cognito quota the scheduled reconcile may use. */
  RECONCILE_QUOTA_SHARE: "RECONCILE_QUOTA_SHARE",
  /** The scheduled reconcile's bucket (DR region): its pass checkpoint and the listings of a pass in progress. */
  RECONCILE_BUCKET: "RECONCILE_BUCKET",
  /** Minutes between the starts of two full reconcile passes (the schedule ticks more often to continue one). */
  RECONCILE_PASS_INTERVAL_MINUTES: "RECONCILE_PASS_INTERVAL_MINUTES",
  /** Seconds of work per reconcile invocation (the function's timeout less a margin). */
  RECONCILE_TIME_BUDGET_SECONDS: "RECONCILE_TIME_BUDGET_SECONDS",
  /** What a tombstone does to the DR user (replicate-user): "delete" (default) or "disable". */
  DELETION_POLICY: "DELETION_POLICY",
  /** The user pool whose calls change-capture follows (in its own region: the primary pool in one-way mode). */
  CAPTURE_USER_POOL_ID: "CAPTURE_USER_POOL_ID",
  /** Share (0..1] of that pool's UserRead quota all change-capture instances together may use for re-reads. */
  CAPTURE_QUOTA_SHARE: "CAPTURE_QUOTA_SHARE",
  /**
   * The SQS event source mapping's maximum concurrency (set both from one value): each instance
   * takes CAPTURE_QUOTA_SHARE / this of the quota, so together they stay inside the share.
   */
  CAPTURE_MAX_CONCURRENCY: "CAPTURE_MAX_CONCURRENCY",
  /** Comma-separated IAM role ARNs whose calls are not captured (this project's own roles: loop safety). */
  CAPTURE_IGNORED_ROLE_ARNS: "CAPTURE_IGNORED_ROLE_ARNS",
  /** Role-name prefix whose calls are not captured (e.g. the environment's resource prefix). */
  CAPTURE_IGNORED_ROLE_PREFIX: "CAPTURE_IGNORED_ROLE_PREFIX",
} as const;

/** What a tombstone does to the DR copy of a deleted user. `delete`: an erasure must propagate. */
export const DELETION_POLICIES = ["delete", "disable"] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

/**
 * Key prefix of the items `dr#<canonicalId>` that the replicator writes in the DR region: which DR
 * user carries that canonical id (ListUsers cannot filter on a custom attribute). They live in the
 * replicated table, so they replicate to the primary too, where nothing reads them; they have no
 * `schemaVersion`, which records always have, so a stream filter can drop them.
 */
export const DR_USER_KEY_PREFIX = "dr#";

/**
 * Directory items per pool, by region role: `<prefix><canonicalId>` names the pool's user of a
 * canonical id (the DR pool's keeps DR_USER_KEY_PREFIX), and `<sub prefix><sub>` names the
 * canonical id of a pool user by its `sub` (change capture's lookup for a deleted user, whose
 * CloudTrail event carries only its sub). Each region writes only its own pool's items (one
 * writer per key, so global tables' last-writer-wins never loses one).
 */
export const DIRECTORY_KEY_PREFIXES: Record<RegionRole, { user: string; sub: string }> = {
  dr: { user: DR_USER_KEY_PREFIX, sub: "dr-sub#" },
  primary: { user: "primary#", sub: "primary-sub#" },
};

/**
 * The Cognito API calls (CloudTrail `eventName`, source `aws.cognito-idp`) that change what
 * replicates: the EventBridge rule matches these, and change-capture drops anything else.
 * `Confirm_POST` is managed login's confirmation page (an AwsServiceEvent).
 */
export const CAPTURED_EVENT_NAMES = [
  "AdminCreateUser",
  "SignUp",
  "ConfirmSignUp",
  "AdminConfirmSignUp",
  "Confirm_POST",
  "AdminUpdateUserAttributes",
  "UpdateUserAttributes",
  "AdminDeleteUserAttributes",
  "DeleteUserAttributes",
  "VerifyUserAttribute",
  "AdminDisableUser",
  "AdminEnableUser",
  "AdminDeleteUser",
  "DeleteUser",
  "AdminAddUserToGroup",
  "AdminRemoveUserFromGroup",
  "AdminLinkProviderForUser",
  "AdminDisableProviderForUser",
  "AdminSetUserPassword",
  "RespondToAuthChallenge",
  "AdminRespondToAuthChallenge",
  "ConfirmForgotPassword",
] as const;

/** The Cognito calls change-capture makes on the pool it follows (its IAM grant). */
export const CAPTURE_COGNITO_ACTIONS = ["cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser", "cognito-idp:ListUsers"] as const;

/** The table calls of the replicator and the scheduled reconcile on the DR replica (canonical id -> DR user items, tombstone lookups). */
export const DR_DIRECTORY_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"] as const;

/**
 * Claim the pre-token trigger adds to ID and access tokens in both pools: the
 * canonical user id (the primary pool's `sub`). The token verifier reads it.
 */
export const CANONICAL_ID_CLAIM = "canonical_id";

/** Name of the custom attribute carrying the primary pool's `sub` (the canonical id). */
export const CANONICAL_ID_ATTRIBUTE = "canonical_id";

/** Standard attributes that replicate unless an environment names its own list. */
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

/** Partition key of the replicated-users table (the canonical id, a string). */
export const TABLE_KEY = "canonicalId";
/** Number attribute every user record carries (its schema version); the replicator's own `dr#` items do not. */
export const RECORD_SCHEMA_ATTRIBUTE = "schemaVersion";
/** Number attribute (epoch seconds) that DynamoDB TTL uses to expire staging records. */
export const TTL_ATTRIBUTE = "expiresAt";
/** SQS message attribute carrying a parked record's reason code (the redrive tool groups by it). */
export const PARK_REASON_ATTRIBUTE = "reason";

/**
 * Every Cognito call the shared upsert (handlers/replication/upsert.ts) makes on the DR pool, and no
 * other: the replicator's and the repairing reconcile's IAM grants are built from it, and the
 * upsert's tests fail if it calls anything not listed. AdminDeleteUser removes only a user the
 * upsert itself just created that the pool did not confirm (or its own unconfirmed leftover), a
 * twin (a second DR user of the same canonical id) holding the email the record needs, and (with
 * the replicator's directory and the `delete` policy) the DR copy of a user the primary deleted
 * whose email a new user now has. The replicator's tombstones use AdminDeleteUser/AdminDisableUser too.
 */
export const UPSERT_COGNITO_ACTIONS = [
  "cognito-idp:AdminCreateUser",
  "cognito-idp:AdminGetUser",
  "cognito-idp:AdminUpdateUserAttributes",
  "cognito-idp:AdminDeleteUserAttributes",
  "cognito-idp:AdminEnableUser",
  "cognito-idp:AdminDisableUser",
  "cognito-idp:AdminListGroupsForUser",
  "cognito-idp:AdminAddUserToGroup",
  "cognito-idp:AdminRemoveUserFromGroup",
  "cognito-idp:AdminDeleteUser",
] as const;
