import { describe, expect, it } from "vitest";
import { attributeMap, fromCognitoAttributes, MAX_ATTRIBUTE_VALUE_LENGTH, toCognitoAttributes } from "./attributes";
import { replicationConfig } from "./replication-config";

const config = replicationConfig({ customAttributes: ["tier"] });

describe("fromCognitoAttributes", () => {
  it("keeps replicated attributes only, from a map or an AttributeType list", () => {
    const map = { sub: "s", email: "a@example.com", "cognito:user_status": "CONFIRMED", identities: "[]", "custom:tier": "gold", "custom:other": "x" };
    expect(fromCognitoAttributes(map, config)).toEqual({ email: "a@example.com", "custom:tier": "gold" });
    expect(fromCognitoAttributes([{ Name: "email", Value: "a@example.com" }, { Name: "sub", Value: "s" }], config)).toEqual({ email: "a@example.com" });
  });

  it("rejects non-string and too-long values, naming the attribute only", () => {
    expect(() => fromCognitoAttributes({ email: 5 }, config)).toThrow('attribute "email": value must be a string, got number');
    expect(() => fromCognitoAttributes({ name: "ü".repeat(2049) }, config)).toThrow(/attribute "name": value is 2049 chars/);
    expect(() => fromCognitoAttributes([{ Value: "x" }] as never, config)).toThrow(/attribute #0 has no name/);
  });
});

describe("attribute values at Cognito's limits", () => {
  it("accepts a value of exactly 2048 characters, both ways", () => {
    const longest = "x".repeat(MAX_ATTRIBUTE_VALUE_LENGTH);
    expect(fromCognitoAttributes({ name: longest }, config)).toEqual({ name: longest });
    expect(toCognitoAttributes({ name: longest }, config)).toEqual([{ Name: "name", Value: longest }]);
    expect(() => toCognitoAttributes({ name: `${longest}x` }, config)).toThrow('attribute "name": value is 2049 chars, Cognito allows 2048');
  });

  it("says null for a null value, and rejects it as permanent", () => {
    expect(() => fromCognitoAttributes({ email: null }, config)).toThrow(expect.objectContaining({ reason: "ATTRIBUTE_REJECTED", retryable: false, message: 'attribute "email": value must be a string, got null' }));
    expect(() => toCognitoAttributes({ email: { S: "a@example.com" } }, config)).toThrow('attribute "email": value must be a string, got object');
  });

  it("skips a listed attribute without a value (ListUsers may omit it)", () => {
    expect(fromCognitoAttributes([{ Name: "email", Value: "a@example.com" }, { Name: "name" }], config)).toEqual({ email: "a@example.com" });
    expect(fromCognitoAttributes({ email: "a@example.com", name: undefined }, config)).toEqual({ email: "a@example.com" });
  });

  it("a hole in the attribute list is rejected, naming its position", () => {
    expect(() => fromCognitoAttributes([{ Name: "email", Value: "a@example.com" }, null] as never, config)).toThrow(
      expect.objectContaining({ reason: "ATTRIBUTE_REJECTED", message: "attribute #1 has no name" }),
    );
  });
});

describe("toCognitoAttributes", () => {
  it("maps sorted by name", () => {
    expect(toCognitoAttributes({ name: "N", email: "a@example.com" }, config)).toEqual([
      { Name: "email", Value: "a@example.com" },
      { Name: "name", Value: "N" },
    ]);
  });

  it.each([
    ["sub", /Cognito-internal/],
    ["cognito:user_status", /Cognito-internal/],
    ["custom:canonical_id", /set by the replicator/],
    ["nickname", /not a replicated attribute/],
  ])("rejects %s", (name, message) => {
    expect(() => toCognitoAttributes({ [name]: "x" }, config)).toThrow(message);
  });
});

it("attributeMap ignores entries without a value", () => {
  expect(attributeMap([{ Name: "a", Value: "1" }, { Name: "b" }])).toEqual({ a: "1" });
  expect(attributeMap(undefined)).toEqual({});
});
