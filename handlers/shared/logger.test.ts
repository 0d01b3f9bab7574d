// Redaction, and proof that the PII guard can fail: without the redacting formatter
// the same log statements are caught.
import { Logger } from "@aws-lambda-powertools/logger";
import { describe, expect, it } from "vitest";
import { assertNoPersonalData, captureOutput, findPersonalData, installPiiGuard } from "../../test/support/pii-guard";
import { createLogger } from "./logger";
import { redactPersonalData } from "./redact";

const guard = installPiiGuard();

const PERSONAL = [
  "alice@example.com",
  "Ünïcödé.user+tag@exämple.co.jp",
  "+14155550100",
  "+44 20 7946 0958",
  "(415) 555-0100",
  "415.555.0100",
];

function logEverything(logger: Logger): void {
  const error = new Error(`cannot create bob@example.com / +14155550199`);
  logger.info(`user ${PERSONAL[0]} confirmed`, { email: PERSONAL[1], nested: { phones: [PERSONAL[2], PERSONAL[3]] }, [PERSONAL[0]]: "as a key" });
  logger.warn("failed", error);
  logger.error("failed", { error, other: new Map([["k", PERSONAL[4]]]) });
  logger.debug(PERSONAL[5]);
}

describe("redactPersonalData", () => {
  it.each(PERSONAL)("scrubs %s", (value) => {
    expect(findPersonalData(redactPersonalData(`x ${value} y`))).toEqual([]);
  });

  it("keeps ids, timestamps, ARNs, sequence numbers and node_modules paths", () => {
    const safe = [
      "6a7b8c9d-0000-4000-8000-000000000001",
      "2026-11-21T12:00:00.000Z",
      "arn:aws:lambda:us-east-1:123456789012:function:x",
      "000000000000000000101",
      "at node_modules/@aws-lambda-powertools/batch/lib/cjs/BatchProcessor.js:12:3",
      "1763726400000",
    ];
    for (const s of safe) expect(redactPersonalData(s)).toBe(s);
  });
});

describe("PII guard", () => {
  it("self-check: a plain Powertools logger leaks, and the guard detects it", () => {
    const capture = captureOutput();
    try {
      logEverything(new Logger({ logLevel: "DEBUG" }));
    } finally {
      capture.restore();
    }
    expect(capture.lines.length).toBeGreaterThanOrEqual(4);
    expect(capture.lines.flatMap(findPersonalData)).toEqual(expect.arrayContaining(["email", "phone"]));
    expect(() => assertNoPersonalData(capture.lines)).toThrow(/personal data in \d+ log line/);
  });

  it("the redacting logger writes the same statements without personal data", () => {
    const before = guard.lines.length;
    logEverything(createLogger({ logLevel: "DEBUG" }));
    const lines = guard.lines.slice(before);
    expect(lines).toHaveLength(4);
    expect(() => assertNoPersonalData(lines)).not.toThrow();
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({ message: "user [email] confirmed", email: "[email]", nested: { phones: ["[phone]", "[phone]"] }, "[email]": "as a key" });
    expect(JSON.parse(lines[1]).error.message).toBe("cannot create [email] / [phone]");
  });
});
