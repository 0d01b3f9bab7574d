import { describe, expect, it } from "vitest";
import { readPostConfirmationConfig, readReplicatorConfig, readRetryWorkerConfig } from "./env";

const base = {
  AWS_REGION: "us-west-2",
  TABLE_NAME: "cdr-dev-users",
  FALLBACK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/cdr-dev-fallback",
  DR_USER_POOL_ID: "us-west-2_abc",
  PARK_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/123456789012/cdr-dev-park",
};

describe("config loaders", () => {
  it("apply defaults", () => {
    const r = readReplicatorConfig(base);
    expect(r).toMatchObject({ region: "us-west-2", drUserPoolId: "us-west-2_abc", maxConcurrency: 10 });
    expect(r.replication.canonicalIdAttribute).toBe("canonical_id");
    expect([...r.replication.replicated]).toContain("phone_number");
    expect(readPostConfirmationConfig(base).ttlDays).toBe(30);
    expect(readRetryWorkerConfig(base)).toEqual({ tableName: "cdr-dev-users", ttlDays: 30 });
  });

  it("read lists and numbers", () => {
    const r = readReplicatorConfig({ ...base, REPLICATED_ATTRIBUTES: "email, name", REPLICATED_CUSTOM_ATTRIBUTES: "tier", MAX_CONCURRENCY: "3" });
    expect([...r.replication.replicated]).toEqual(["email", "name", "custom:tier"]);
    expect(r.maxConcurrency).toBe(3);
  });

  it.each([
    [{ TABLE_NAME: undefined }, "Environment variable TABLE_NAME is required but not set", readPostConfirmationConfig],
    [{ FALLBACK_QUEUE_URL: "fallback" }, /FALLBACK_QUEUE_URL must be an SQS queue URL/, readPostConfirmationConfig],
    [{ RECORD_TTL_DAYS: "0" }, /RECORD_TTL_DAYS must be a number between 1 and 3650/, readRetryWorkerConfig],
    [{ MAX_CONCURRENCY: "2.5" }, /MAX_CONCURRENCY must be an integer/, readReplicatorConfig],
    [{ AWS_REGION: "" }, /AWS_REGION is required/, readReplicatorConfig],
    [{ REPLICATED_ATTRIBUTES: "email,sub" }, /REPLICATED_ATTRIBUTES is invalid: attribute "sub" is Cognito-internal/, readReplicatorConfig],
    [{ REPLICATED_ATTRIBUTES: "name" }, /REPLICATED_ATTRIBUTES is invalid: required attribute "email"/, readReplicatorConfig],
    [{ REPLICATED_CUSTOM_ATTRIBUTES: "canonical_id" }, /REPLICATED_CUSTOM_ATTRIBUTES is invalid/, readReplicatorConfig],
    [{ CANONICAL_ID_ATTRIBUTE: "no spaces" }, /CANONICAL_ID_ATTRIBUTE is invalid/, readReplicatorConfig],
  ] as const)("%o fails naming the variable", (override, message, read) => {
    expect(() => read({ ...base, ...override })).toThrow(message);
  });
});
