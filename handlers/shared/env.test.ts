import { describe, expect, it } from "vitest";
import { ConfigError, readPostConfirmationConfig, readPreTokenConfig, readReplicatorConfig, readRetryWorkerConfig } from "./env";

const base = {
  AWS_REGION: "us-west-2",
  TABLE_NAME: "cdr-dev-users",
  FALLBACK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/cdr-dev-fallback",
  TARGET_USER_POOL_ID: "us-west-2_abc",
  PARK_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/123456789012/cdr-dev-park",
};

describe("config loaders", () => {
  it("apply defaults", () => {
    const r = readReplicatorConfig(base);
    expect(r).toMatchObject({ region: "us-west-2", targetPoolId: "us-west-2_abc", regionRole: "dr", tableName: "cdr-dev-users", deletionPolicy: "delete", maxConcurrency: 10 });
    expect(readReplicatorConfig({ ...base, REGION_ROLE: "primary" }).regionRole).toBe("primary");
    expect(readReplicatorConfig({ ...base, DELETION_POLICY: " disable " }).deletionPolicy).toBe("disable");
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
    [{ TABLE_NAME: "" }, "Environment variable TABLE_NAME is required but not set", readReplicatorConfig],
    [{ REGION_ROLE: "secondary" }, 'Environment variable REGION_ROLE must be one of "primary", "dr" (got "secondary")', readReplicatorConfig],
    [{ DELETION_POLICY: "purge" }, 'Environment variable DELETION_POLICY must be one of "delete", "disable" (got "purge")', readReplicatorConfig],
    [{ REPLICATED_ATTRIBUTES: "email,sub" }, /REPLICATED_ATTRIBUTES is invalid: attribute "sub" is Cognito-internal/, readReplicatorConfig],
    [{ REPLICATED_ATTRIBUTES: "name" }, /REPLICATED_ATTRIBUTES is invalid: required attribute "email"/, readReplicatorConfig],
    [{ REPLICATED_CUSTOM_ATTRIBUTES: "canonical_id" }, /REPLICATED_CUSTOM_ATTRIBUTES is invalid/, readReplicatorConfig],
    [{ CANONICAL_ID_ATTRIBUTE: "no spaces" }, /CANONICAL_ID_ATTRIBUTE is invalid/, readReplicatorConfig],
  ] as const)("%o fails naming the variable", (override, message, read) => {
    expect(() => read({ ...base, ...override })).toThrow(message);
  });
});

