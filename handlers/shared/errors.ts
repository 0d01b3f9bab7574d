// Typed errors for the replication path. Every failure carries a stable `reason`
// code (metrics, park-queue attribute, redrive grouping) and whether retrying the
// same input can ever succeed. Messages are value-free: they name fields, never
// echo attribute values, so they are safe to log and to park.

export const REASONS = [
  "INVALID_RECORD",
  "MISSING_REQUIRED_ATTRIBUTE",
  "ATTRIBUTE_REJECTED",
  "CANONICAL_ID_CONFLICT",
  "CONFLICT_SAME_EMAIL",
  "GROUP_NOT_FOUND",
  "NOT_CONFIRMED",
  "THROTTLED",
  "TRANSIENT",
  "BLOCKED_BY_EARLIER_FAILURE",
] as const;

export type ReasonCode = (typeof REASONS)[number];

export class ReplicationError extends Error {
  override readonly name: string = "ReplicationError";
  constructor(
    readonly reason: ReasonCode,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The record (or a stream image / message body) does not match the schema. */
export class InvalidRecordError extends ReplicationError {
  override readonly name = "InvalidRecordError";
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super("INVALID_RECORD", message, false);
  }
}

/** An attribute the DR pool requires (e.g. email, its username) has no value. */
export class MissingRequiredAttributeError extends ReplicationError {
  override readonly name = "MissingRequiredAttributeError";
  constructor(readonly attribute: string) {
    super("MISSING_REQUIRED_ATTRIBUTE", `required attribute "${attribute}" has no value`, false);
  }
}

/** An attribute cannot be mapped, or Cognito refused it (InvalidParameter). */
export class AttributeRejectedError extends ReplicationError {
  override readonly name = "AttributeRejectedError";
  constructor(
    readonly attribute: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super("ATTRIBUTE_REJECTED", attribute ? `attribute "${attribute}": ${detail}` : detail, false, options);
  }
}

/** The DR user found for this email carries another (or no) canonical id. */
export class CanonicalIdConflictError extends ReplicationError {
  override readonly name = "CanonicalIdConflictError";
  constructor(detail: string, options?: { cause?: unknown }) {
    super("CANONICAL_ID_CONFLICT", detail, false, options);
  }
}

/**
 * Two canonical ids for one email (two-way mode): the same email signed up in both regions while
 * they were cut off, so the target pool's user with the email is another live person. Never
 * merged: parked for a person, who decides which account keeps the address. The message names both
 * canonical ids (Cognito subs, not personal data) and never the email.
 */
export class SameEmailConflictError extends ReplicationError {
  override readonly name = "SameEmailConflictError";
  constructor(
    readonly canonicalId: string,
    readonly holderCanonicalId: string,
    options?: { cause?: unknown },
  ) {
    super(
      "CONFLICT_SAME_EMAIL",
      `the target pool's user with this email carries canonical id ${holderCanonicalId}, this record's is ${canonicalId}: ` +
        "one email signed up in both regions; never merged, decide which account keeps the email, then redrive",
      false,
      options,
    );
  }
}

export class GroupNotFoundError extends ReplicationError {
  override readonly name = "GroupNotFoundError";
  constructor(
    readonly group: string,
    options?: { cause?: unknown },
  ) {
    super("GROUP_NOT_FOUND", `group "${group}" does not exist in the DR pool`, false, options);
  }
}

/**
 * The DR pool created the user without a password but not as CONFIRMED (FORCE_CHANGE_PASSWORD):
 * Cognito confirms such users only while passwordless sign-in is active and every required
 * attribute has a value. The user could never sign in, so it is removed again and the record
 * parked: fix the pool, then redrive.
 */
export class UserNotConfirmedError extends ReplicationError {
  override readonly name = "UserNotConfirmedError";
  constructor(
    readonly status: string,
    options?: { cause?: unknown },
  ) {
    super(
      "NOT_CONFIRMED",
      `the DR pool created the user as ${status}, not CONFIRMED, so it could not sign in; it was removed again. ` +
        "Check that the DR pool still allows EMAIL_OTP sign-in (ESSENTIALS tier or higher) and that every required attribute has a value, then redrive",
      false,
      options,
    );
  }
}

/** Throttled even after the SDK's own (adaptive) retries. */
export class ThrottledError extends ReplicationError {
  override readonly name = "ThrottledError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("THROTTLED", message, true, options);
  }
}

/** 5xx, timeouts, network and infrastructure errors: the record itself is fine. */
export class TransientError extends ReplicationError {
  override readonly name = "TransientError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("TRANSIENT", message, true, options);
  }
}

/** Not attempted because an earlier record of the same user in the batch failed. */
export class BlockedByEarlierFailureError extends ReplicationError {
  override readonly name = "BlockedByEarlierFailureError";
  constructor(message = "an earlier record of the same user failed in this batch") {
    super("BLOCKED_BY_EARLIER_FAILURE", message, true);
  }
}

export function isReplicationError(err: unknown): err is ReplicationError {
  return err instanceof ReplicationError;
}
