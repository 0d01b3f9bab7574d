/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (e) The region of unsigned calls (InitiateAuth, SignUp, ConfirmSignUp, ...) from the pool id,
// the client id or the access token's issuer, and the client id -> pool index behind it.

import { parseJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { decodeJwt, regionOfPool, withRetries } from "./helpers";
import { idp, type CognitoState } from "./state";

export async function resolveRegion(s: CognitoState, req: AwsRequest): Promise<string | undefined> {
  if (req.service !== "cognito-idp") return undefined;
  const b = (req.json ?? {}) as Record<string, any>;
  const fromPool = regionOfPool(b.UserPoolId);
  if (fromPool) return fromPool;
  if (typeof b.ClientId === "string") {
    const c = await findClient(s, b.ClientId);
    if (c) return c.region;
  }
  const tok = decodeJwt(b.AccessToken);
  if (tok?.iss) {
    const m = /cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/.exec(String(tok.iss));
    if (m) return m[1];
  }
  return undefined;
}

/** The pool and region of `clientId`, searching `region` first, then every region the sandbox serves. */
export async function findClient(s: CognitoState, clientId: string, region?: string): Promise<{ poolId: string; region: string } | undefined> {
  const hit = s.clients.get(clientId);
  if (hit) return hit;
  const missUntil = s.clientMisses.get(clientId);
  if (missUntil !== undefined && missUntil > Date.now()) return undefined;
  const regions = region ? [region, ...s.regions.filter((r) => r !== region)] : s.regions;
  for (const r of regions) {
    let next: string | undefined;
    do {
      // A failed listing throws (after retries) rather than reading as "no such client".
      const pools: any = await withRetries(() => idp(s, r, "ListUserPools", { MaxResults: 60, NextToken: next }));
      for (const p of pools.UserPools ?? []) {
        let cnext: string | undefined;
        do {
          const cl: any = await withRetries(() => idp(s, r, "ListUserPoolClients", { UserPoolId: p.Id, MaxResults: 60, NextToken: cnext }));
          for (const c of cl.UserPoolClients ?? []) s.clients.set(c.ClientId, { poolId: p.Id, region: r });
          cnext = cl.NextToken;
        } while (cnext);
      }
      next = pools.NextToken;
    } while (next);
    const found = s.clients.get(clientId);
    if (found) return found;
  }
  // Unknown client: do not rescan every pool on each retry of the same bad id.
  s.clientMisses.set(clientId, Date.now() + 1000);
  return undefined;
}

/** CreateUserPoolClient / DescribeUserPoolClient: remembers the client's pool and region. */
export async function rememberClient(s: CognitoState, req: AwsRequest, next: Next): Promise<AwsResponse> {
  const res = await next(req);
  const c = parseJson(res)?.UserPoolClient;
  if (res.status < 300 && c?.ClientId) s.clients.set(c.ClientId, { poolId: c.UserPoolId, region: req.region });
  return res;
}
