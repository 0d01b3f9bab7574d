// "Make the target pool's user match the record": create when absent, otherwise change only what
// differs. Idempotent, so replays, duplicates, backfill and reconcile all go through
// here; when the user already matches, it makes no write call at all (beyond the
// AdminCreateUser that discovers the user exists, when it is not found by canonical id).
// One user per canonical id: found through the directory first (dr-directory.ts), then by
// the previous and the current email, and remembered once found or created.
// The target is the DR pool, or in two-way mode also the primary pool (records born in DR); the
// names below still say "DR user" for the target pool's user, as the operator tools import them.
// A pool user's canonical id is `custom:canonical_id`, else its own `sub` (D3): so a native primary
// user, and a user born in DR, are owned by their own sub.
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
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { attributeMap } from "./attributes";
import { classifyAwsError } from "../shared/classify";
import { CanonicalIdConflictError, GroupNotFoundError, InvalidRecordError, SameEmailConflictError, TransientError, UserNotConfirmedError } from "../shared/errors";
import type { DeletionPolicy } from "../contract";
import type { DrDirectory, RecordState } from "./dr-directory";
import { createUserInput, drEnabled, planUser, type UserPlan } from "./plan";
import type { ReplicatedUser } from "./record";
import { canonicalIdAttributeName, type ReplicationConfig } from "./replication-config";

// The pure plan moved to plan.ts; operator scripts still import it from here.
export { createUserInput, desiredAttributes, drEnabled, planUser, type DrUserState, type UserPlan } from "./plan";

export interface UpsertContext {
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  userPoolId: string;
  config: ReplicationConfig;
  /**
   * Canonical id -> DR user items (dr-directory.ts): the DR user is found by canonical id first and
   * remembered after a create or a find. Without it (operator tools that pass none) the DR user is
   * found by email only, as before.
   */
  directory?: DrDirectory;
  /** With a directory: `delete` lets a new user take the email of a deleted user's DR copy (see `release`). */
  deletionPolicy?: DeletionPolicy;
}

export interface UpsertOptions {
  /** Email in the stream's OldImage: when it differs, the DR user is found by it. */
  previousEmail?: string;
  /** Internal: what was released before a second create attempt, for the result's changes. */
  released?: string[];
}

export type UpsertAction = "created" | "updated" | "unchanged";

