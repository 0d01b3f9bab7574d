/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Native multi-Region replication of user pools, which moto lacks (Cognito developer guide,
// "Multi-Region replication for user pools", user-pool-multi-region.html; API reference of
// Create/Update/Delete/ListUserPoolReplicas):
// - CreateUserPoolReplica, in the primary's Region: the secondary starts CREATING, then INACTIVE;
//   at most one per pool; Essentials or Plus only (FeatureUnavailableInTierException); a customer
//   managed multi-Region key with a replica in the secondary's Region (replica-key.ts);
// - UpdateUserPoolReplica (either Region) sets ACTIVE or INACTIVE; DeleteUserPoolReplica only
//   from the primary's Region and only when INACTIVE; ListUserPoolReplicas lists both Regions;
// - the secondary shares the primary's pool id: a call in its Region naming that id reaches the
//   secondary, which moto holds as a pool of its own (another id, rewritten both ways here), and
//   answers only the operations the guide lists for its status (replica-rules.ts), others with
//   OperationNotEnabledException. UpdateUserPool there sets only the per-Region settings;
// - the user directory and the global settings reach the secondary a configurable lag after a
//   write to the primary (replica-sync.ts).
// - the app clients are the primary's too (copied, under the primary's client ids): sign-in and
//   sign-up calls that name only a client reach the secondary when sent to its Region (an
//   unsigned call carries no Region: clients point at regionalEndpoint(endpoint, region)).
// - tokens name the issuer IssuerConfiguration says, with the shared pool id (token-issuer.ts).
// sandbox/README.md lists the assumptions.
import { awsError, jsonResponse, parseArn, parseJson, responseWithJson, withJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { decodeJwt } from "./helpers";
import { describePool } from "./pool-settings";
import { KeyConfigurationError, replicationKey } from "./replica-key";
import { GLOBAL_POOL_FIELDS, REGIONAL_POOL_FIELDS, secondaryAllows } from "./replica-rules";
import { scheduleSync, secondaryPoolInput } from "./replica-sync";
import { idp, type CognitoState, type PoolReplica } from "./state";
import { applyTokenIssuer } from "./token-issuer";

const REPLICA_OPERATIONS = new Set(["CreateUserPoolReplica", "UpdateUserPoolReplica", "DeleteUserPoolReplica", "ListUserPoolReplicas"]);
/** Reads: they change nothing a secondary would receive. */
const READ = /^(Describe|List|Get|AdminGet|AdminList)/;

/** The replica's status now (CREATING turns INACTIVE on its own; a finished DELETING is gone). */
export function currentStatus(r: PoolReplica, now = Date.now()): PoolReplica["status"] | "GONE" {
  if (r.status === "CREATING" && now >= r.until) r.status = "INACTIVE";
  if (r.status === "DELETING" && now >= r.until) return "GONE";
  return r.status;
}

const replicaType = (r: PoolReplica) => ({
  RegionName: r.region,
  Status: currentStatus(r) === "GONE" ? "DELETING" : r.status,
  Role: "SECONDARY",
  UserPoolArn: regionalArn(r.primaryArn, r.region),
});

const regionalArn = (arn: string, region: string) => arn.replace(`:${parseArn(arn).region}:`, `:${region}:`);

/** The pool id a request names: UserPoolId, or a pool ARN (tags). */
function namedPool(body: Record<string, any>): string | undefined {
  if (typeof body.UserPoolId === "string") return body.UserPoolId;
  const arn = typeof body.ResourceArn === "string" ? body.ResourceArn : undefined;
  return arn?.includes(":userpool/") ? arn.split(":userpool/")[1] : undefined;
}

/** The pool an access token names (its issuer's last path segment: the shared id for a secondary's tokens). */
function tokenPool(token: unknown): string | undefined {
  const iss = decodeJwt(token)?.iss;
  return typeof iss === "string" ? iss.split("/").pop() : undefined;
}

/**
 * The secondary a request in `region` reaches, if any: by the pool it names, or (sign-in, sign-up:
 * calls that name only an app client) by one of the primary's app clients, which the secondary shares.
 */
function secondaryIn(s: CognitoState, region: string, poolId: string | undefined, clientId?: unknown): PoolReplica | undefined {
  if (poolId) {
    const r = s.replicas.get(poolId);
    return r && r.region === region ? r : undefined;
  }
  if (typeof clientId !== "string") return undefined;
  return [...s.replicas.values()].find((r) => r.region === region && r.clients.has(clientId));
}

/**
 * Routes a Cognito request: the replica operations, and every call that reaches a secondary.
 * Undefined: an ordinary call, for the rest of the plugin.
 */
export async function replicaRequest(s: CognitoState, req: AwsRequest, body: Record<string, any>, serve: Next): Promise<AwsResponse | undefined> {
  const op = req.operation!;
  // Every Cognito call passes here: with no replica, only the replica operations need anything.
  if (s.replicas.size === 0 && !REPLICA_OPERATIONS.has(op)) return undefined;
  const poolId = namedPool(body);
  const secondary = secondaryIn(s, req.region, poolId ?? tokenPool(body.AccessToken), body.ClientId);
  if (REPLICA_OPERATIONS.has(op)) return replicaOperation(s, req, body, secondary);
  if (op === "ListUserPools") return listWithSecondaries(s, req, body, serve);
  if (!secondary) return undefined;
  const status = currentStatus(secondary);
  if (status === "GONE") s.replicas.delete(secondary.poolId);
  if (status === "GONE" || status === "CREATING") return awsError(req, 400, "ResourceNotFoundException", `User pool ${secondary.poolId} does not exist.`);
  if (!secondaryAllows(op, status)) {
    return awsError(req, 400, "OperationNotEnabledException", `${op} is not available in a secondary user pool (${req.region}, ${status}): only the primary Region ${secondary.primaryRegion} serves it.`);
  }
  if (op === "UpdateUserPool") return updateSecondary(s, req, body, secondary, serve);
  return toSecondary(req, body, secondary, serve);
}

/**
 * ListUserPools in a Region that holds secondaries: each one under the shared pool id (a tool that
 * finds the pool by name there, as the native DR stack does, must get the id every other call takes),
 * and none still CREATING or gone (DescribeUserPool does not know them either).
 */
async function listWithSecondaries(s: CognitoState, req: AwsRequest, body: Record<string, any>, serve: Next): Promise<AwsResponse | undefined> {
  const here = [...s.replicas.values()].filter((r) => r.region === req.region);
  if (here.length === 0) return undefined;
  const res = await serve(withJson(req, body));
  const json = parseJson(res) as { UserPools?: Array<Record<string, unknown>> } | undefined;
  if (!json?.UserPools) return res;
  const byMotoId = new Map(here.map((r) => [r.motoPoolId, r]));
  const UserPools = json.UserPools.flatMap((p) => {
    const r = byMotoId.get(String(p.Id));
    if (!r) return [p];
    const status = currentStatus(r);
    return status === "INACTIVE" || status === "ACTIVE" ? [{ ...p, Id: r.poolId }] : [];
  });
  return responseWithJson(res, { ...json, UserPools });
}

/** Sends the call to moto's pool behind the secondary and answers with the shared ids (pool and app clients). */
async function toSecondary(req: AwsRequest, body: Record<string, any>, r: PoolReplica, serve: Next): Promise<AwsResponse> {
  const pairs: Array<[string, string]> = [[r.poolId, r.motoPoolId], ...r.clients];
  const swap = (text: string, inward: boolean) => pairs.reduce((t, [shared, own]) => (inward ? t.split(shared).join(own) : t.split(own).join(shared)), text);
  const res = await serve(withJson(req, JSON.parse(swap(JSON.stringify(body), true))));
  const json = parseJson(res);
  if (json === undefined) return res;
  const text = JSON.stringify(json);
  const shown = swap(text, false);
  return shown !== text ? responseWithJson(res, JSON.parse(shown)) : res;
}

/**
 * UpdateUserPool in the secondary: the per-Region settings change; every global setting given
 * must equal its existing value ("global settings required to match existing values"; KeyConfiguration
 * and IssuerConfiguration "must match the existing configuration and cannot be modified").
 */
async function updateSecondary(s: CognitoState, req: AwsRequest, body: Record<string, any>, r: PoolReplica, serve: Next): Promise<AwsResponse> {
  // "Existing values": the secondary's own (its KeyConfiguration names the key's replica in its Region).
  const current = await describePool(s, r.region, r.motoPoolId);
  for (const field of GLOBAL_POOL_FIELDS) {
    if (body[field] === undefined) continue;
    if (JSON.stringify(body[field]) !== JSON.stringify(current[field])) {
      return awsError(req, 400, "InvalidParameterException", `${field} is a global setting of user pool ${r.poolId}: in the secondary Region it must equal the existing value (set it in ${r.primaryRegion}).`);
    }
  }
  const update: Record<string, any> = { ...secondaryPoolInput(current, current), UserPoolId: r.poolId };
  for (const field of REGIONAL_POOL_FIELDS) if (body[field] !== undefined) update[field] = body[field];
  return toSecondary(req, update, r, serve);
}

async function replicaOperation(s: CognitoState, req: AwsRequest, body: Record<string, any>, secondary: PoolReplica | undefined): Promise<AwsResponse> {
  const poolId = String(body.UserPoolId ?? "");
  const op = req.operation!;
  const existing = s.replicas.get(poolId);
  if (existing && currentStatus(existing) === "GONE") s.replicas.delete(poolId);
  const replica = s.replicas.get(poolId);
  if (secondary && op === "CreateUserPoolReplica") return awsError(req, 400, "OperationNotEnabledException", `CreateUserPoolReplica is not available in a secondary user pool: call it in ${secondary.primaryRegion}.`);
  if (secondary && op === "DeleteUserPoolReplica") {
    // The API reference: "This operation must be called from the primary Region" (the developer
    // guide's list of secondary operations names it too; the sandbox follows the API reference).
    return awsError(req, 400, "OperationNotEnabledException", `DeleteUserPoolReplica must be called from the primary Region ${secondary.primaryRegion}.`);
  }
  let primary: any;
  try {
    primary = secondary ? undefined : await describePool(s, req.region, poolId);
  } catch {
    return awsError(req, 400, "ResourceNotFoundException", `User pool ${poolId} does not exist.`);
  }
  switch (op) {
    case "ListUserPoolReplicas": {
      const arn = secondary?.primaryArn ?? primary.Arn;
      const region = secondary?.primaryRegion ?? req.region;
      const list = [{ RegionName: region, Status: "ACTIVE", Role: "PRIMARY", UserPoolArn: arn }, ...(replica ? [replicaType(replica)] : [])];
      return jsonResponse(200, { UserPoolReplicas: list });
    }
    case "CreateUserPoolReplica":
      return createReplica(s, req, body, primary, replica);
    case "UpdateUserPoolReplica": {
      if (!replica || replica.region !== body.RegionName) return awsError(req, 400, "ResourceNotFoundException", `User pool ${poolId} has no replica in ${String(body.RegionName)}.`);
      if (body.Status !== "ACTIVE" && body.Status !== "INACTIVE") return awsError(req, 400, "InvalidParameterException", "Status must be ACTIVE or INACTIVE.");
      const status = currentStatus(replica);
      if (status !== "ACTIVE" && status !== "INACTIVE") return awsError(req, 400, "InvalidParameterException", `The replica in ${replica.region} is ${status}; it can be activated or deactivated once it is INACTIVE or ACTIVE.`);
      replica.status = body.Status;
      return jsonResponse(200, { UserPoolReplica: replicaType(replica) });
    }
    case "DeleteUserPoolReplica": {
      if (!replica || replica.region !== body.RegionName) return awsError(req, 400, "ResourceNotFoundException", `User pool ${poolId} has no replica in ${String(body.RegionName)}.`);
      const status = currentStatus(replica);
      if (status !== "INACTIVE") return awsError(req, 400, "InvalidParameterException", `Only an INACTIVE replica can be deleted; the replica in ${replica.region} is ${status}.`);
      replica.status = "DELETING";
      replica.until = Date.now() + s.replicaTransitionMs;
      clearTimeout(replica.syncTimer);
      const answer = jsonResponse(200, { UserPoolReplica: replicaType(replica) });
      setTimeout(() => void idp(s, replica.region, "DeleteUserPool", { UserPoolId: replica.motoPoolId }).catch(() => undefined), s.replicaTransitionMs).unref();
      return answer;
    }
    default:
      return awsError(req, 400, "InvalidParameterException", `unknown replica operation ${op}`);
  }
}

async function createReplica(s: CognitoState, req: AwsRequest, body: Record<string, any>, primary: any, replica: PoolReplica | undefined): Promise<AwsResponse> {
  const region = String(body.RegionName ?? "");
  if (!s.regions.includes(region)) return awsError(req, 400, "InvalidParameterException", `RegionName ${region || "(missing)"} is not a Region this sandbox serves (${s.regions.join(", ")}).`);
  if (region === req.region) return awsError(req, 400, "InvalidParameterException", `RegionName must be another Region than the user pool's (${req.region}).`);
  if (primary.UserPoolTier === "LITE") return awsError(req, 400, "FeatureUnavailableInTierException", "Multi-Region replication requires the Essentials or Plus feature plan.");
  if (replica) return awsError(req, 400, "LimitExceededException", `User pool ${primary.Id} already has a replica (${replica.region}): at most one secondary replica per user pool.`);
  let keyArn: string;
  try {
    keyArn = await replicationKey(s, primary.KeyConfiguration, primary.Arn, region);
  } catch (e) {
    if (e instanceof KeyConfigurationError) return awsError(req, 400, "InvalidParameterException", e.message);
    throw e;
  }
  const input = secondaryPoolInput(primary);
  const created = (await idp(s, region, "CreateUserPool", { ...input, PoolName: primary.Name, UserPoolTags: body.UserPoolTags ?? {} })).UserPool;
  const settings = s.pools.get(primary.Id) ?? {};
  s.pools.set(created.Id, {
    tier: settings.tier,
    signInPolicy: settings.signInPolicy,
    tags: { ...(body.UserPoolTags ?? {}) },
    keyConfiguration: { KeyType: "CUSTOMER_MANAGED_KEY", KmsKeyArn: keyArn },
    issuerConfiguration: settings.issuerConfiguration,
  });
  const r: PoolReplica = {
    poolId: primary.Id,
    primaryRegion: req.region,
    region,
    motoPoolId: created.Id,
    primaryArn: primary.Arn,
    status: "CREATING",
    until: Date.now() + s.replicaTransitionMs,
    clients: new Map(),
    dirty: true,
  };
  s.replicas.set(primary.Id, r);
  await applyTokenIssuer(s, region, created.Id);
  // The existing directory is copied as the replica comes up.
  scheduleSync(s, r, s.replicaTransitionMs);
  return jsonResponse(200, { UserPoolReplica: replicaType(r) });
}

/** After a successful write in a primary's Region: its secondary receives it a lag later. */
export function noteWrite(s: CognitoState, req: AwsRequest, body: Record<string, any>, res: AwsResponse): void {
  if (res.status >= 300 || READ.test(req.operation ?? "") || s.replicas.size === 0) return;
  const poolId = namedPool(body);
  for (const r of s.replicas.values()) {
    if (r.primaryRegion !== req.region) continue;
    // Calls naming only a client or a token (SignUp, ConfirmSignUp, UpdateUserAttributes, ...) may concern any pool of the Region.
    if (poolId !== undefined && poolId !== r.poolId) continue;
    r.dirty = true;
    scheduleSync(s, r, s.replicaLagMs);
  }
}

/** What the admin API shows of the replicas. */
export function replicaSummaries(s: CognitoState): unknown[] {
  return [...s.replicas.values()].map((r) => ({ ...replicaType(r), poolId: r.poolId, primaryRegion: r.primaryRegion, motoPoolId: r.motoPoolId, dirty: r.dirty, lastSync: r.lastSync }));
}
