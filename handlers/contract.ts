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
} as const;

export type HandlerName = keyof typeof HANDLER_ENTRIES;

export const ENV = {
  /** DynamoDB table holding replicated user records (post-confirmation, retry-worker). */
  TABLE_NAME: "TABLE_NAME",
  /** SQS fallback queue URL used when the table write fails (post-confirmation). */
  FALLBACK_QUEUE_URL: "FALLBACK_QUEUE_URL",
  /** DR user pool id the replicator writes to (replicate-user). */
  DR_USER_POOL_ID: "DR_USER_POOL_ID",
  /** SQS queue URL where the replicator parks permanently failing records (replicate-user). */
  PARK_QUEUE_URL: "PARK_QUEUE_URL",
  /** Comma-separated standard attributes that replicate. */
  REPLICATED_ATTRIBUTES: "REPLICATED_ATTRIBUTES",
  /** Comma-separated custom attribute names (without `custom:`) that replicate. */
  REPLICATED_CUSTOM_ATTRIBUTES: "REPLICATED_CUSTOM_ATTRIBUTES",
  /** Custom attribute name (without `custom:`) holding the canonical id. */
  CANONICAL_ID_ATTRIBUTE: "CANONICAL_ID_ATTRIBUTE",
  /**
   * "true": the pre-token trigger takes a user's canonical id from the attribute when set (the DR
   * pool, where the replicator sets it); "false": always from `sub` (the primary pool, where
   * nothing of this project sets it, so a value there is not to be trusted).
   */
  TRUST_CANONICAL_ID_ATTRIBUTE: "TRUST_CANONICAL_ID_ATTRIBUTE",
  /** Days before a staging record expires (post-confirmation, retry-worker). */
  RECORD_TTL_DAYS: "RECORD_TTL_DAYS",
  /** Upper bound of users processed at once in one batch (replicate-user). */
  MAX_CONCURRENCY: "MAX_CONCURRENCY",
  /** Primary region and pool name the scheduled reconcile lists (found by name: no cross-stack reference). */
  PRIMARY_REGION: "PRIMARY_REGION",
  PRIMARY_USER_POOL_NAME: "PRIMARY_USER_POOL_NAME",
  /** "true": the scheduled reconcile repairs drift; "false": it reports only. */
  RECONCILE_APPLY: "RECONCILE_APPLY",
  /** "true": with apply, also delete DR users the primary no longer has. */
  RECONCILE_ALLOW_DELETE: "RECONCILE_ALLOW_DELETE",
  /** Share (0..1] of each Cognito quota the scheduled reconcile may use. */
  RECONCILE_QUOTA_SHARE: "RECONCILE_QUOTA_SHARE",
} as const;

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
/** Number attribute (epoch seconds) that DynamoDB TTL uses to expire staging records. */
export const TTL_ATTRIBUTE = "expiresAt";
/** SQS message attribute carrying a parked record's reason code (the redrive tool groups by it). */
export const PARK_REASON_ATTRIBUTE = "reason";

/**
 * Every Cognito call the shared upsert (handlers/replication/upsert.ts) makes on the DR pool, and no
 * other: the replicator's and the repairing reconcile's IAM grants are built from it, and the
 * upsert's tests fail if it calls anything not listed. AdminDeleteUser removes only a user the
 * upsert itself just created that the pool did not confirm (or its own unconfirmed leftover).
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
