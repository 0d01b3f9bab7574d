/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// What native replication carries to a secondary pool: the user directory (users with their ids,
// attributes, enabled state and passwords, groups and memberships, deletions) and the global
// settings, "eventually consistent" (the guide documents no lag: the sandbox's is configurable).
// A write to the primary schedules a sync a lag later; a sync copies the difference, straight to
// moto (outside quotas, faults and authorization, as replication is AWS's own). Users the sandbox
// never saw a password of get a random one; statuses other than CONFIRMED arrive as
// FORCE_CHANGE_PASSWORD (what moto can create), said in sandbox/README.md.
import { motoJson } from "../aws";
import { randomPassword, withRetries } from "./helpers";
import { PERMANENT_PASSWORD_HEADER } from "./passwordless";
import { CREATE_ONLY, describePool } from "./pool-settings";
import { GLOBAL_POOL_FIELDS, REGIONAL_POOL_FIELDS } from "./replica-rules";
import { idp, type CognitoState, type PoolReplica } from "./state";
import { applyTokenIssuer } from "./token-issuer";

/** Asks the sandbox's moto to give a created user this sub (sandbox/moto_server.py): a secondary's copy keeps the primary's. */
export const USER_SUB_HEADER = "x-sandbox-user-sub";

/**
 * The CreateUserPool / UpdateUserPool input of a secondary: the primary's global settings and
 * create-only settings, the secondary's own per-Region settings (none at creation).
 */
export function secondaryPoolInput(primary: any, secondary?: any): Record<string, any> {
  const input: Record<string, any> = {};
  for (const f of [...GLOBAL_POOL_FIELDS, ...CREATE_ONLY]) if (primary[f] !== undefined && f !== "KeyConfiguration") input[f] = primary[f];
  if (!secondary) {
    input.Schema = (primary.SchemaAttributes ?? []).map((a: any) =>
      Object.fromEntries(Object.entries({ ...a, Name: String(a.Name).replace(/^custom:/, "") }).filter(([, v]) => v !== null && v !== undefined)),
    );
  }
  if (secondary) {
    if (secondary.KeyConfiguration) input.KeyConfiguration = secondary.KeyConfiguration;
    for (const f of REGIONAL_POOL_FIELDS) if (secondary[f] !== undefined) input[f] = secondary[f];
  }
  return input;
}

/** Runs a sync of `r` in `delayMs` unless one is already due. */
export function scheduleSync(s: CognitoState, r: PoolReplica, delayMs: number): void {
  if (r.syncTimer) return;
  r.syncTimer = setTimeout(() => {
    r.syncTimer = undefined;
    void runSync(s, r);
  }, delayMs);
  r.syncTimer.unref();
}

/** One sync at a time per replica; a write during it schedules the next. */
export function runSync(s: CognitoState, r: PoolReplica): Promise<void> {
  // Whoever waits on a running sync waits for the one after it too, if one started or is due.
  if (r.syncing) return r.syncing.then(() => r.syncing ?? (r.dirty ? runSync(s, r) : undefined));
  if (r.status === "DELETING" || s.replicas.get(r.poolId) !== r) return Promise.resolve();
  r.dirty = false;
  r.syncing = syncReplica(s, r)
    .then((counts) => void (r.lastSync = { at: new Date().toISOString(), ...counts }))
    .catch((e: Error) => {
      r.dirty = true;
      r.lastSync = { at: new Date().toISOString(), created: 0, updated: 0, deleted: 0, error: `${e.name}: ${e.message}` };
      scheduleSync(s, r, s.replicaLagMs);
    })
    .finally(() => (r.syncing = undefined));
  return r.syncing;
}

/** Syncs every replica with a write not carried over yet, now, and waits for it. */
export async function flushReplicas(s: CognitoState): Promise<void> {
  for (const r of s.replicas.values()) {
    clearTimeout(r.syncTimer);
    r.syncTimer = undefined;
    // Until nothing is pending; a sync that keeps failing (its error in lastSync) ends it after a few rounds.
    for (let round = 0; (r.dirty || r.syncing) && round < 5; round++) await runSync(s, r);
  }
}

async function allUsers(s: CognitoState, region: string, poolId: string): Promise<any[]> {
  const users: any[] = [];
  let token: string | undefined;
  do {
    const page = await idp(s, region, "ListUsers", { UserPoolId: poolId, ...(token ? { PaginationToken: token } : {}) });
    users.push(...(page.Users ?? []));
    token = page.PaginationToken;
  } while (token);
  return users;
}

