// The replicated user record: one versioned schema shared by every handler and the
// operator scripts. Stored as a native DynamoDB item, so a stream image unmarshalls
// straight into it. Validation messages name the field and a value-free reason.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { $ZodIssue } from "zod/v4/core";
// zod/mini is tree-shakable: the classic `z` API would add ~440 KB to every bundle.
import * as z from "zod/mini";
import { MAX_ATTRIBUTE_VALUE_LENGTH } from "./attributes";
import { InvalidRecordError } from "../shared/errors";
import { redactPersonalData } from "../shared/redact";
import { isInternalAttribute } from "./replication-config";

export const RECORD_SCHEMA_VERSION = 1;

const epochMs = z.int().check(z.nonnegative());
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
// Stryker disable next-line ObjectLiteral: equivalent, a failed key check is reported as "invalid attribute name" (describeIssue, invalid_key), so the refine's message is never shown
const attributeName = text(32 + "custom:".length).check(z.refine((name) => !isInternalAttribute(name), { message: "Cognito-internal attribute" }));

export const ReplicatedUserSchema = z.object({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  /** The primary pool's `sub`: the user's identity in both pools. */
  canonicalId: text(128),
  /** The primary pool's username. */
  username: text(128),
  /** Replicated attributes only (`email`, `custom:tier`, ...). */
  attributes: z.record(attributeName, z.string().check(z.maxLength(MAX_ATTRIBUTE_VALUE_LENGTH))),
  enabled: z.boolean(),
  groups: z.array(text(128)),
  originRegion: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/)),
  originPoolId: z.string().check(z.regex(/^[\w-]+_[0-9A-Za-z]+$/)),
  /** Monotonic: the change time in ms. A write never replaces a higher version. */
  version: epochMs,
  confirmedAt: epochMs,
  /** DynamoDB TTL, epoch seconds. */
  expiresAt: z.int().check(z.positive()),
});

export type ReplicatedUser = z.infer<typeof ReplicatedUserSchema>;

type Issue = $ZodIssue;

function describeIssue(issue: Issue): string {
  const path = issue.path.map((p) => (typeof p === "string" ? redactPersonalData(p) : String(p))).join(".") || "(record)";
  switch (issue.code) {
    case "invalid_type":
      return `${path}: expected ${issue.expected}`;
    case "too_big":
      return `${path}: too big (max ${String(issue.maximum)})`;
    case "too_small":
      return `${path}: too small (min ${String(issue.minimum)}${issue.inclusive === false ? ", exclusive" : ""})`;
    case "invalid_format":
      return `${path}: invalid format (${issue.format})`;
    case "invalid_value":
      return `${path}: not an allowed value`;
    case "invalid_key":
      return `${path}: invalid attribute name`;
    // Stryker disable next-line ConditionalExpression: unreachable, the schema's only refine is on record keys, which zod reports as invalid_key
    case "custom":
      // Stryker disable next-line StringLiteral: unreachable, see above
      return `${path}: ${issue.message}`;
    default:
      // Stryker disable next-line StringLiteral: unreachable, the schema yields no issue codes other than those above
      return `${path}: ${issue.code}`;
  }
}

export function parseRecord(input: unknown): ReplicatedUser {
  const result = ReplicatedUserSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map(describeIssue);
  throw new InvalidRecordError(`invalid record: ${issues.slice(0, 5).join("; ")}`, issues);
}

export function toItem(record: ReplicatedUser): Record<string, AttributeValue> {
  return marshall(record, { removeUndefinedValues: true, convertEmptyValues: false });
}

/** A DynamoDB item or stream image (both use the low-level AttributeValue shape). */
export function fromItem(item: unknown): ReplicatedUser {
  if (typeof item !== "object" || item === null || Array.isArray(item)) throw new InvalidRecordError("image is missing or not a map");
  let plain: unknown;
  try {
    plain = unmarshall(item as Record<string, AttributeValue>);
  } catch {
    throw new InvalidRecordError("image is not a valid DynamoDB item");
  }
  return parseRecord(plain);
}

export interface NewRecordInput {
  canonicalId: string;
  username: string;
  attributes: Record<string, string>;
  originRegion: string;
  originPoolId: string;
  now: number;
  ttlDays: number;
}

export function newRecord(input: NewRecordInput): ReplicatedUser {
  return parseRecord({
    schemaVersion: RECORD_SCHEMA_VERSION,
    canonicalId: input.canonicalId,
    username: input.username,
    attributes: input.attributes,
    enabled: true,
    groups: [],
    originRegion: input.originRegion,
    originPoolId: input.originPoolId,
    version: input.now,
    confirmedAt: input.now,
    expiresAt: expiresAtFor(input.now, input.ttlDays),
  });
}

export function expiresAtFor(nowMs: number, ttlDays: number): number {
  return Math.floor(nowMs / 1000) + Math.round(ttlDays * 86_400);
}
