import { describe, expect, it } from "vitest";
import { matchesAny, parseEventPattern, parseFilterCriteria } from "./filter";
import { parseBatchItemFailures } from "./pollers/poller";

const rec = (eventName: string, newImage?: Record<string, unknown>, oldImage?: Record<string, unknown>) => ({
  eventName,
  eventSource: "aws:dynamodb",
  dynamodb: {
    Keys: { pk: { S: "USER#1" } },
    ...(newImage ? { NewImage: newImage } : {}),
    ...(oldImage ? { OldImage: oldImage } : {}),
    SequenceNumber: "100",
  },
});

const f = (...patterns: unknown[]) => parseFilterCriteria({ Filters: patterns.map((p) => ({ Pattern: JSON.stringify(p) })) });

describe("Lambda filter criteria", () => {
  it("no filters pass everything; filters are OR-ed, keys AND-ed", () => {
    expect(matchesAny([], rec("REMOVE"))).toBe(true);
    const p = f({ eventName: ["INSERT"] }, { eventName: ["MODIFY"], dynamodb: { NewImage: { status: { S: ["ACTIVE"] } } } });
    expect(matchesAny(p, rec("INSERT"))).toBe(true);
    expect(matchesAny(p, rec("MODIFY", { status: { S: "ACTIVE" } }))).toBe(true);
    expect(matchesAny(p, rec("MODIFY", { status: { S: "DISABLED" } }))).toBe(false);
    expect(matchesAny(p, rec("REMOVE"))).toBe(false);
  });

  it("prefix, suffix, equals-ignore-case, anything-but", () => {
    expect(matchesAny(f({ dynamodb: { Keys: { pk: { S: [{ prefix: "USER#" }] } } } }), rec("INSERT"))).toBe(true);
    expect(matchesAny(f({ dynamodb: { Keys: { pk: { S: [{ prefix: "ORG#" }] } } } }), rec("INSERT"))).toBe(false);
    expect(matchesAny(f({ dynamodb: { Keys: { pk: { S: [{ suffix: "#1" }] } } } }), rec("INSERT"))).toBe(true);
    expect(matchesAny(f({ eventName: [{ "equals-ignore-case": "insert" }] }), rec("INSERT"))).toBe(true);
    expect(matchesAny(f({ eventName: [{ "anything-but": ["REMOVE"] }] }), rec("REMOVE"))).toBe(false);
    expect(matchesAny(f({ eventName: [{ "anything-but": "REMOVE" }] }), rec("MODIFY"))).toBe(true);
    expect(matchesAny(f({ dynamodb: { Keys: { pk: { S: [{ "anything-but": { prefix: "USER#" } }] } } } }), rec("INSERT"))).toBe(false);
  });

  it("exists on leaves, and numeric only on JSON numbers (DynamoDB N values are strings)", () => {
    const p = f({ dynamodb: { NewImage: { email: { S: [{ exists: true }] } } } });
    expect(matchesAny(p, rec("INSERT", { email: { S: "a@b.c" } }))).toBe(true);
    expect(matchesAny(p, rec("INSERT", {}))).toBe(false);
    const notOld = f({ dynamodb: { OldImage: { pk: { S: [{ exists: false }] } } } });
    expect(matchesAny(notOld, rec("INSERT", {}))).toBe(true);
    expect(matchesAny(notOld, rec("MODIFY", {}, { pk: { S: "USER#1" } }))).toBe(false);
    expect(matchesAny(f({ n: [{ numeric: [">", 0, "<=", 5] }] }), { n: 5 })).toBe(true);
    expect(matchesAny(f({ n: [{ numeric: [">", 0, "<=", 5] }] }), { n: 6 })).toBe(false);
    expect(matchesAny(f({ dynamodb: { NewImage: { v: { N: [{ numeric: [">", 0] }] } } } }), rec("INSERT", { v: { N: "3" } }))).toBe(false);
    expect(matchesAny(f({ dynamodb: { NewImage: { v: { N: ["3"] } } } }), rec("INSERT", { v: { N: "3" } }))).toBe(true);
  });

  it("$or, array fields and null", () => {
    const p = f({ $or: [{ eventName: ["INSERT"] }, { dynamodb: { NewImage: { kind: { S: ["x"] } } } }] });
    expect(matchesAny(p, rec("MODIFY", { kind: { S: "x" } }))).toBe(true);
    expect(matchesAny(p, rec("MODIFY", { kind: { S: "y" } }))).toBe(false);
    expect(matchesAny(f({ tags: ["b"] }), { tags: ["a", "b"] })).toBe(true);
    expect(matchesAny(f({ v: [null] }), { v: null })).toBe(true);
  });

  it("rejects invalid patterns", () => {
    expect(() => parseFilterCriteria({ Filters: [{ Pattern: "not json" }] })).toThrow(/Invalid filter pattern/);
    expect(() => parseFilterCriteria({ Filters: [{ Pattern: JSON.stringify({ eventName: "INSERT" }) }] })).toThrow(/Invalid filter pattern/);
    expect(() => parseFilterCriteria({ Filters: [{ Pattern: JSON.stringify({ eventName: [{ bogus: 1 }] }) }] })).toThrow(/Invalid filter pattern/);
  });
});

describe("batchItemFailures parsing", () => {
  const ids = new Set(["1", "2", "3"]);
  it("success shapes", () => {
    expect(parseBatchItemFailures("null", ids)).toEqual([]);
    expect(parseBatchItemFailures("{}", ids)).toEqual([]);
    expect(parseBatchItemFailures('{"batchItemFailures":[]}', ids)).toEqual([]);
  });
  it("failures and malformed identifiers (whole batch failed)", () => {
    expect(parseBatchItemFailures('{"batchItemFailures":[{"itemIdentifier":"2"}]}', ids)).toEqual(["2"]);
    expect(parseBatchItemFailures('{"batchItemFailures":[{"itemIdentifier":""}]}', ids)).toBeNull();
    expect(parseBatchItemFailures('{"batchItemFailures":[{"itemIdentifier":null}]}', ids)).toBeNull();
    expect(parseBatchItemFailures('{"batchItemFailures":[{"itemIdentifier":"9"}]}', ids)).toBeNull();
    expect(parseBatchItemFailures('{"batchItemFailures":"x"}', ids)).toBeNull();
  });
});

describe("EventBridge event patterns", () => {
  it("accept wildcard, which Lambda's filter criteria refuse", () => {
    const p = parseEventPattern(JSON.stringify({ detail: { eventName: [{ wildcard: "Admin*User" }], userAgent: [{ "anything-but": { wildcard: "*terraform*" } }] } }));
    expect(matchesAny([p], { detail: { eventName: "AdminDisableUser", userAgent: "aws-sdk-js" } })).toBe(true);
    expect(matchesAny([p], { detail: { eventName: "AdminDisableUserX", userAgent: "aws-sdk-js" } })).toBe(false);
    expect(matchesAny([p], { detail: { eventName: "AdminDeleteUser", userAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.11" } })).toBe(true);
    expect(matchesAny([p], { detail: { eventName: "AdminDeleteUser", userAgent: "x terraform y" } })).toBe(false);
    expect(() => parseFilterCriteria({ Filters: [{ Pattern: JSON.stringify({ eventName: [{ wildcard: "A*" }] }) }] })).toThrow(/Invalid filter pattern/);
    expect(() => parseEventPattern("[]")).toThrow(/not a JSON object/);
  });
});
