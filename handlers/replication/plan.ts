// The pure half of "make the DR user match the record": what the DR user should look like and
// the diff against what it is, for a live user (planUser) and for a tombstone (planTombstone).
// No Cognito calls: upsert.ts and tombstone.ts apply these plans; reconcile and the drift checks
// read them.
import type { AdminCreateUserCommandInput, AttributeType } from "@aws-sdk/client-cognito-identity-provider";
import type { DeletionPolicy } from "../contract";
import { attributeMap, toCognitoAttributes } from "./attributes";
import { MissingRequiredAttributeError } from "../shared/errors";
import type { ReplicatedUser } from "./record";
import { canonicalIdAttributeName, type ReplicationConfig } from "./replication-config";

/** The DR user as far as replication cares. */
export interface DrUserState {
  username: string;
  attributes: Record<string, string>;
  enabled: boolean;
  groups: string[];
}

export interface UserPlan {
  update: AttributeType[];
  delete: string[];
  enabled?: boolean;
  addGroups: string[];
  removeGroups: string[];
}

const VERIFIED_FOR: Record<string, string> = { email: "email_verified", phone_number: "phone_number_verified" };

/**
 * Attributes the DR user must have: the replicated ones exactly as the primary has them (its
 * `email_verified` included: a user confirmed by an administrator without proving the email
 * stays unverified in DR too) and the canonical id. Sorted by name.
 */
export function desiredAttributes(record: ReplicatedUser, config: ReplicationConfig): AttributeType[] {
  for (const name of config.required) {
    if (!record.attributes[name]) throw new MissingRequiredAttributeError(name);
  }
  const replicated = toCognitoAttributes(record.attributes, config);
  // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent for `<=` and every `a > b` variant, names being unique (object keys plus the canonical id, which toCognitoAttributes refuses among them) and V8's sort testing only comparator < 0 (the line's reversing and no-op mutants, silenced too, were killed by the sorted createUserInput test)
  return [...replicated, { Name: canonicalIdAttributeName(config), Value: record.canonicalId }].sort((a, b) => (a.Name! < b.Name! ? -1 : a.Name! > b.Name! ? 1 : 0));
}

/** The exact AdminCreateUser request for a record (no TemporaryPassword: passwordless pools confirm such users). */
export function createUserInput(record: ReplicatedUser, ctx: { userPoolId: string; config: ReplicationConfig }): AdminCreateUserCommandInput {
  const attributes = desiredAttributes(record, ctx.config);
  return {
    UserPoolId: ctx.userPoolId,
    Username: record.attributes.email,
    UserAttributes: attributes,
    MessageAction: "SUPPRESS",
  };
}

/** Pure diff between the record and a DR user; operator drift checks reuse it. */
export function planUser(record: ReplicatedUser, current: DrUserState, config: ReplicationConfig): UserPlan {
  const desired = desiredAttributes(record, config);
  const wanted = attributeMap(desired);
  // A user born in this pool carries its own sub as canonical id (D3): no attribute is written to
  // say so (a native primary user, a user who signed up in DR, updated from the other region).
  const canonical = canonicalIdAttributeName(config);
  const ownSub = current.attributes[canonical] === undefined && current.attributes.sub === record.canonicalId;
  const update = desired.filter((a) => current.attributes[a.Name!] !== a.Value && !(ownSub && a.Name === canonical));
  // Changing email/phone resets its *_verified flag unless the same call sets it.
  for (const a of [...update]) {
    const flag = VERIFIED_FOR[a.Name!];
    if (flag && wanted[flag] !== undefined && !update.some((u) => u.Name === flag)) update.push({ Name: flag, Value: wanted[flag] });
  }
  // Attributes the primary no longer has. *_verified flags are Cognito-managed: never deleted.
  const remove = Object.keys(current.attributes)
    .filter((name) => config.replicated.has(name) && !(name in wanted) && !name.endsWith("_verified"))
    .sort();
  const groups = new Set(current.groups);
  const desiredGroups = new Set(record.groups);
  return {
    // Stryker disable next-line EqualityOperator: equivalent for `<=`, which differs only for equal names and update's are unique (a *_verified flag is added only when absent); the reversing `>=`, silenced too, was killed by the sorted-plan test
    update: update.sort((a, b) => (a.Name! < b.Name! ? -1 : 1)),
    delete: remove,
    enabled: current.enabled === drEnabled(record) ? undefined : drEnabled(record),
    addGroups: [...desiredGroups].filter((g) => !groups.has(g)).sort(),
    removeGroups: [...groups].filter((g) => !desiredGroups.has(g)).sort(),
  };
}


/**
 * Whether the DR copy is enabled: as the primary user, except that a user in FORCE_CHANGE_PASSWORD
 * (`forceChangePassword`: created by an administrator and never signed in, or given a temporary
 * password by one) stays disabled.
 *
 * Why: the replicator creates DR users without a password, which Cognito confirms at once, so a DR
 * copy signs in by EMAIL_OTP with nothing but the mailbox. In the primary the same user first needs
 * the temporary password, which the administrator may have handed over out of band (MessageAction
 * SUPPRESS), which expires (TemporaryPasswordValidityDays), and which an administrator sets after a
 * suspected compromise. An enabled copy would let in, in DR, whoever reads the mailbox, where the
 * primary would not: DR must never grant more than the primary. The cost is small: an invited user
 * never signed in, so has nothing to lose in a failover; a user reset by an administrator is locked
 * out of the primary too until they set a password. The copy still exists (email, canonical id,
 * groups), so enabling it is one call: change capture re-reads the user when it sets its password
 * (RespondToAuthChallenge NEW_PASSWORD_REQUIRED, AdminSetUserPassword), and reconcile repairs what
 * capture missed.
 */
export function drEnabled(record: ReplicatedUser): boolean {
  return record.enabled && !record.forceChangePassword;
}

/** A DR user carrying the tombstoned canonical id, and whether it is enabled. */
export interface TombstoneTarget {
  username: string;
  enabled: boolean;
}

export type TombstoneStep = { action: "delete"; username: string } | { action: "disable"; username: string };

/**
 * What a tombstone does to the DR users that carry its canonical id: under `delete` every one goes
 * (an erasure must propagate, twins included); under `disable` every enabled one is disabled and
 * kept (for environments that must retain the account). Sorted by username.
 */
export function planTombstone(policy: DeletionPolicy, targets: readonly TombstoneTarget[]): TombstoneStep[] {
  const sorted = [...targets].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  if (policy === "delete") return sorted.map((t) => ({ action: "delete", username: t.username }));
  return sorted.filter((t) => t.enabled).map((t) => ({ action: "disable", username: t.username }));
}
