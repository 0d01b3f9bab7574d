// The replicated user record: one versioned schema shared by every handler and the
// operator scripts. Stored as a native DynamoDB item, so a stream image unmarshalls
// straight into it. Validation messages name the field and a value-free reason.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { $ZodIssue } from "zod/v4/core";
// zod/mini is tree-shakable: the classic `z` API would add ~440 KB to every bundle.
import * as z from "zod/mini";
import { NOT_A_RECORD_MARK } from "../contract";
import { MAX_ATTRIBUTE_VALUE_LENGTH } from "./attributes";
import { InvalidRecordError } from "../shared/errors";
import { redactPersonalData } from "../shared/redact";
import { isInternalAttribute } from "./replication-config";

export const RECORD_SCHEMA_VERSION = 1;

const epochMs = z.int().check(z.nonnegative());
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
// Stryker disable next-line ObjectLiteral: equivalent, a failed key check is reported as "invalid attribute name" (describeIssue, invalid_key), so the refine's message is never shown
const attributeName = text(32 + "custom:".length).check(z.refine((name) => !isInternalAttribute(name), { message: "Cognito-internal attribute" }));

const TOMBSTONE_RULE = "a tombstone (deleted) carries no attributes, no groups, enabled false and not forceChangePassword";

export const ReplicatedUserSchema = z.object({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  /**
   * The user's identity in both pools: the `sub` of the pool it was born in (D3). Never contains
   * "#", which marks the table's other items (directories, control items), so a record can never
   * overwrite one of them nor be mistaken for one.
   */
  canonicalId: text(128).check(z.refine((id) => !id.includes(NOT_A_RECORD_MARK), { message: `must not contain "${NOT_A_RECORD_MARK}" (the directory and control items' keys)` })),
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
  /**
   * Tombstone: the primary pool no longer has this user (change capture re-read it and Cognito
   * answered UserNotFoundException). A new version like any other, so versions still compare and
   * a late event cannot bring the user back; never a DynamoDB delete (REMOVE records are TTL's and
   * the replicator ignores them). Its DR copy is deleted or disabled (DELETION_POLICY).
   */
  deleted: z.optional(z.literal(true)),
  /**
   * The primary user is FORCE_CHANGE_PASSWORD: an administrator created it and it has not signed in
   * yet, or an administrator gave it a temporary password. Its DR copy stays disabled while this
   * is set (plan.ts, `drEnabled`).
   */
  forceChangePassword: z.optional(z.literal(true)),
  /** Change capture: epoch ms of the earliest primary change (CloudTrail eventTime) this version carries. */
  changedAt: z.optional(epochMs),
  /** Change capture: the kinds of change this version carries (`disable`, `attributes`, ...), for lag metrics. */
  changeKinds: z.optional(z.array(text(32))),
}).check(z.refine((r) => !r.deleted || (Object.keys(r.attributes).length === 0 && r.groups.length === 0 && !r.enabled && !r.forceChangePassword), { message: TOMBSTONE_RULE }));

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
    case "custom":
      // The tombstone rule and the canonical id's prefix (the attribute names' refine is reported as invalid_key).
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

export interface TombstoneInput {
  canonicalId: string;
  originRegion: string;
  originPoolId: string;
  now: number;
  ttlDays: number;
  changedAt?: number;
  changeKinds?: string[];
}

/**
 * The next version of a user the primary pool no longer has. Its username is unknown by then
 * (CloudTrail carries the sub, and the user is gone), so it is the canonical id, which is the
 * username in pools that sign in by email.
 */
export function tombstoneRecord(input: TombstoneInput): ReplicatedUser {
  return parseRecord({
    schemaVersion: RECORD_SCHEMA_VERSION,
    canonicalId: input.canonicalId,
    username: input.canonicalId,
    attributes: {},
    enabled: false,
    groups: [],
    originRegion: input.originRegion,
    originPoolId: input.originPoolId,
    version: input.now,
    confirmedAt: input.now,
    expiresAt: expiresAtFor(input.now, input.ttlDays),
    deleted: true,
    ...(input.changedAt === undefined ? {} : { changedAt: input.changedAt }),
    ...(input.changeKinds === undefined ? {} : { changeKinds: input.changeKinds }),
  });
}

export function expiresAtFor(nowMs: number, ttlDays: number): number {
  return Math.floor(nowMs / 1000) + Math.round(ttlDays * 86_400);
}
