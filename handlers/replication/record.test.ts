import { describe, expect, it } from "vitest";
import { FIXED_NOW, userRecord } from "../../test/support/events";
import { InvalidRecordError } from "../shared/errors";
import { fromItem, newRecord, parseRecord, toItem, tombstoneRecord } from "./record";

describe("record schema", () => {
  it("round-trips through a DynamoDB item", () => {
    const record = userRecord({ groups: ["a"], enabled: false });
    expect(fromItem(toItem(record))).toEqual(record);
    expect(toItem(record).canonicalId).toEqual({ S: record.canonicalId });
    expect(toItem(record).expiresAt).toEqual({ N: String(record.expiresAt) });
  });

  it("newRecord stamps version/confirmedAt with now and expiresAt in epoch seconds", () => {
    const r = newRecord({
      canonicalId: "c",
      username: "u",
      attributes: { email: "a@example.com" },
      originRegion: "us-east-1",
      originPoolId: "us-east-1_abc",
      now: FIXED_NOW,
      ttlDays: 2,
    });
    expect(r).toMatchObject({ schemaVersion: 1, version: FIXED_NOW, confirmedAt: FIXED_NOW, enabled: true, groups: [] });
    expect(r.expiresAt).toBe(FIXED_NOW / 1000 + 2 * 86_400);
  });

  it("names the field and never echoes the value", () => {
    const bad = { ...userRecord(), attributes: { email: 42 }, version: "secret@example.com" };
    try {
      parseRecord(bad);
      expect.unreachable();
    } catch (err) {
      const e = err as { reason: string; message: string; issues: string[]; retryable: boolean };
      expect(e.reason).toBe("INVALID_RECORD");
      expect(e.retryable).toBe(false);
      expect(e.issues).toEqual(["attributes.email: expected string", "version: expected number"]);
      expect(e.message).not.toContain("secret");
    }
  });

  it("rejects internal attributes, oversized values and a wrong schema version", () => {
    expect(() => parseRecord({ ...userRecord(), attributes: { sub: "x" } })).toThrow(/attributes.sub: invalid attribute name/);
    expect(() => parseRecord({ ...userRecord(), attributes: { name: "x".repeat(2049) } })).toThrow(/attributes.name: too big \(max 2048\)/);
    expect(() => parseRecord({ ...userRecord(), schemaVersion: 2 })).toThrow(/schemaVersion: not an allowed value/);
  });

  it("redacts an email used as an attribute name in the path", () => {
    expect(() => parseRecord({ ...userRecord(), attributes: { "bob@example.com": 1 } })).toThrow(/attributes\.\[email\]/);
  });

  it("a malformed image is INVALID_RECORD, not a crash", () => {
    expect(() => fromItem(undefined)).toThrow(expect.objectContaining({ reason: "INVALID_RECORD" }));
    expect(() => fromItem({ canonicalId: { Q: "x" } })).toThrow(expect.objectContaining({ reason: "INVALID_RECORD" }));
    expect(() => fromItem({ version: { N: "not a number" } })).toThrow(expect.objectContaining({ reason: "INVALID_RECORD" }));
  });
});

