// What an operator may list in REPLICATED_ATTRIBUTES / REPLICATED_CUSTOM_ATTRIBUTES /
// CANONICAL_ID_ATTRIBUTE, and the cold-start error (copied into the env var error) otherwise.
import { describe, expect, it } from "vitest";
import { canonicalIdAttributeName, isInternalAttribute, replicationConfig, ReplicationConfigError, type ReplicationConfigInput } from "./replication-config";

function configError(input: ReplicationConfigInput): ReplicationConfigError {
  try {
    replicationConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ReplicationConfigError);
    return err as ReplicationConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

// Amazon Cognito Developer Guide, "Working with user attributes", Standard attributes
// (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html),
// without `sub` (the primary's identity, never copied), plus the two verification flags.
const COGNITO_STANDARD_ATTRIBUTES = [
  "address",
  "birthdate",
  "email",
  "family_name",
  "gender",
  "given_name",
  "locale",
  "middle_name",
  "name",
  "nickname",
  "phone_number",
  "picture",
  "preferred_username",
  "profile",
  "updated_at",
  "website",
  "zoneinfo",
  "email_verified",
  "phone_number_verified",
];

describe("replicationConfig: standard attributes", () => {
  it.each(COGNITO_STANDARD_ATTRIBUTES)("accepts the standard attribute %s", (name) => {
    expect([...replicationConfig({ attributes: ["email", name] }).replicated]).toContain(name);
  });

  it.each(["tier", "custom:tier", "Email", "full_name", "phone"])("rejects %s, naming it and pointing custom ones to their own list", (name) => {
    const err = configError({ attributes: ["email", name] });
    expect(err).toMatchObject({ name: "ReplicationConfigError", field: "attributes" });
    expect(err.message).toBe(`"${name}" is not a standard attribute (list custom ones without "custom:" separately)`);
  });

  it.each(["sub", "identities", "cognito:user_status", "cognito:groups", "dev:custom:risk_score"])("never replicates the Cognito-internal %s", (name) => {
    expect(isInternalAttribute(name)).toBe(true);
    const err = configError({ attributes: ["email", name] });
    expect(err).toMatchObject({ field: "attributes", message: `attribute "${name}" is Cognito-internal and never replicates` });
  });

  it("treats only those as internal, not names that merely resemble them", () => {
    for (const name of ["email", "subject", "identity", "cognito", "developer", "custom:cognito:x", "custom:dev:x"]) expect(isInternalAttribute(name)).toBe(false);
  });
});

describe("replicationConfig: custom attributes and the canonical id", () => {
  it("replicates custom attributes under custom:, with or without the prefix in the list", () => {
    const config = replicationConfig({ customAttributes: ["tier", "custom:plan", "a".repeat(20), "A-b_9"] });
    expect([...config.replicated].filter((n) => n.startsWith("custom:"))).toEqual(["custom:tier", "custom:plan", `custom:${"a".repeat(20)}`, "custom:A-b_9"]);
  });

  it.each(["", "custom:", "a".repeat(21), "has space", "x.y", "custom:custom:tier", "tier!"])("rejects the custom attribute name %o, quoting it", (bare) => {
    const err = configError({ customAttributes: [bare] });
    expect(err).toMatchObject({ field: "customAttributes", message: `custom attribute "${bare}" is not a valid name (1-20 of A-Za-z0-9_-)` });
  });

  it("refuses to replicate the canonical id attribute, prefixed or not: only the replicator sets it", () => {
    for (const bare of ["canonical_id", "custom:canonical_id"]) {
      expect(configError({ customAttributes: [bare] })).toMatchObject({
        field: "customAttributes",
        message: `custom attribute "canonical_id" holds the canonical id; it is set by the replicator, not replicated`,
      });
    }
    expect(configError({ canonicalIdAttribute: "primary_sub", customAttributes: ["primary_sub"] }).field).toBe("customAttributes");
    expect([...replicationConfig({ canonicalIdAttribute: "primary_sub", customAttributes: ["canonical_id"] }).replicated]).toContain("custom:canonical_id");
  });

  it("uses canonical_id by default and accepts another valid name", () => {
    expect(canonicalIdAttributeName(replicationConfig())).toBe("custom:canonical_id");
    expect(canonicalIdAttributeName(replicationConfig({ canonicalIdAttribute: "primary_sub" }))).toBe("custom:primary_sub");
  });

  it.each(["custom:canonical_id", "has space", "", "a".repeat(21)])("rejects the canonical id attribute %o, quoting it", (name) => {
    expect(configError({ canonicalIdAttribute: name })).toMatchObject({
      field: "canonicalIdAttribute",
      message: `canonical id attribute "${name}" is not a valid custom attribute name`,
    });
  });
});

describe("replicationConfig: required attributes", () => {
  it("requires email by default, and any listed attribute to be replicated", () => {
    expect(replicationConfig().required).toEqual(["email"]);
    expect(configError({ attributes: ["name"] })).toMatchObject({ field: "required", message: `required attribute "email" is not in the replicated attributes` });
    expect(configError({ required: ["email", "custom:tier"] }).message).toContain(`"custom:tier"`);
    expect(replicationConfig({ customAttributes: ["tier"], required: ["email", "custom:tier"] }).required).toEqual(["email", "custom:tier"]);
  });
});
