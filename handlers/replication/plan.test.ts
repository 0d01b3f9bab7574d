// The pure half of the upsert: what the DR user should look like (desiredAttributes,
// createUserInput) and the diff against what it is (planUser). No Cognito calls; the calls that
// apply a plan are in upsert.test.ts and tombstone.test.ts.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { DR_POOL_ID, userRecord } from "../../test/support/events";
import { replicationConfig } from "./replication-config";
import { createUserInput, desiredAttributes, drEnabled, planTombstone, planUser } from "./plan";

const config = replicationConfig({ customAttributes: ["tier"] });
const ctx = { cognito: new CognitoIdentityProviderClient({ region: "us-west-2" }), userPoolId: DR_POOL_ID, config };

describe("desiredAttributes / createUserInput", () => {
  it("keeps the primary's email_verified, adds the canonical id, sorted, no TemporaryPassword", () => {
    const input = createUserInput(userRecord({ attributes: { email: "alice@example.com", email_verified: "false", name: "A" } }), ctx);
    expect(input).toEqual({
      UserPoolId: DR_POOL_ID,
      Username: "alice@example.com",
      MessageAction: "SUPPRESS",
      UserAttributes: [
        { Name: "custom:canonical_id", Value: userRecord().canonicalId },
        { Name: "email", Value: "alice@example.com" },
        { Name: "email_verified", Value: "false" },
        { Name: "name", Value: "A" },
      ],
    });
    const verified = createUserInput(userRecord({ attributes: { email: "bob@example.com", email_verified: "true" } }), ctx);
    expect(verified.UserAttributes).toContainEqual({ Name: "email_verified", Value: "true" });
    // No verification state in the primary: none is invented for DR.
    const unknown = createUserInput(userRecord({ attributes: { email: "carol@example.com" } }), ctx);
    expect(unknown.UserAttributes!.map((a) => a.Name)).not.toContain("email_verified");
  });

  it("missing email is a permanent MISSING_REQUIRED_ATTRIBUTE", () => {
    expect(() => desiredAttributes(userRecord({ attributes: { name: "A" } }), config)).toThrow(
      expect.objectContaining({ reason: "MISSING_REQUIRED_ATTRIBUTE", retryable: false }),
    );
  });

  it("an attribute outside the replication set is rejected", () => {
    expect(() => desiredAttributes(userRecord({ attributes: { email: "a@b.co", nickname: "x" } }), config)).toThrow(
      expect.objectContaining({ reason: "ATTRIBUTE_REJECTED" }),
    );
  });
});

describe("planUser", () => {
  const current = {
    username: "u",
    attributes: { email: "alice@example.com", email_verified: "true", name: "Old", "custom:canonical_id": userRecord().canonicalId, locale: "fr" },
    enabled: true,
    groups: ["a", "x"],
  };

  it("lists only differences, deletes dropped attributes, diffs groups and enabled", () => {
    const plan = planUser(userRecord({ enabled: false, groups: ["a", "b"] }), current, config);
    expect(plan).toEqual({ update: [{ Name: "name", Value: "Alice Example" }], delete: ["locale"], enabled: false, addGroups: ["b"], removeGroups: ["x"] });
  });

  it("a user born in the target pool (no attribute, its own sub is the canonical id) gets no canonical id attribute written", () => {
    const id = userRecord().canonicalId;
    const born = { username: id, attributes: { sub: id, email: "alice@example.com", email_verified: "true", name: "Alice Example" }, enabled: true, groups: [] };
    expect(planUser(userRecord(), born, config).update).toEqual([]);
    // Another user's sub is no reason to skip it: the copy of someone else gets the attribute.
    const other = { ...born, attributes: { ...born.attributes, sub: "someone-else" } };
    expect(planUser(userRecord(), other, config).update).toEqual([{ Name: "custom:canonical_id", Value: id }]);
  });

  it("an email change carries the primary's email_verified in the same update", () => {
    const plan = planUser(userRecord({ attributes: { email: "new@example.com", email_verified: "true", name: "Old", locale: "fr" } }), current, config);
    expect(plan.update).toEqual([
      { Name: "email", Value: "new@example.com" },
      { Name: "email_verified", Value: "true" },
    ]);
    const unverified = planUser(userRecord({ attributes: { email: "new@example.com", email_verified: "false", name: "Old", locale: "fr" } }), current, config);
    expect(unverified.update).toEqual([
      { Name: "email", Value: "new@example.com" },
      { Name: "email_verified", Value: "false" },
    ]);
  });

  it("never deletes a *_verified flag, even when the primary has none (Cognito manages them)", () => {
    const dr = { ...current, attributes: { ...current.attributes, phone_number: "+14155550100", phone_number_verified: "true" } };
    const plan = planUser(userRecord({ attributes: { email: "alice@example.com", name: "Old", locale: "fr" } }), dr, config);
    expect(plan.delete).toEqual(["phone_number"]);
    expect(plan.update).toEqual([]);
  });
});