describe("values as an operator writes them", () => {
  it("throws a ConfigError naming the variable, as Lambda reports a failed cold start", () => {
    expect(() => readRetryWorkerConfig({})).toThrow(expect.objectContaining({ name: "ConfigError", variable: "TABLE_NAME" }));
    expect(() => readRetryWorkerConfig({})).toThrow(ConfigError);
  });

  it("trims surrounding whitespace, and blank counts as unset", () => {
    expect(readRetryWorkerConfig({ TABLE_NAME: "  cdr-dev-users\n", RECORD_TTL_DAYS: " 7 " })).toEqual({ tableName: "cdr-dev-users", ttlDays: 7 });
    expect(() => readRetryWorkerConfig({ TABLE_NAME: "   " })).toThrow("Environment variable TABLE_NAME is required but not set");
    expect(readRetryWorkerConfig({ TABLE_NAME: "t", RECORD_TTL_DAYS: "  " }).ttlDays).toBe(30);
    expect(readReplicatorConfig({ ...base, MAX_CONCURRENCY: "" }).maxConcurrency).toBe(10);
  });

  it.each([
    ["RECORD_TTL_DAYS", "1", 1],
    ["RECORD_TTL_DAYS", "3650", 3650],
    ["MAX_CONCURRENCY", "1", 1],
    ["MAX_CONCURRENCY", "500", 500],
  ])("accepts %s=%s (bounds included)", (variable, value, expected) => {
    const read = variable === "RECORD_TTL_DAYS" ? readRetryWorkerConfig({ ...base, [variable]: value }).ttlDays : readReplicatorConfig({ ...base, [variable]: value }).maxConcurrency;
    expect(read).toBe(expected);
  });

  it.each([
    ["RECORD_TTL_DAYS", "3651", 'Environment variable RECORD_TTL_DAYS must be a number between 1 and 3650 (got "3651")'],
    ["RECORD_TTL_DAYS", "thirty", 'Environment variable RECORD_TTL_DAYS must be a number between 1 and 3650 (got "thirty")'],
    ["RECORD_TTL_DAYS", "Infinity", 'Environment variable RECORD_TTL_DAYS must be a number between 1 and 3650 (got "Infinity")'],
    ["MAX_CONCURRENCY", "501", 'Environment variable MAX_CONCURRENCY must be an integer between 1 and 500 (got "501")'],
    ["MAX_CONCURRENCY", "0", 'Environment variable MAX_CONCURRENCY must be an integer between 1 and 500 (got "0")'],
    ["MAX_CONCURRENCY", "ten", 'Environment variable MAX_CONCURRENCY must be an integer between 1 and 500 (got "ten")'],
  ])("rejects %s=%s, saying what it must be", (variable, value, message) => {
    const read = variable === "RECORD_TTL_DAYS" ? readRetryWorkerConfig : readReplicatorConfig;
    expect(() => read({ ...base, [variable]: value })).toThrow(message);
  });

  it("reads a list with stray commas and spaces; an empty custom list is none", () => {
    const r = readReplicatorConfig({ ...base, REPLICATED_ATTRIBUTES: " email,, name , ", REPLICATED_CUSTOM_ATTRIBUTES: "" });
    expect([...r.replication.replicated]).toEqual(["email", "name"]);
  });

  it("trims the canonical id attribute, and a blank one means the default", () => {
    expect(readReplicatorConfig({ ...base, CANONICAL_ID_ATTRIBUTE: " primary_sub " }).replication.canonicalIdAttribute).toBe("primary_sub");
    expect(readReplicatorConfig({ ...base, CANONICAL_ID_ATTRIBUTE: "  " }).replication.canonicalIdAttribute).toBe("canonical_id");
  });

  it.each([
    ["an https SQS URL", "https://sqs.us-west-2.amazonaws.com/123456789012/cdr-dev-park"],
    ["the local sandbox's plain http URL", "http://127.0.0.1:4599/000000000000/cdr-local-park"],
  ])("accepts %s as a queue URL", (_label, url) => {
    expect(readReplicatorConfig({ ...base, PARK_QUEUE_URL: url }).parkQueueUrl).toBe(url);
  });

  it.each([
    ["a queue ARN", "arn:aws:sqs:us-west-2:123456789012:cdr-dev-park"],
    ["a URL after other text", "QueueUrl=https://sqs.us-west-2.amazonaws.com/123456789012/cdr-dev-park"],
    ["two URLs", "https://sqs.us-west-2.amazonaws.com/1/a https://sqs.us-west-2.amazonaws.com/1/b"],
    ["a scheme only", "https://"],
  ])("rejects %s as a queue URL, quoting it", (_label, url) => {
    expect(() => readReplicatorConfig({ ...base, PARK_QUEUE_URL: url })).toThrow(`Environment variable PARK_QUEUE_URL must be an SQS queue URL (got "${url}")`);
  });

  it("pre-token: the canonical id attribute is required and named without custom:; whether to trust it is required", () => {
    const trust = { TRUST_CANONICAL_ID_ATTRIBUTE: "true" };
    expect(readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: " canonical_id ", ...trust })).toEqual({ canonicalIdAttribute: "canonical_id", trustAttribute: true });
    expect(readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "canonical_id", TRUST_CANONICAL_ID_ATTRIBUTE: " false " })).toEqual({ canonicalIdAttribute: "canonical_id", trustAttribute: false });
    expect(() => readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "canonical_id" })).toThrow("Environment variable TRUST_CANONICAL_ID_ATTRIBUTE is required but not set");
    expect(() => readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "canonical_id", TRUST_CANONICAL_ID_ATTRIBUTE: "yes" })).toThrow('Environment variable TRUST_CANONICAL_ID_ATTRIBUTE must be "true" or "false" (got "yes")');
    expect(() => readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "custom:canonical_id", ...trust })).toThrow(
      'Environment variable CANONICAL_ID_ATTRIBUTE must be a custom attribute name without "custom:" (1-20 of A-Z a-z 0-9 _ -, got "custom:canonical_id")',
    );
    expect(() => readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "a".repeat(21), ...trust })).toThrow(ConfigError);
  });
});

describe("REPLICATOR_RATES (issue 24)", () => {
  const base = { AWS_REGION: "us-west-2", TARGET_USER_POOL_ID: "us-west-2_abc", PARK_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/000000000000/q", TABLE_NAME: "t" };
  it("defaults to 0.8 of AWS's default quotas, and takes what the stack set", () => {
    expect(readReplicatorConfig(base).rates).toEqual({ UserCreation: 40, UserUpdate: 20, UserRead: 96, UserList: 24, UserAccountRecovery: 24 });
    expect(readReplicatorConfig({ ...base, REPLICATOR_RATES: '{"UserCreation":250,"UserUpdate":25}' }).rates).toMatchObject({ UserCreation: 250, UserUpdate: 25, UserRead: 96 });
  });

  it.each([
    ["not json", 'REPLICATOR_RATES must be a JSON object of quota category to requests per second (got "not json")'],
    ["[1]", "REPLICATOR_RATES must be a JSON object"],
    ['{"UserCreate":1}', 'REPLICATOR_RATES names an unknown quota category "UserCreate"'],
    ['{"UserCreation":0}', "rate of UserCreation must be a positive number (got 0)"],
    ['{"UserCreation":"fast"}', 'rate of UserCreation must be a positive number (got "fast")'],
  ])("refuses %s, naming the variable", (raw, message) => {
    expect(() => readReplicatorConfig({ ...base, REPLICATOR_RATES: raw })).toThrow(message);
  });
});