export interface UpsertResult {
  action: UpsertAction;
  /** Value-free list of what changed, e.g. `["attributes:2", "disable", "groups:+1-0"]`. */
  changes: string[];
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

/** The canonical id a target-pool user carries (D3): its `custom:canonical_id`, else its own `sub`. */
export function carriedCanonicalId(attributes: Readonly<Record<string, string>>, config: ReplicationConfig): string | undefined {
  return attributes[canonicalIdAttributeName(config)] || attributes.sub || undefined;
}

function ownedBy(record: ReplicatedUser, attributes: Record<string, string>, config: ReplicationConfig): boolean {
  return carriedCanonicalId(attributes, config) === record.canonicalId;
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

type DrUser = NonNullable<Awaited<ReturnType<typeof readDrUser>>>;

async function reconcile(ctx: UpsertContext, record: ReplicatedUser, user: DrUser): Promise<UpsertResult> {
  const groups = await readDrGroups(ctx, user.username);
  const plan = planUser(record, { ...user, groups }, ctx.config);
  const changes = await applyPlan(ctx, user.username, plan);
  return { action: changes.length > 0 ? "updated" : "unchanged", changes };
}

/** Deletes the DR user under `username`; one already gone is fine. */
export async function deleteDrUser(ctx: UpsertContext, username: string): Promise<void> {
  try {
    await ctx.cognito.send(new AdminDeleteUserCommand({ UserPoolId: ctx.userPoolId, Username: username }));
  } catch (err) {
    if (errorName(err) !== "UserNotFoundException") throw err;
  }
}

/** The DR user the directory names for the record's canonical id, if it still exists and carries that id. */
async function findByCanonicalId(ctx: UpsertContext, record: ReplicatedUser): Promise<DrUser | undefined> {
  const entry = await ctx.directory?.entryOf(record.canonicalId);
  if (!entry) return undefined;
  const user = await readDrUser(ctx, entry.username);
  // Deleted out of band, or (never by this project) relabelled: the item is stale, so fall back to
  // the email, and a create or a find writes it again.
  if (!user || !ownedBy(record, user.attributes, ctx.config)) return undefined;
  // An item written before the reverse items (no sub): remembered again, which writes the reverse
  // item change capture needs once this user is deleted.
  const sub = user.attributes.sub;
  if (sub && entry.sub !== sub) await ctx.directory?.remember(record.canonicalId, user.username, sub);
  return user;
}

/**
 * A DR user holds the email the record needs. It is deleted (and what was done is added to
 * `changes`) when it is
 * - a twin: another DR user of the same canonical id (the one being made to match is kept, as the
 *   directory names it or the create found it); one DR user per canonical id;
 * - the DR copy of a user the primary deleted (the table's record of its canonical id is a
 *   tombstone) and the deletion policy is `delete`: the tombstone would remove it anyway, and its
 *   email now belongs to someone else, who would otherwise sign in to it by EMAIL_OTP.
 * Otherwise a canonical-id conflict is thrown, parked for a person as before.
 */
async function release(ctx: UpsertContext, record: ReplicatedUser, holder: DrUser, keep: string | undefined, changes: string[]): Promise<void> {
  const holderId = carriedCanonicalId(holder.attributes, ctx.config);
  if (holderId === record.canonicalId && holder.username !== keep) {
    await deleteDrUser(ctx, holder.username);
    changes.push("removed-twin");
    return;
  }
  const state = holderId && holderId !== record.canonicalId ? await ctx.directory?.recordState(holderId) : undefined;
  // Only the replicator passes a policy; other callers report the conflict and leave tombstones to it.
  if (holderId && state === "tombstoned" && ctx.directory && ctx.deletionPolicy) {
    if (ctx.deletionPolicy === "delete") {
      await deleteDrUser(ctx, holder.username);
      await ctx.directory.forget(holderId, holder.username);
      changes.push("removed-deleted-holder");
      return;
    }
    throw new CanonicalIdConflictError(
      "the DR user with this email is the copy of a user the primary deleted, kept (disabled) by the deletion policy: delete that DR user, then redrive",
    );
  }
  throw conflict(ctx, record, holder, state);
}

/**
 * The holder of the record's email is another person. It carries a canonical id when it has the
 * attribute, or (D3: its own `sub`) when this pool is where it was born: always in the primary pool
 * (its native users), and in DR when the table has a record of its sub (it signed up in DR, whose
 * PostConfirmation and capture wrote one). Then two canonical ids claim one email: a same-email
 * conflict, never merged. A DR user without the attribute and unknown to the table was made by
 * hand outside replication: it carries no canonical id at all (CANONICAL_ID_CONFLICT, as before).
 */
function conflict(ctx: UpsertContext, record: ReplicatedUser, holder: DrUser, state: RecordState): SameEmailConflictError | CanonicalIdConflictError {
  const attribute = holder.attributes[canonicalIdAttributeName(ctx.config)];
  const bornHere = ctx.directory?.role === "primary" || state !== undefined;
  const holderId = attribute || (bornHere ? holder.attributes.sub : undefined);
  // Only a live id is a second person (D6); a deleted user's copy is the replicator's to remove
  // (callers without a deletion policy, reconcile and backfill, leave it to it).
  if (holderId && state === "tombstoned") return new CanonicalIdConflictError("the DR user with this email is the copy of a deleted user: the replicator's tombstone removes it, then redrive");
  if (holderId) return new SameEmailConflictError(record.canonicalId, holderId);
  return new CanonicalIdConflictError("the DR user with this email carries no canonical id");
}

/** `conflict`, looking the holder's record up first (the state `release` read is gone by then). */
async function conflictAfterRelease(ctx: UpsertContext, record: ReplicatedUser, holder: DrUser): Promise<Error> {
  const holderId = carriedCanonicalId(holder.attributes, ctx.config);
  const state = holderId ? await ctx.directory?.recordState(holderId) : undefined;
  return conflict(ctx, record, holder, state);
}

/** `reconcile`, except that an email taken by another DR user is released once (see `release`). */
async function reconcileOwned(ctx: UpsertContext, record: ReplicatedUser, user: DrUser): Promise<UpsertResult> {
  try {
    return await reconcile(ctx, record, user);
  } catch (err) {
    // Cognito's answer when the new email is already another user's (email is the sign-in alias).
    if (errorName(err) !== "AliasExistsException") throw err;
    const holder = await readDrUser(ctx, record.attributes.email);
    if (!holder) throw new TransientError("the email was taken at update but free at read; retrying", { cause: err });
    const changes: string[] = [];
    await release(ctx, record, holder, user.username, changes);
    const result = await reconcile(ctx, record, user);
    return { action: "updated", changes: [...changes, ...result.changes] };
  }
}

async function upsert(ctx: UpsertContext, record: ReplicatedUser, options: UpsertOptions, attempt = 1): Promise<UpsertResult> {
  const input = createUserInput(record, ctx); // validates required attributes before any call
  const email = record.attributes.email;
  const released: string[] = [];

  if (attempt === 1) {
    // By canonical id first: the email may have changed since the DR user was made.
    const mapped = await findByCanonicalId(ctx, record);
    if (mapped) return reconcileOwned(ctx, record, mapped);
    if (options.previousEmail && options.previousEmail !== email) {
      const previous = await readDrUser(ctx, options.previousEmail);
      // A user under the old email that is someone else's is not ours to move.
      if (previous && ownedBy(record, previous.attributes, ctx.config)) {
        await ctx.directory?.remember(record.canonicalId, previous.username, previous.attributes.sub);
        return reconcileOwned(ctx, record, previous);
      }
    }
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
    // Remembered before anything else can fail: a retry then finds this user by canonical id.
    await ctx.directory?.remember(record.canonicalId, username, attributeMap(created.User?.Attributes).sub);
    const changes = [...(options.released ?? []), "create"];
    if (!drEnabled(record)) {
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
    if (attempt > 1) throw await conflictAfterRelease(ctx, record, existing);
    await release(ctx, record, existing, undefined, released);
    return upsert(ctx, record, { ...options, released }, 2);
  }
  if (existing.status === "FORCE_CHANGE_PASSWORD" && attempt === 1) {
    // Ours, but left unable to sign in (created while the pool was misconfigured, and the removal
    // failed): create it again, which confirms it now that the pool allows passwordless sign-in.
    await ctx.cognito.send(new AdminDeleteUserCommand({ UserPoolId: ctx.userPoolId, Username: existing.username }));
    return upsert(ctx, record, options, 2);
  }
  await ctx.directory?.remember(record.canonicalId, existing.username, existing.attributes.sub);
  return reconcileOwned(ctx, record, existing);
}

/** Makes the DR user match `record` (a live user; tombstone.ts applies tombstones). Throws a classified ReplicationError. */
export async function upsertDrUser(ctx: UpsertContext, record: ReplicatedUser, options: UpsertOptions = {}): Promise<UpsertResult> {
  try {
    if (record.deleted) throw new InvalidRecordError("a tombstone is applied by applyTombstone, never upserted");
    return await upsert(ctx, record, options);
  } catch (err) {
    throw classifyAwsError(err);
  }
}
