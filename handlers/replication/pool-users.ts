// Reading pools for the operator tools: ListUsers pages (walked by segmented-list.ts), group membership (one
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
import type { ReplicationMode } from "../contract";

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

/**
 * What reconcile keeps of a listed user for the join: both pools are held in memory at once, so a
 * user keeps only the attributes any step reads (the replicated ones, sub, email and its verified
 * flag, the canonical id attribute) and shares one copy of each attribute name and status string
 * across users (a parsed response gives every user its own). Everything else of UserType
 * (MFAOptions, attributes not replicated) is dropped.
 */
export function userKeeper(config: ReplicationConfig): (user: UserType) => UserType {
  const keep = new Set([...config.replicated, "sub", "email", "email_verified", canonicalIdAttributeName(config)]);
  const strings = new Map<string, string>();
  const shared = (s: string): string => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    strings.set(s, s);
    return s;
  };
  return (u) => ({
    Username: u.Username,
    Enabled: u.Enabled,
    UserStatus: u.UserStatus === undefined ? undefined : (shared(u.UserStatus) as UserType["UserStatus"]),
    UserCreateDate: u.UserCreateDate,
    UserLastModifiedDate: u.UserLastModifiedDate,
    Attributes: (u.Attributes ?? []).filter((a) => a.Name !== undefined && keep.has(a.Name)).map((a) => ({ Name: shared(a.Name!), Value: a.Value })),
  });
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
 * A primary user's canonical id (D3): in one-way mode its own `sub`, never its `custom:canonical_id`;
 * in two-way mode the attribute when set, else `sub`.
 *
 * One-way: no primary user legitimately carries the attribute. The PostConfirmation record,
 * backfill and reconcile all take the `sub`, and nothing of this project writes it in the primary
 * pool; a value there was written by an administrator or by an app client allowed to write it (the
 * drift check flags such clients), and trusting it let one user take over another's canonical id
 * (issue 20); canonical-claims.ts reports it as a conflict instead.
 * Two-way: the primary replicator's copy of a user born in DR carries the DR `sub` there (its
 * canonical id), so the attribute is trusted; app clients cannot write it (modules/user-pool.ts),
 * and canonical-claims.ts still reports a value naming another primary user's `sub`.
 */
export function primaryCanonicalId(user: UserType, config?: ReplicationConfig, mode: ReplicationMode = "one-way"): string | undefined {
  const attrs = attributeMap(user.Attributes);
  const claimed = mode === "two-way" && config ? attrs[canonicalIdAttributeName(config)]?.trim() : undefined;
  return claimed || attrs.sub || undefined;
}

/**
 * A DR user's canonical id: the attribute the replicator set; without it, in one-way mode undefined
 * (a user the replicator did not create), in two-way mode its own `sub` (a user born in DR, D3).
 */
export function drCanonicalId(user: UserType, config: ReplicationConfig, mode: ReplicationMode = "one-way"): string | undefined {
  const attrs = attributeMap(user.Attributes);
  const own = attrs[canonicalIdAttributeName(config)]?.trim() || undefined;
  return own ?? (mode === "two-way" ? attrs.sub || undefined : undefined);
}

/** A pool user without the attribute whose canonical id is its own `sub`: born in that pool (two-way). */
export function bornInPool(user: UserType, config: ReplicationConfig): boolean {
  const attrs = attributeMap(user.Attributes);
  const own = attrs[canonicalIdAttributeName(config)]?.trim();
  return !own || own === attrs.sub;
}

/** Users that must not replicate yet: sign-up not confirmed. */
export function replicable(user: UserType): boolean {
  return user.UserStatus !== "UNCONFIRMED";
}

export interface RecordContext {
  /** The canonical id the record carries; default the primary user's in one-way mode (its `sub`). */
  canonicalId?: string;
  region: string;
  poolId: string;
  config: ReplicationConfig;
  ttlDays: number;
  now: number;
}

/** The record for a primary user as ListUsers returns it. Throws a ReplicationError when it cannot be built. */
export function recordFromUser(user: UserType, groups: readonly string[], ctx: RecordContext): ReplicatedUser {
  const canonicalId = ctx.canonicalId ?? primaryCanonicalId(user);
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

/**
 * The state `planUser` compares a record against, for a user of either pool in two-way mode: a user
 * born in its pool carries no canonical id attribute, its `sub` being its canonical id (D3), so an
 * absent attribute equal to the record's id is not a difference (only the upsert adds it, harmlessly).
 */
export function poolStateFromUser(user: UserType, groups: readonly string[], canonicalId: string, config: ReplicationConfig): DrUserState {
  const state = drStateFromUser(user, groups);
  const name = canonicalIdAttributeName(config);
  if (!state.attributes[name] && state.attributes.sub === canonicalId) state.attributes[name] = canonicalId;
  return state;
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
