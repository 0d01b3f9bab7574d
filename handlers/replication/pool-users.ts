// Reading pools for the operator tools: ListUsers pages, group membership (one
// ListUsersInGroup walk per group: ~1 UserList call per 60 members, instead of one
// AdminListGroupsForUser UserRead call per user), and the mapping from a Cognito
// user to the replicated record and to the DR state `planUser` compares against.
import {
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type CognitoIdentityProviderClient,
  type UserType,
} from "@aws-sdk/client-cognito-identity-provider";
import { attributeMap, fromCognitoAttributes } from "./attributes";
import { expiresAtFor, parseRecord, RECORD_SCHEMA_VERSION, type ReplicatedUser } from "./record";
import { canonicalIdAttributeName, type ReplicationConfig } from "./replication-config";
import type { DrUserState } from "./plan";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

export interface UserPage {
  users: UserType[];
  nextToken?: string;
}

/** One ListUsers page (60 users at most, Cognito's maximum). */
export async function listUsersPage(cognito: Cognito, poolId: string, opts: { token?: string; filter?: string; limit?: number } = {}): Promise<UserPage> {
  const out = await cognito.send(new ListUsersCommand({ UserPoolId: poolId, Limit: opts.limit ?? 60, PaginationToken: opts.token, Filter: opts.filter }));
  return { users: out.Users ?? [], nextToken: out.PaginationToken };
}

export async function listAllUsers(cognito: Cognito, poolId: string, opts: { filter?: string; onPage?: (count: number) => void } = {}): Promise<UserType[]> {
  const all: UserType[] = [];
  let token: string | undefined;
  do {
    const page = await listUsersPage(cognito, poolId, { token, filter: opts.filter });
    all.push(...page.users);
    opts.onPage?.(all.length);
    token = page.nextToken;
  } while (token);
  return all;
}

/** Username -> sorted group names, for every user in any group of the pool. */
export async function groupMembership(cognito: Cognito, poolId: string): Promise<Map<string, string[]>> {
  const groups: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await cognito.send(new ListGroupsCommand({ UserPoolId: poolId, Limit: 60, NextToken }));
    for (const g of out.Groups ?? []) if (g.GroupName) groups.push(g.GroupName);
    NextToken = out.NextToken;
  } while (NextToken);
  const members = new Map<string, string[]>();
  for (const group of groups) {
    let token: string | undefined;
    do {
      const out = await cognito.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: group, Limit: 60, NextToken: token }));
      for (const u of out.Users ?? []) {
        if (!u.Username) continue;
        const list = members.get(u.Username) ?? [];
        list.push(group);
        members.set(u.Username, list);
      }
      token = out.NextToken;
    } while (token);
  }
  for (const list of members.values()) list.sort();
  return members;
}

/**
 * A primary user's canonical id: its own `sub`, never its `custom:canonical_id`.
 *
 * Who may legitimately carry `custom:canonical_id`: in one-way mode (the only mode today) only DR
 * users, set by the replicator's upsert to the primary user's `sub`. No primary user does: the
 * PostConfirmation record, backfill and reconcile all take the `sub`, and nothing of this project
 * writes the attribute in the primary pool. A value there was written by an administrator or by an
 * app client allowed to write it (the drift check flags such clients), and trusting it let one user
 * take over another's canonical id (issue 20); canonical-claims.ts reports it as a conflict instead.
 * A later two-way mode will create primary copies of DR-born users carrying the DR `sub` there; it
 * must trust the value only for users its own replicator created (a table record of DR origin for
 * that id) and only where no other primary user's `sub` is that id.
 */
export function primaryCanonicalId(user: UserType): string | undefined {
  return attributeMap(user.Attributes).sub || undefined;
}

/** A DR user's canonical id (set by the replicator), or undefined for users it did not create. */
export function drCanonicalId(user: UserType, config: ReplicationConfig): string | undefined {
  return attributeMap(user.Attributes)[canonicalIdAttributeName(config)] || undefined;
}

/** Users that must not replicate yet: sign-up not confirmed. */
export function replicable(user: UserType): boolean {
  return user.UserStatus !== "UNCONFIRMED";
}

export interface RecordContext {
  region: string;
  poolId: string;
  config: ReplicationConfig;
  ttlDays: number;
  now: number;
}

/** The record for a primary user as ListUsers returns it. Throws a ReplicationError when it cannot be built. */
export function recordFromUser(user: UserType, groups: readonly string[], ctx: RecordContext): ReplicatedUser {
  const canonicalId = primaryCanonicalId(user);
  const created = user.UserCreateDate ? new Date(user.UserCreateDate).getTime() : ctx.now;
  return parseRecord({
    schemaVersion: RECORD_SCHEMA_VERSION,
    canonicalId,
    username: user.Username,
    attributes: fromCognitoAttributes(user.Attributes ?? [], ctx.config),
    enabled: user.Enabled ?? true,
    groups: [...groups].sort(),
    originRegion: ctx.region,
    originPoolId: ctx.poolId,
    version: ctx.now,
    confirmedAt: Math.min(created, ctx.now),
    expiresAt: expiresAtFor(ctx.now, ctx.ttlDays),
    // Only a temporary password (an invitation, or an administrator's) lets this user in: DR keeps
    // its copy disabled until it sets its own (plan.ts, drEnabled). Absent otherwise, so records of
    // confirmed users stay as they were.
    ...(user.UserStatus === "FORCE_CHANGE_PASSWORD" ? { forceChangePassword: true } : {}),
  });
}

export function drStateFromUser(user: UserType, groups: readonly string[]): DrUserState {
  return { username: user.Username!, attributes: attributeMap(user.Attributes), enabled: user.Enabled ?? true, groups: [...groups] };
}

/** Whether two records say the same about a user (version, TTL, origin and change metadata aside). */
export function sameContent(a: ReplicatedUser, b: ReplicatedUser): boolean {
  // Stryker disable next-line EqualityOperator: equivalent, attribute names are unique keys and both records are sorted by the same comparator, so `<=` or `>=` gives equal strings exactly when `<` does
  const attrs = (r: ReplicatedUser) => JSON.stringify(Object.entries(r.attributes).sort(([x], [y]) => (x < y ? -1 : 1)));
  return (
    a.username === b.username &&
    a.enabled === b.enabled &&
    !a.deleted === !b.deleted &&
    !a.forceChangePassword === !b.forceChangePassword &&
    attrs(a) === attrs(b) &&
    [...a.groups].sort().join("\n") === [...b.groups].sort().join("\n")
  );
}
