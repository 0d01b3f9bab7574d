// Fuzzing the parsers and mappers: whatever comes in, the only thing that may come
// out besides a valid value is a typed, permanent, value-free error.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromCognitoAttributes, MAX_ATTRIBUTE_VALUE_LENGTH, toCognitoAttributes } from "./attributes";
import { AttributeRejectedError, InvalidRecordError } from "../shared/errors";
import { fromItem, parseRecord, toItem } from "./record";
import { replicationConfig } from "./replication-config";
import { userRecord } from "../../test/support/events";

const config = replicationConfig({ customAttributes: ["tier"] });
const SECRET = "leak.canary@example.com";
const withCanary = fc.anything().map((v) => ({ v, canary: SECRET }));

describe("parsers never crash and never echo values", () => {
  it("parseRecord: valid record or InvalidRecordError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), withCanary, fc.record({ ...userRecordArbs(), attributes: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant(SECRET), fc.integer())) })), (input) => {
        try {
          parseRecord(input);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidRecordError);
          expect((err as Error).message).not.toContain(SECRET);
          expect((err as Error).message).not.toContain("canary");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("fromItem on arbitrary images: valid record or InvalidRecordError", () => {
    const av = fc.letrec((tie) => ({
      av: fc.oneof(
        { depthSize: "small" },
        fc.record({ S: fc.string() }),
        fc.record({ N: fc.oneof(fc.string(), fc.integer().map(String), fc.constant("1e400")) }),
        fc.record({ BOOL: fc.boolean() }),
        fc.record({ NULL: fc.constant(true) }),
        fc.record({ SS: fc.array(fc.string()) }),
        fc.record({ L: fc.array(tie("av"), { maxLength: 3 }) }),
        fc.record({ M: fc.dictionary(fc.string(), tie("av"), { maxKeys: 3 }) }),
        fc.anything(),
      ),
    }));
    const valid = toItem(userRecord());
    const mutated = fc.tuple(fc.subarray(Object.keys(valid)), fc.dictionary(fc.constantFrom(...Object.keys(valid)), av.av, { maxKeys: 3 })).map(([drop, patch]) => {
      const image: Record<string, unknown> = { ...valid, ...patch };
      for (const d of drop) delete image[d];
      return image;
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.dictionary(fc.string(), av.av), mutated), (image) => {
        try {
          fromItem(image);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidRecordError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("attribute mapping: replicated strings within limits, or AttributeRejectedError", () => {
    const name = fc.oneof(fc.constantFrom(...config.replicated, "sub", "cognito:user_status", "custom:canonical_id", "nickname", "custom:x"), fc.string());
    const value = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ minLength: 2040, maxLength: 2100 }), fc.integer(), fc.constant(null), fc.boolean());
    fc.assert(
      fc.property(fc.dictionary(name, value), (attrs) => {
        for (const fn of [() => fromCognitoAttributes(attrs, config), () => toCognitoAttributes(attrs, config)]) {
          try {
            const out = fn();
            const entries = Array.isArray(out) ? out.map((a) => [a.Name, a.Value]) : Object.entries(out);
            for (const [n, v] of entries) {
              expect(config.replicated.has(n as string)).toBe(true);
              expect(typeof v === "string" && v.length <= MAX_ATTRIBUTE_VALUE_LENGTH).toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(AttributeRejectedError);
            expect(err).toMatchObject({ retryable: false });
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

function userRecordArbs() {
  return {
    schemaVersion: fc.constantFrom(1, 2, "1"),
    canonicalId: fc.string(),
    username: fc.oneof(fc.string(), fc.constant(SECRET)),
    enabled: fc.oneof(fc.boolean(), fc.constant("true")),
    groups: fc.array(fc.string()),
    originRegion: fc.constantFrom("us-east-1", "mars"),
    originPoolId: fc.constantFrom("us-east-1_abc", "x"),
    version: fc.oneof(fc.integer(), fc.double()),
    confirmedAt: fc.integer(),
    expiresAt: fc.integer(),
  };
}
