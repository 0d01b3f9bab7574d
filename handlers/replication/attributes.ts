// Mapping between Cognito's attribute shapes and the record's `attributes`.
// From Cognito: keep only replicated attributes (others are silently dropped: a pool
// holds many attributes that must not travel). To Cognito: everything in the record
// must be replicable, so an unknown name is an error, not a silent drop.
import type { AttributeType } from "@aws-sdk/client-cognito-identity-provider";
import { AttributeRejectedError } from "../shared/errors";
import { canonicalIdAttributeName, isInternalAttribute, type ReplicationConfig } from "./replication-config";

/** Cognito's limit on one attribute value. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 2048;

export type CognitoAttributesInput = readonly AttributeType[] | Readonly<Record<string, unknown>>;

function entriesOf(input: CognitoAttributesInput): [string, unknown][] {
  if (Array.isArray(input)) {
    return (input as readonly AttributeType[]).map((a, i) => {
      if (typeof a?.Name !== "string") throw new AttributeRejectedError(undefined, `attribute #${i} has no name`);
      return [a.Name, a.Value];
    });
  }
  return Object.entries(input);
}

function checkValue(name: string, value: unknown): string {
  if (typeof value !== "string") throw new AttributeRejectedError(name, `value must be a string, got ${value === null ? "null" : typeof value}`);
  if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
    throw new AttributeRejectedError(name, `value is ${value.length} chars, Cognito allows ${MAX_ATTRIBUTE_VALUE_LENGTH}`);
  }
  return value;
}

/** Cognito attributes (a trigger's `userAttributes` or an `AttributeType[]`) to record attributes. */
export function fromCognitoAttributes(input: CognitoAttributesInput, config: ReplicationConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of entriesOf(input)) {
    if (!config.replicated.has(name) || value === undefined) continue;
    out[name] = checkValue(name, value);
  }
  return out;
}

/** Record attributes to `AttributeType[]` (sorted by name so requests are deterministic). */
export function toCognitoAttributes(attributes: Readonly<Record<string, unknown>>, config: ReplicationConfig): AttributeType[] {
  const canonical = canonicalIdAttributeName(config);
  return Object.keys(attributes)
    .sort()
    .map((name) => {
      if (name === canonical) throw new AttributeRejectedError(name, "the canonical id attribute is set by the replicator only");
      if (isInternalAttribute(name)) throw new AttributeRejectedError(name, "Cognito-internal attributes never replicate");
      if (!config.replicated.has(name)) throw new AttributeRejectedError(name, "not a replicated attribute");
      return { Name: name, Value: checkValue(name, attributes[name]) };
    });
}

/** `AttributeType[]` as a plain map (last one wins); values may be absent. */
export function attributeMap(list: readonly AttributeType[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) if (a.Name !== undefined && a.Value !== undefined) out[a.Name] = a.Value;
  return out;
}
