// "Make the DR user match the record": create when absent, otherwise change only what
// differs. Idempotent, so replays, duplicates, backfill and reconcile all go through
// here; when the DR user already matches, it makes no write call at all (beyond the
// AdminCreateUser that discovers the user exists).
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  type AdminCreateUserCommandInput,
  type AttributeType,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { attributeMap, toCognitoAttributes } from "./attributes";
import { classifyAwsError } from "../shared/classify";
import { CanonicalIdConflictError, GroupNotFoundError, MissingRequiredAttributeError, TransientError, UserNotConfirmedError } from "../shared/errors";
import type { ReplicatedUser } from "./record";
import { canonicalIdAttributeName, type ReplicationConfig } from "./replication-config";

export interface UpsertContext {
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  userPoolId: string;
  config: ReplicationConfig;
}

export interface UpsertOptions {
  /** Email in the stream's OldImage: when it differs, the DR user is found by it. */
  previousEmail?: string;
}

export type UpsertAction = "created" | "updated" | "unchanged";

export interface UpsertResult {
  action: UpsertAction;
  /** Value-free list of what changed, e.g. `["attributes:2", "disable", "groups:+1-0"]`. */
  changes: string[];
}

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
export function createUserInput(record: ReplicatedUser, ctx: Pick<UpsertContext, "userPoolId" | "config">): AdminCreateUserCommandInput {
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
  const update = desired.filter((a) => current.attributes[a.Name!] !== a.Value);
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
    enabled: current.enabled === record.enabled ? undefined : record.enabled,
    addGroups: [...desiredGroups].filter((g) => !groups.has(g)).sort(),
    removeGroups: [...groups].filter((g) => !desiredGroups.has(g)).sort(),
  };
}

const errorName = (err: unknown): string | undefined => (err as { name?: string } | null)?.name;

/** The DR user under `username` (reads only; undefined when there is none). Backfill's dry run reads the same way. */
export async function readDrUser(ctx: UpsertContext, username: string): Promise<{ username: string; attributes: Record<string, string>; enabled: boolean; status?: string } | undefined> {
  try {
    const out = await ctx.cognito.send(new AdminGetUserCommand({ UserPoolId: ctx.userPoolId, Username: username }));
    return { username: out.Username ?? username, attributes: attributeMap(out.UserAttributes), enabled: out.Enabled ?? true, status: out.UserStatus };
  } catch (err) {
    if (errorName(err) === "UserNotFoundException") return undefined;
    throw err;
  }
}

/** Every group of the DR user, all pages (reads only). */
export async function readDrGroups(ctx: UpsertContext, username: string): Promise<string[]> {
  const groups: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await ctx.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: ctx.userPoolId, Username: username, Limit: 60, NextToken }));
    for (const g of out.Groups ?? []) if (g.GroupName) groups.push(g.GroupName);
    NextToken = out.NextToken;
  } while (NextToken);
  return groups;
}

async function addToGroup(ctx: UpsertContext, username: string, group: string): Promise<void> {
  try {
    await ctx.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: ctx.userPoolId, Username: username, GroupName: group }));
  } catch (err) {
    if (errorName(err) === "ResourceNotFoundException") throw new GroupNotFoundError(group, { cause: err });
    throw err;
  }
}

async function setEnabled(ctx: UpsertContext, username: string, enabled: boolean): Promise<void> {
  const input = { UserPoolId: ctx.userPoolId, Username: username };
  await ctx.cognito.send(enabled ? new AdminEnableUserCommand(input) : new AdminDisableUserCommand(input));
}

function ownedBy(record: ReplicatedUser, attributes: Record<string, string>, config: ReplicationConfig): boolean {
  return attributes[canonicalIdAttributeName(config)] === record.canonicalId;
}

