import { describe, expect, it } from "vitest";
import { readCaptureConfig } from "./config";

const base = {
  AWS_REGION: "us-east-1",
  CAPTURE_USER_POOL_ID: "us-east-1_Primary1",
  TABLE_NAME: "cdr-test-users",
  CAPTURE_IGNORED_ROLE_PREFIX: "cdr-test-",
};

describe("readCaptureConfig", () => {
  it("defaults: a quarter of the read quota over two instances, ten users at once, 30-day records", () => {
    expect(readCaptureConfig(base)).toMatchObject({
      region: "us-east-1",
      poolId: "us-east-1_Primary1",
      tableName: "cdr-test-users",
      ttlDays: 30,
      quotaShare: 0.25,
      maxConcurrency: 2,
      userConcurrency: 10,
      ignoredRoleArns: new Set(),
      ignoredRolePrefix: "cdr-test-",
    });
  });

  it("region role and trust in the attribute: unset is the one-way primary (sub only); DR trusts it; the primary trusts it when told (two-way)", () => {
    expect(readCaptureConfig(base)).toMatchObject({ regionRole: "primary", trustAttribute: false });
    expect(readCaptureConfig({ ...base, TRUST_CANONICAL_ID_ATTRIBUTE: "true" })).toMatchObject({ regionRole: "primary", trustAttribute: true });
    expect(readCaptureConfig({ ...base, REGION_ROLE: "dr" })).toMatchObject({ regionRole: "dr", trustAttribute: true });
    expect(readCaptureConfig({ ...base, REGION_ROLE: "dr", TRUST_CANONICAL_ID_ATTRIBUTE: "true" }).trustAttribute).toBe(true);
  });

  it.each([
    [{ REGION_ROLE: "secondary" }, 'Environment variable REGION_ROLE must be one of "primary", "dr" (got "secondary")'],
    [{ TRUST_CANONICAL_ID_ATTRIBUTE: "yes" }, 'Environment variable TRUST_CANONICAL_ID_ATTRIBUTE must be "true" or "false" (got "yes")'],
    [{ REGION_ROLE: "dr", TRUST_CANONICAL_ID_ATTRIBUTE: "false" }, /TRUST_CANONICAL_ID_ATTRIBUTE must be "true" \(or unset\) where REGION_ROLE is "dr"/],
  ])("%o fails naming the variable", (override, message) => {
    expect(() => readCaptureConfig({ ...base, ...override })).toThrow(message);
  });

  it("reads the role ARNs, the share, the mapping's concurrency", () => {
    const c = readCaptureConfig({
      ...base,
      CAPTURE_IGNORED_ROLE_PREFIX: "",
      CAPTURE_IGNORED_ROLE_ARNS: "arn:aws:iam::123456789012:role/cdr-test-replicator, arn:aws:iam::123456789012:role/ops/operator",
      CAPTURE_QUOTA_SHARE: "0.5",
      CAPTURE_MAX_CONCURRENCY: "4",
      MAX_CONCURRENCY: "3",
    });
    expect(c).toMatchObject({ quotaShare: 0.5, maxConcurrency: 4, userConcurrency: 3, ignoredRolePrefix: undefined });
    expect([...c.ignoredRoleArns]).toEqual(["arn:aws:iam::123456789012:role/cdr-test-replicator", "arn:aws:iam::123456789012:role/ops/operator"]);
  });

  it.each([
    [{ CAPTURE_USER_POOL_ID: "" }, "Environment variable CAPTURE_USER_POOL_ID is required but not set"],
    [{ CAPTURE_USER_POOL_ID: "us-west-2_Dr" }, /CAPTURE_USER_POOL_ID must be a user pool of this function's region us-east-1/],
    [{ TABLE_NAME: "" }, "Environment variable TABLE_NAME is required but not set"],
    [{ CAPTURE_IGNORED_ROLE_PREFIX: "" }, /CAPTURE_IGNORED_ROLE_ARNS or CAPTURE_IGNORED_ROLE_PREFIX is required/],
    [{ CAPTURE_IGNORED_ROLE_ARNS: "cdr-test-replicator" }, /CAPTURE_IGNORED_ROLE_ARNS must list IAM role ARNs \(got "cdr-test-replicator"\)/],
    [{ CAPTURE_IGNORED_ROLE_ARNS: "arn:aws:sts::123456789012:assumed-role/r/s" }, /must list IAM role ARNs/],
    [{ CAPTURE_QUOTA_SHARE: "2" }, /CAPTURE_QUOTA_SHARE must be a number between 0.01 and 1/],
    [{ CAPTURE_MAX_CONCURRENCY: "1" }, /CAPTURE_MAX_CONCURRENCY must be an integer between 2 and 1000/],
    [{ AWS_REGION: "" }, /AWS_REGION is required/],
  ])("%o fails naming the variable", (override, message) => {
    expect(() => readCaptureConfig({ ...base, ...override })).toThrow(message);
  });
});