describe("record validation messages", () => {
  const rejection = (input: unknown): InvalidRecordError => {
    try {
      parseRecord(input);
    } catch (err) {
      return err as InvalidRecordError;
    }
    throw new Error("the record was accepted");
  };
  const issuesOf = (input: unknown) => rejection(input).issues;

  it("a record that is not an object is reported at the record itself", () => {
    expect(() => parseRecord(undefined)).toThrow(expect.objectContaining({ message: "invalid record: (record): expected object", issues: ["(record): expected object"] }));
    expect(() => parseRecord([])).toThrow("invalid record: (record): expected object");
  });

  it("the message lists the first five issues, all of them are in issues", () => {
    const err = rejection({});
    expect(err.message).toBe(
      "invalid record: schemaVersion: not an allowed value; canonicalId: expected string; username: expected string; attributes: expected record; enabled: expected boolean",
    );
    expect(err.issues).toHaveLength(11);
    expect(err.issues.at(-1)).toBe("expiresAt: expected number");
  });

  it.each([
    ["an empty canonical id", { canonicalId: "" }, "canonicalId: too small (min 1)"],
    ["a negative version", { version: -1 }, "version: too small (min 0)"],
    ["a fractional version", { version: 1.5 }, "version: expected int"],
    ["a zero expiry", { expiresAt: 0 }, "expiresAt: too small (min 0, exclusive)"],
    ["an empty group name", { groups: ["admins", ""] }, "groups.1: too small (min 1)"],
    ["a 129-character username", { username: "u".repeat(129) }, "username: too big (max 128)"],
    ["a region that is not one", { originRegion: "mars" }, "originRegion: invalid format (regex)"],
  ])("%s is one issue naming the field", (_label, patch, issue) => {
    expect(issuesOf({ ...userRecord(), ...patch })).toEqual([issue]);
  });

  it("an attribute name may be custom: plus up to 32 characters", () => {
    const longest = `custom:${"a".repeat(32)}`;
    expect(parseRecord({ ...userRecord(), attributes: { [longest]: "x" } }).attributes).toEqual({ [longest]: "x" });
    expect(issuesOf({ ...userRecord(), attributes: { [`${longest}a`]: "x" } })).toEqual([`attributes.${longest}a: invalid attribute name`]);
    expect(issuesOf({ ...userRecord(), attributes: { "": "x" } })).toEqual(["attributes.: invalid attribute name"]);
  });

  // Region names are <area>-<subarea>[-<subarea>]-<number>; the pool id is <region>_<suffix>.
  it.each(["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-10"])("accepts the origin region %s", (originRegion) => {
    expect(parseRecord({ ...userRecord(), originRegion }).originRegion).toBe(originRegion);
  });

  it.each([
    ["an availability zone", "us-east-1a"],
    ["a padded region", " us-east-1"],
    ["a region without number", "us-east"],
  ])("rejects %s as origin region", (_label, originRegion) => {
    expect(issuesOf({ ...userRecord(), originRegion })).toEqual(["originRegion: invalid format (regex)"]);
  });

  it.each([
    ["the pool's ARN", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Primary1"],
    ["a pool id with a trailing space", "us-east-1_Primary1 "],
    ["a pool name", "cdr-dev-primary"],
  ])("rejects %s as origin pool id", (_label, originPoolId) => {
    expect(issuesOf({ ...userRecord(), originPoolId })).toEqual(["originPoolId: invalid format (regex)"]);
  });
});

describe("DynamoDB items", () => {
  it("an attribute cleared to the empty string stays an empty string", () => {
    const record = userRecord({ attributes: { email: "a@example.com", name: "" } });
    expect(toItem(record).attributes).toEqual({ M: { email: { S: "a@example.com" }, name: { S: "" } } });
    expect(fromItem(toItem(record))).toEqual(record);
  });

  it("an attribute whose value is undefined is left out, not a marshalling crash", () => {
    const record = userRecord({ attributes: { email: "a@example.com", name: undefined as unknown as string } });
    expect(toItem(record).attributes).toEqual({ M: { email: { S: "a@example.com" } } });
  });

  it.each([
    ["undefined (a REMOVE event has no new image)", undefined],
    ["null", null],
    ["a list", [{ S: "x" }]],
    ["a string", "x"],
  ])("an image that is %s is missing or not a map", (_label, image) => {
    expect(() => fromItem(image)).toThrow(expect.objectContaining({ name: "InvalidRecordError", message: "image is missing or not a map" }));
  });

  it("an image that is not in DynamoDB's AttributeValue shape says so", () => {
    expect(() => fromItem({ canonicalId: { Q: "x" } })).toThrow(expect.objectContaining({ name: "InvalidRecordError", message: "image is not a valid DynamoDB item" }));
  });
});

describe("tombstones and the change-capture fields", () => {
  const tombstone = () =>
    tombstoneRecord({ canonicalId: "c1", originRegion: "us-east-1", originPoolId: "us-east-1_abc", now: FIXED_NOW, ttlDays: 3, changedAt: FIXED_NOW - 900, changeKinds: ["delete"] });

  it("a tombstone is the next version of the user: deleted, nothing else, and it round-trips through an item", () => {
    const t = tombstone();
    expect(t).toEqual({
      schemaVersion: 1,
      canonicalId: "c1",
      username: "c1",
      attributes: {},
      enabled: false,
      groups: [],
      originRegion: "us-east-1",
      originPoolId: "us-east-1_abc",
      version: FIXED_NOW,
      confirmedAt: FIXED_NOW,
      expiresAt: FIXED_NOW / 1000 + 3 * 86_400,
      deleted: true,
      changedAt: FIXED_NOW - 900,
      changeKinds: ["delete"],
    });
    expect(fromItem(toItem(t))).toEqual(t);
    expect(toItem(t).deleted).toEqual({ BOOL: true });
    const bare = tombstoneRecord({ canonicalId: "c1", originRegion: "us-east-1", originPoolId: "us-east-1_abc", now: FIXED_NOW, ttlDays: 3 });
    expect(Object.keys(bare)).not.toContain("changedAt");
    expect(Object.keys(bare)).not.toContain("changeKinds");
  });

  it.each([
    ["attributes", { attributes: { email: "a@example.com" } }],
    ["groups", { groups: ["admins"] }],
    ["enabled", { enabled: true }],
    ["forceChangePassword", { forceChangePassword: true }],
  ])("a tombstone with %s is refused at the record, naming the rule", (_label, patch) => {
    expect(issuesOfRecord({ ...tombstone(), ...patch })).toEqual(["(record): a tombstone (deleted) carries no attributes, no groups, enabled false and not forceChangePassword"]);
  });

  it("deleted and forceChangePassword are true or absent; a live record may carry forceChangePassword", () => {
    expect(issuesOfRecord({ ...userRecord(), deleted: false })).toEqual(["deleted: not an allowed value"]);
    expect(issuesOfRecord({ ...userRecord(), forceChangePassword: false })).toEqual(["forceChangePassword: not an allowed value"]);
    expect(parseRecord({ ...userRecord(), forceChangePassword: true }).forceChangePassword).toBe(true);
    expect(parseRecord(userRecord())).not.toHaveProperty("deleted");
  });

  it("changedAt is epoch ms and changeKinds short names", () => {
    expect(issuesOfRecord({ ...userRecord(), changedAt: -1 })).toEqual(["changedAt: too small (min 0)"]);
    expect(issuesOfRecord({ ...userRecord(), changeKinds: ["x".repeat(33)] })).toEqual(["changeKinds.0: too big (max 32)"]);
    expect(parseRecord({ ...userRecord(), changedAt: 5, changeKinds: ["disable"] })).toMatchObject({ changedAt: 5, changeKinds: ["disable"] });
  });

  it("a canonical id with a \"#\" (directory and control items' keys) is refused, so a record never overwrites one", () => {
    const refused = ['canonicalId: must not contain "#" (the directory and control items\' keys)'];
    for (const key of ["dr#c1", "primary#c1", "primary-sub#c1", "control#failover", "c1#"]) expect(issuesOfRecord({ ...userRecord(), canonicalId: key })).toEqual(refused);
    expect(parseRecord({ ...userRecord(), canonicalId: "c1-dr" }).canonicalId).toBe("c1-dr");
  });
});

function issuesOfRecord(input: unknown): readonly string[] {
  try {
    parseRecord(input);
  } catch (err) {
    return (err as InvalidRecordError).issues;
  }
  throw new Error("the record was accepted");
}
