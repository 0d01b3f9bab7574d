import { describe, expect, it } from "vitest";
import {
  AttributeRejectedError,
  BlockedByEarlierFailureError,
  CanonicalIdConflictError,
  GroupNotFoundError,
  InvalidRecordError,
  isReplicationError,
  MissingRequiredAttributeError,
  REASONS,
  ReplicationError,
  SameEmailConflictError,
  ThrottledError,
  TransientError,
  UserNotConfirmedError,
} from "./errors";

describe("replication errors", () => {
  // The reason is what metrics, the park queue and redrive group by; retryable decides retry vs park;
  // the name is what a logged error and String(err) show.
  it.each([
    ["ReplicationError", new ReplicationError("TRANSIENT", "m", true), "TRANSIENT", true],
    ["InvalidRecordError", new InvalidRecordError("m"), "INVALID_RECORD", false],
    ["MissingRequiredAttributeError", new MissingRequiredAttributeError("email"), "MISSING_REQUIRED_ATTRIBUTE", false],
    ["AttributeRejectedError", new AttributeRejectedError("name", "m"), "ATTRIBUTE_REJECTED", false],
    ["CanonicalIdConflictError", new CanonicalIdConflictError("m"), "CANONICAL_ID_CONFLICT", false],
    ["SameEmailConflictError", new SameEmailConflictError("c1", "c2"), "CONFLICT_SAME_EMAIL", false],
    ["GroupNotFoundError", new GroupNotFoundError("admins"), "GROUP_NOT_FOUND", false],
    ["UserNotConfirmedError", new UserNotConfirmedError("FORCE_CHANGE_PASSWORD"), "NOT_CONFIRMED", false],
    ["ThrottledError", new ThrottledError("m"), "THROTTLED", true],
    ["TransientError", new TransientError("m"), "TRANSIENT", true],
    ["BlockedByEarlierFailureError", new BlockedByEarlierFailureError(), "BLOCKED_BY_EARLIER_FAILURE", true],
  ] as const)("%s carries its name, reason code and retryability", (name, err, reason, retryable) => {
    expect(isReplicationError(err)).toBe(true);
    expect(REASONS).toContain(reason);
    expect(err).toMatchObject({ name, reason, retryable });
    expect(String(err)).toBe(`${name}: ${err.message}`);
  });

  it("isReplicationError is false for anything else", () => {
    expect(isReplicationError(new Error("m"))).toBe(false);
    expect(isReplicationError({ reason: "TRANSIENT", retryable: true })).toBe(false);
  });

  it("messages name the attribute, group or status, never a value", () => {
    expect(new MissingRequiredAttributeError("email").message).toBe('required attribute "email" has no value');
    expect(new AttributeRejectedError("custom:tier", "not a replicated attribute").message).toBe('attribute "custom:tier": not a replicated attribute');
    expect(new AttributeRejectedError(undefined, "rejected by the service").message).toBe("rejected by the service");
    expect(new GroupNotFoundError("admins").message).toBe('group "admins" does not exist in the DR pool');
    expect(new UserNotConfirmedError("FORCE_CHANGE_PASSWORD").message).toMatch(/^the DR pool created the user as FORCE_CHANGE_PASSWORD, not CONFIRMED.*then redrive$/);
  });

  it("a same-email conflict names both canonical ids and nothing else of the users", () => {
    const err = new SameEmailConflictError("6a7b8c9d-0000-4000-8000-000000000001", "0c0c0c0c-0000-4000-8000-00000000000c");
    expect(err.message).toMatch(/carries canonical id 0c0c0c0c-0000-4000-8000-00000000000c, this record's is 6a7b8c9d-0000-4000-8000-000000000001:/);
    expect(err.message).not.toMatch(/@/);
    expect(err).toMatchObject({ canonicalId: "6a7b8c9d-0000-4000-8000-000000000001", holderCanonicalId: "0c0c0c0c-0000-4000-8000-00000000000c" });
  });

  it("a blocked record says why by default", () => {
    expect(new BlockedByEarlierFailureError().message).toBe("an earlier record of the same user failed in this batch");
    expect(new BlockedByEarlierFailureError("custom").message).toBe("custom");
  });

  it("an invalid record without schema issues lists none", () => {
    expect(new InvalidRecordError("rejected by the service").issues).toEqual([]);
    expect(new InvalidRecordError("m", ["version: expected number"]).issues).toEqual(["version: expected number"]);
  });

  it("keeps the cause it is given", () => {
    const cause = new Error("sdk");
    expect(new GroupNotFoundError("g", { cause }).cause).toBe(cause);
    expect(new TransientError("m", { cause }).cause).toBe(cause);
  });
});