describe("planUser: verification flags and stable plans", () => {
  const dr = (attributes: Record<string, string>, groups: string[] = []) => ({ username: "u", attributes: { "custom:canonical_id": userRecord().canonicalId, ...attributes }, enabled: true, groups });

  it("a phone number change carries the primary's phone_number_verified (Cognito would reset it otherwise)", () => {
    const current = dr({ email: "alice@example.com", email_verified: "true", name: "Alice Example", phone_number: "+14155550100", phone_number_verified: "true" });
    const record = userRecord({ attributes: { email: "alice@example.com", email_verified: "true", name: "Alice Example", phone_number: "+14155550199", phone_number_verified: "true" } });
    expect(planUser(record, current, config).update).toEqual([
      { Name: "phone_number", Value: "+14155550199" },
      { Name: "phone_number_verified", Value: "true" },
    ]);
  });

  it("an email change sends no email_verified when the primary has none: no verification state is invented", () => {
    const current = dr({ email: "old@example.com", email_verified: "true", name: "Alice Example" });
    const plan = planUser(userRecord({ attributes: { email: "alice@example.com", name: "Alice Example" } }), current, config);
    expect(plan).toMatchObject({ update: [{ Name: "email", Value: "alice@example.com" }], delete: [] });
  });

  it("sorts every list of the plan by name, whatever order Cognito and the record list them in", () => {
    const current = dr({ email: "old@example.com", email_verified: "true", name: "Old", locale: "fr", given_name: "G", family_name: "F" }, ["z", "a", "m"]);
    const record = userRecord({ attributes: { email: "alice@example.com", email_verified: "true", name: "New" }, groups: ["y", "b", "k"] });
    expect(planUser(record, current, config)).toEqual({
      update: [
        { Name: "email", Value: "alice@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "name", Value: "New" },
      ],
      delete: ["family_name", "given_name", "locale"],
      enabled: undefined,
      addGroups: ["b", "k", "y"],
      removeGroups: ["a", "m", "z"],
    });
  });
});

describe("FORCE_CHANGE_PASSWORD in the primary: the DR copy stays disabled until the user signs in there", () => {
  const current = { username: "u", attributes: { email: "alice@example.com", email_verified: "true", name: "Alice Example", "custom:canonical_id": userRecord().canonicalId }, enabled: true, groups: [] };

  it("drEnabled is the primary's flag, off while only a temporary password lets the user in", () => {
    expect(drEnabled(userRecord())).toBe(true);
    expect(drEnabled(userRecord({ enabled: false }))).toBe(false);
    expect(drEnabled(userRecord({ forceChangePassword: true }))).toBe(false);
    expect(drEnabled(userRecord({ enabled: false, forceChangePassword: true }))).toBe(false);
  });

  it("an enabled DR copy of a FORCE_CHANGE_PASSWORD user is disabled; its own password set (the flag goes) enables it again", () => {
    expect(planUser(userRecord({ forceChangePassword: true }), current, config).enabled).toBe(false);
    expect(planUser(userRecord(), { ...current, enabled: false }, config).enabled).toBe(true);
    expect(planUser(userRecord({ forceChangePassword: true }), { ...current, enabled: false }, config).enabled).toBeUndefined();
  });
});

describe("planTombstone", () => {
  const targets = [
    { username: "b", enabled: true },
    { username: "a", enabled: false },
    { username: "c", enabled: true },
  ];

  it("delete: every DR user carrying the canonical id goes, twins and disabled ones included, in name order", () => {
    expect(planTombstone("delete", targets)).toEqual([
      { action: "delete", username: "a" },
      { action: "delete", username: "b" },
      { action: "delete", username: "c" },
    ]);
  });

  it("disable: only the enabled ones are disabled, none is deleted", () => {
    expect(planTombstone("disable", targets)).toEqual([
      { action: "disable", username: "b" },
      { action: "disable", username: "c" },
    ]);
  });

  it("no DR user: nothing to do under either policy", () => {
    expect(planTombstone("delete", [])).toEqual([]);
    expect(planTombstone("disable", [{ username: "a", enabled: false }])).toEqual([]);
  });
});