async function applyPlan(ctx: UpsertContext, username: string, plan: UserPlan): Promise<string[]> {
  const changes: string[] = [];
  const base = { UserPoolId: ctx.userPoolId, Username: username };
  if (plan.update.length > 0) {
    await ctx.cognito.send(new AdminUpdateUserAttributesCommand({ ...base, UserAttributes: plan.update }));
    changes.push(`attributes:${plan.update.length}`);
  }
  if (plan.delete.length > 0) {
    await ctx.cognito.send(new AdminDeleteUserAttributesCommand({ ...base, UserAttributeNames: plan.delete }));
    changes.push(`deleted:${plan.delete.length}`);
  }
  if (plan.enabled !== undefined) {
    await setEnabled(ctx, username, plan.enabled);
    changes.push(plan.enabled ? "enable" : "disable");
  }
  for (const g of plan.addGroups) await addToGroup(ctx, username, g);
  for (const g of plan.removeGroups) await ctx.cognito.send(new AdminRemoveUserFromGroupCommand({ ...base, GroupName: g }));
  if (plan.addGroups.length + plan.removeGroups.length > 0) changes.push(`groups:+${plan.addGroups.length}-${plan.removeGroups.length}`);
  return changes;
}

async function reconcile(ctx: UpsertContext, record: ReplicatedUser, user: NonNullable<Awaited<ReturnType<typeof readDrUser>>>): Promise<UpsertResult> {
  const groups = await readDrGroups(ctx, user.username);
  const plan = planUser(record, { ...user, groups }, ctx.config);
  const changes = await applyPlan(ctx, user.username, plan);
  return { action: changes.length > 0 ? "updated" : "unchanged", changes };
}

async function upsert(ctx: UpsertContext, record: ReplicatedUser, options: UpsertOptions, attempt = 1): Promise<UpsertResult> {
  const input = createUserInput(record, ctx); // validates required attributes before any call
  const email = record.attributes.email;

  if (options.previousEmail && options.previousEmail !== email && attempt === 1) {
    const previous = await readDrUser(ctx, options.previousEmail);
    // A user under the old email that is someone else's is not ours to move.
    if (previous && ownedBy(record, previous.attributes, ctx.config)) return reconcile(ctx, record, previous);
  }

  try {
    const created = await ctx.cognito.send(new AdminCreateUserCommand(input));
    const username = created.User?.Username ?? email;
    const status = created.User?.UserStatus;
    if (status !== undefined && status !== "CONFIRMED") {
      // A user created without a password that is not CONFIRMED has a password nobody knows: it was
      // ours a moment ago, so remove it (a redrive after the pool is fixed creates it properly).
      await ctx.cognito.send(new AdminDeleteUserCommand({ UserPoolId: ctx.userPoolId, Username: username }));
      throw new UserNotConfirmedError(status);
    }
    const changes = ["create"];
    if (!record.enabled) {
      await setEnabled(ctx, username, false);
      changes.push("disable");
    }
    for (const g of [...record.groups].sort()) await addToGroup(ctx, username, g);
    if (record.groups.length > 0) changes.push(`groups:+${record.groups.length}-0`);
    return { action: "created", changes };
  } catch (err) {
    if (errorName(err) !== "UsernameExistsException") throw err;
  }

  const existing = await readDrUser(ctx, email);
  if (!existing) throw new TransientError("user existed at create but not at read; retrying");
  if (!ownedBy(record, existing.attributes, ctx.config)) {
    const has = existing.attributes[canonicalIdAttributeName(ctx.config)] ? "another canonical id" : "no canonical id";
    throw new CanonicalIdConflictError(`the DR user with this email carries ${has}`);
  }
  if (existing.status === "FORCE_CHANGE_PASSWORD" && attempt === 1) {
    // Ours, but left unable to sign in (created while the pool was misconfigured, and the removal
    // failed): create it again, which confirms it now that the pool allows passwordless sign-in.
    await ctx.cognito.send(new AdminDeleteUserCommand({ UserPoolId: ctx.userPoolId, Username: existing.username }));
    return upsert(ctx, record, options, 2);
  }
  return reconcile(ctx, record, existing);
}

/** Makes the DR user match `record`. Throws a classified ReplicationError. */
export async function upsertDrUser(ctx: UpsertContext, record: ReplicatedUser, options: UpsertOptions = {}): Promise<UpsertResult> {
  try {
    return await upsert(ctx, record, options);
  } catch (err) {
    throw classifyAwsError(err);
  }
}
