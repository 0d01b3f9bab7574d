import { describe, expect, it } from "vitest";
import { redactDeep, redactPersonalData } from "./redact";

describe("redactPersonalData: each shape of phone number a user types", () => {
  it.each([
    ["E.164", "+14155550100"],
    ["international, grouped", "+44 20 7946 0958"],
    ["international, space after the plus", "+ 44 20 7946 0958"],
    ["international, area code in parentheses", "+1 (415) 555-0100"],
    ["North American, parentheses", "(415) 555-0100"],
    ["North American, spaces", "415 555 0100"],
    ["North American, dots", "415.555.0100"],
    ["North American, dashes", "415-555-0100"],
  ])("%s: %s", (_label, phone) => {
    expect(redactPersonalData(`call ${phone} now`)).toBe("call [phone] now");
  });

  it("replaces an address but keeps the punctuation around it", () => {
    expect(redactPersonalData("to <bob@example.com>; cc Ünïcödé.user+tag@exämple.co.jp")).toBe("to <[email]>; cc [email]");
  });
});

describe("redactDeep", () => {
  const formatError = (e: Error) => ({ name: e.name, message: e.message });

  it("redacts strings and keys at any depth, in arrays, maps and sets", () => {
    const value = {
      "bob@example.com": { phones: ["415-555-0100", 7, true, null, undefined] },
      map: new Map([["alice@example.com", "+14155550100"]]),
      set: new Set(["carol@example.com", "plain"]),
    };
    expect(redactDeep(value, formatError)).toEqual({
      "[email]": { phones: ["[phone]", 7, true, null, undefined] },
      map: { "[email]": "[phone]" },
      set: ["[email]", "plain"],
    });
  });

  it("formats errors through the given formatter, then redacts them", () => {
    expect(redactDeep({ error: new TypeError("no user bob@example.com") }, formatError)).toEqual({ error: { name: "TypeError", message: "no user [email]" } });
  });

  it("keeps dates as dates", () => {
    const at = new Date("2026-11-21T12:00:00.000Z");
    expect(redactDeep({ at }, formatError)).toEqual({ at });
  });

  it("cuts a cycle instead of recursing forever", () => {
    const node: Record<string, unknown> = { email: "bob@example.com" };
    node.self = node;
    expect(redactDeep(node, formatError)).toEqual({ email: "[email]", self: "[circular]" });
  });
});