async function groupMembers(s: CognitoState, region: string, poolId: string): Promise<Map<string, { group: any; members: Set<string> }>> {
  const out = new Map<string, { group: any; members: Set<string> }>();
  let token: string | undefined;
  do {
    const page = await idp(s, region, "ListGroups", { UserPoolId: poolId, ...(token ? { NextToken: token } : {}) });
    for (const g of page.Groups ?? []) {
      const members = new Set<string>();
      let next: string | undefined;
      do {
        const m = await idp(s, region, "ListUsersInGroup", { UserPoolId: poolId, GroupName: g.GroupName, ...(next ? { NextToken: next } : {}) });
        for (const u of m.Users ?? []) members.add(u.Username);
        next = m.NextToken;
      } while (next);
      out.set(g.GroupName, { group: g, members });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

const attrs = (u: any): Record<string, string> => Object.fromEntries((u.Attributes ?? []).map((a: any) => [a.Name, a.Value]));

async function syncReplica(s: CognitoState, r: PoolReplica): Promise<{ created: number; updated: number; deleted: number }> {
  const counts = { created: 0, updated: 0, deleted: 0 };
  const call = (op: string, input: Record<string, unknown>) => withRetries(() => idp(s, r.region, op, { UserPoolId: r.motoPoolId, ...input }));
  // Global settings first: a user created below meets the primary's policies.
  const [primaryPool, secondaryPool] = await Promise.all([describePool(s, r.primaryRegion, r.poolId), describePool(s, r.region, r.motoPoolId)]);
  if (GLOBAL_POOL_FIELDS.some((f) => f !== "KeyConfiguration" && JSON.stringify(primaryPool[f]) !== JSON.stringify(secondaryPool[f]))) {
    await call("UpdateUserPool", secondaryPoolInput(primaryPool, secondaryPool));
    const settings = s.pools.get(r.motoPoolId) ?? {};
    const from = s.pools.get(r.poolId) ?? {};
    s.pools.set(r.motoPoolId, { ...settings, tier: from.tier, signInPolicy: from.signInPolicy, issuerConfiguration: from.issuerConfiguration });
    s.poolCache.delete(r.motoPoolId);
    await applyTokenIssuer(s, r.region, r.motoPoolId);
  }
  await syncClients(s, r, call);
  const [primaryUsers, secondaryUsers, primaryGroups, secondaryGroups] = await Promise.all([
    allUsers(s, r.primaryRegion, r.poolId),
    allUsers(s, r.region, r.motoPoolId),
    groupMembers(s, r.primaryRegion, r.poolId),
    groupMembers(s, r.region, r.motoPoolId),
  ]);
  const byName = new Map(secondaryUsers.map((u) => [u.Username as string, u]));
  const usernameAttrs: string[] = primaryPool.UsernameAttributes ?? [];
  for (const u of primaryUsers) {
    const a = attrs(u);
    const known = s.passwords.get(`${r.poolId}|${u.Username}`);
    const copy = byName.get(u.Username);
    const { sub: _sub, ...wanted } = a;
    if (!copy) {
      // A pool whose usernames are email addresses takes the address as Username (moto then names the user by its sub, as the primary did).
      const username = usernameAttrs.map((k) => a[k]).find(Boolean) ?? u.Username;
      const password = known ?? randomPassword();
      const confirmed = u.UserStatus === "CONFIRMED";
      const headers = { [USER_SUB_HEADER]: a.sub, ...(confirmed ? { [PERMANENT_PASSWORD_HEADER]: "1" } : {}) };
      const input = { UserPoolId: r.motoPoolId, Username: username, MessageAction: "SUPPRESS", TemporaryPassword: password, UserAttributes: Object.entries(wanted).map(([Name, Value]) => ({ Name, Value })) };
      await withRetries(() => motoJson(s.moto, "cognito-idp", r.region, "AdminCreateUser", input, headers));
      s.passwords.set(`${r.motoPoolId}|${u.Username}`, password);
      if (u.Enabled === false) await call("AdminDisableUser", { Username: u.Username });
      counts.created++;
      continue;
    }
    byName.delete(u.Username);
    const have = attrs(copy);
    const changed = Object.entries(wanted).filter(([k, v]) => have[k] !== v);
    const removed = Object.keys(have).filter((k) => k !== "sub" && !(k in a));
    if (changed.length > 0) await call("AdminUpdateUserAttributes", { Username: u.Username, UserAttributes: changed.map(([Name, Value]) => ({ Name, Value })) });
    if (removed.length > 0) await call("AdminDeleteUserAttributes", { Username: u.Username, UserAttributeNames: removed });
    let touched = changed.length + removed.length > 0;
    if ((u.Enabled !== false) !== (copy.Enabled !== false)) {
      await call(u.Enabled === false ? "AdminDisableUser" : "AdminEnableUser", { Username: u.Username });
      touched = true;
    }
    // A password is made permanent in the copy only for a CONFIRMED primary user (a sign-up not yet
    // confirmed stays unconfirmed there); a confirmation in the primary confirms the copy.
    const copyKey = `${r.motoPoolId}|${u.Username}`;
    const confirmedNow = u.UserStatus === "CONFIRMED" && copy.UserStatus !== "CONFIRMED";
    if (u.UserStatus === "CONFIRMED" && (confirmedNow || (known && s.passwords.get(copyKey) !== known))) {
      const password = known ?? s.passwords.get(copyKey) ?? randomPassword();
      await call("AdminSetUserPassword", { Username: u.Username, Password: password, Permanent: true });
      s.passwords.set(copyKey, password);
      touched = true;
    }
    if (touched) counts.updated++;
  }
  // A deleted user leaves its groups with it.
  const deleted = new Set(byName.keys());
  for (const gone of deleted) {
    await call("AdminDeleteUser", { Username: gone });
    s.passwords.delete(`${r.motoPoolId}|${gone}`);
    counts.deleted++;
  }
  for (const [name, { group, members }] of primaryGroups) {
    const have = secondaryGroups.get(name);
    if (!have) await call("CreateGroup", { GroupName: name, ...(group.Description ? { Description: group.Description } : {}), ...(group.Precedence !== undefined ? { Precedence: group.Precedence } : {}) });
    const current = have?.members ?? new Set<string>();
    for (const m of members) if (!current.has(m)) await call("AdminAddUserToGroup", { Username: m, GroupName: name });
    for (const m of current) if (!members.has(m) && !deleted.has(m)) await call("AdminRemoveUserFromGroup", { Username: m, GroupName: name });
  }
  for (const name of secondaryGroups.keys()) if (!primaryGroups.has(name)) await call("DeleteGroup", { GroupName: name });
  return counts;
}

/** CreateUserPoolClient's settings of a described client (the secret too: moto may make its own, README). */
const CLIENT_SETTINGS = [
  "ClientName",
  "ClientSecret",
  "RefreshTokenValidity",
  "AccessTokenValidity",
  "IdTokenValidity",
  "TokenValidityUnits",
  "ReadAttributes",
  "WriteAttributes",
  "ExplicitAuthFlows",
  "SupportedIdentityProviders",
  "CallbackURLs",
  "LogoutURLs",
  "DefaultRedirectURI",
  "AllowedOAuthFlows",
  "AllowedOAuthScopes",
  "AllowedOAuthFlowsUserPoolClient",
  "PreventUserExistenceErrors",
  "EnableTokenRevocation",
  "AuthSessionValidity",
];
const clientSettings = (c: any) => Object.fromEntries(CLIENT_SETTINGS.filter((k) => c[k] !== undefined && c[k] !== null).map((k) => [k, c[k]]));

/** The primary's app clients, copied to the secondary (global settings: the guide lists app clients among what the primary sets). */
async function syncClients(s: CognitoState, r: PoolReplica, call: (op: string, input: Record<string, unknown>) => Promise<any>): Promise<void> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await idp(s, r.primaryRegion, "ListUserPoolClients", { UserPoolId: r.poolId, MaxResults: 60, ...(token ? { NextToken: token } : {}) });
    ids.push(...(page.UserPoolClients ?? []).map((c: any) => String(c.ClientId)));
    token = page.NextToken;
  } while (token);
  for (const id of ids) {
    const wanted = clientSettings((await idp(s, r.primaryRegion, "DescribeUserPoolClient", { UserPoolId: r.poolId, ClientId: id })).UserPoolClient ?? {});
    const own = r.clients.get(id);
    if (!own) {
      const created = await call("CreateUserPoolClient", wanted);
      r.clients.set(id, String(created.UserPoolClient.ClientId));
      await applyTokenIssuer(s, r.region, r.motoPoolId); // its tokens name the shared client id
      continue;
    }
    const have = clientSettings((await call("DescribeUserPoolClient", { ClientId: own })).UserPoolClient ?? {});
    const { ClientSecret: _wantedSecret, ...update } = wanted;
    const { ClientSecret: _haveSecret, ...current } = have;
    if (JSON.stringify(update) !== JSON.stringify(current)) await call("UpdateUserPoolClient", { ClientId: own, ...update });
  }
  for (const [shared, own] of r.clients) {
    if (ids.includes(shared)) continue;
    await call("DeleteUserPoolClient", { ClientId: own });
    r.clients.delete(shared);
  }
}
