import { describe, expect, it } from "vitest";
import { FIXED_NOW, userRecord } from "../testing/events";
import { fromItem, newRecord, parseRecord, toItem } from "./record";

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
