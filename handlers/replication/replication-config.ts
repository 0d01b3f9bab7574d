// Which attributes replicate. Built from the environment's lists (stacks pass them as
// env vars) and validated once at cold start: `sub`, `cognito:*`, `identities` and the
// canonical-id attribute never replicate, whatever the configuration says.
import { CANONICAL_ID_ATTRIBUTE, DEFAULT_REPLICATED_ATTRIBUTES } from "../contract";

/** Cognito's standard attributes (OIDC claims) that a pool can hold per user. */
export const STANDARD_ATTRIBUTES: ReadonlySet<string> = new Set([
  "address",
  "birthdate",
  "email",
  "email_verified",
  "family_name",
  "gender",
  "given_name",
  "locale",
  "middle_name",
  "name",
  "nickname",
  "phone_number",
  "phone_number_verified",
  "picture",
  "preferred_username",
  "profile",
  "updated_at",
  "website",
  "zoneinfo",
]);

/** Never copied: identity of the *primary* user, or owned by Cognito itself. */
export function isInternalAttribute(name: string): boolean {
  return name === "sub" || name === "identities" || name.startsWith("cognito:") || name.startsWith("dev:");
}

const CUSTOM_NAME = /^[A-Za-z0-9_-]{1,20}$/;

export interface ReplicationConfig {
  /** Full attribute names (`email`, `custom:tier`) that replicate. */
  readonly replicated: ReadonlySet<string>;
  /** Custom attribute (without `custom:`) holding the canonical id in the DR pool. */
  readonly canonicalIdAttribute: string;
  /** Attributes the DR pool cannot do without (email is its username). */
  readonly required: readonly string[];
}

export type ReplicationConfigField = "attributes" | "customAttributes" | "canonicalIdAttribute" | "required";

export class ReplicationConfigError extends Error {
  override readonly name = "ReplicationConfigError";
  constructor(
    readonly field: ReplicationConfigField,
    message: string,
  ) {
    super(message);
  }
}

export interface ReplicationConfigInput {
  attributes?: readonly string[];
  customAttributes?: readonly string[];
  canonicalIdAttribute?: string;
  required?: readonly string[];
}

export function replicationConfig(input: ReplicationConfigInput = {}): ReplicationConfig {
  const attributes = input.attributes ?? DEFAULT_REPLICATED_ATTRIBUTES;
  const custom = input.customAttributes ?? [];
  const canonicalIdAttribute = input.canonicalIdAttribute ?? CANONICAL_ID_ATTRIBUTE;
  const required = input.required ?? ["email"];

  if (!CUSTOM_NAME.test(canonicalIdAttribute)) {
    throw new ReplicationConfigError("canonicalIdAttribute", `canonical id attribute "${canonicalIdAttribute}" is not a valid custom attribute name`);
  }
  const replicated = new Set<string>();
  for (const name of attributes) {
    if (isInternalAttribute(name)) throw new ReplicationConfigError("attributes", `attribute "${name}" is Cognito-internal and never replicates`);
    if (!STANDARD_ATTRIBUTES.has(name)) {
      throw new ReplicationConfigError("attributes", `"${name}" is not a standard attribute (list custom ones without "custom:" separately)`);
    }
    replicated.add(name);
  }
  for (const bare of custom) {
    const name = bare.startsWith("custom:") ? bare.slice("custom:".length) : bare;
    if (!CUSTOM_NAME.test(name)) throw new ReplicationConfigError("customAttributes", `custom attribute "${bare}" is not a valid name (1-20 of A-Za-z0-9_-)`);
    if (name === canonicalIdAttribute) {
      throw new ReplicationConfigError("customAttributes", `custom attribute "${name}" holds the canonical id; it is set by the replicator, not replicated`);
    }
    replicated.add(`custom:${name}`);
  }
  for (const name of required) {
    if (!replicated.has(name)) throw new ReplicationConfigError("required", `required attribute "${name}" is not in the replicated attributes`);
  }
  return { replicated, canonicalIdAttribute, required: [...required] };
}

export function canonicalIdAttributeName(config: ReplicationConfig): string {
  return `custom:${config.canonicalIdAttribute}`;
}
