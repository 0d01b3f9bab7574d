/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (a) Pool settings moto stores but drops from DescribeUserPool (UserPoolTier, the sign-in
// policy): remembered from CreateUserPool / UpdateUserPool and echoed back, and read by the other
// parts through describePool (a pool as AWS would describe it, briefly cached).

import { parseJson, responseWithJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { idp, type CognitoState } from "./state";

/** CreateUserPool, UpdateUserPool, DescribeUserPool and DeleteUserPool. */
export async function poolRequest(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  switch (req.operation) {
    case "CreateUserPool":
    case "UpdateUserPool": {
      if (typeof body.UserPoolId === "string") s.poolCache.delete(body.UserPoolId);
      const res = await next(req);
      if (res.status < 300) {
        const id = req.operation === "CreateUserPool" ? parseJson(res)?.UserPool?.Id : body.UserPoolId;
        if (typeof id === "string") {
          const settings = s.pools.get(id) ?? {};
          if (body.UserPoolTier !== undefined) settings.tier = body.UserPoolTier;
          else if (req.operation === "CreateUserPool") settings.tier = "ESSENTIALS"; // AWS's default for new pools
          if (body.Policies?.SignInPolicy !== undefined) settings.signInPolicy = body.Policies.SignInPolicy;
          s.pools.set(id, settings);
        }
        if (req.operation === "CreateUserPool") return echoPool(s, res, "UserPool");
      }
      return res;
    }
    case "DescribeUserPool":
      return echoPool(s, await next(req), "UserPool");
    case "DeleteUserPool": {
      s.poolCache.delete(String(body.UserPoolId));
      const res = await next(req);
      if (res.status < 300) s.pools.delete(String(body.UserPoolId));
      return res;
    }
    default:
      return next(req);
  }
}

function echoPool(s: CognitoState, res: AwsResponse, field: string): AwsResponse {
  if (res.status >= 300) return res;
  const json = parseJson(res);
  const pool = json?.[field];
  if (!pool?.Id) return res;
  const settings = s.pools.get(pool.Id);
  if (!settings) return res;
  let changed = false;
  if (settings.tier !== undefined && pool.UserPoolTier !== settings.tier) {
    pool.UserPoolTier = settings.tier;
    changed = true;
  }
  if (settings.signInPolicy !== undefined && JSON.stringify(pool.Policies?.SignInPolicy) !== JSON.stringify(settings.signInPolicy)) {
    pool.Policies = { ...(pool.Policies ?? {}), SignInPolicy: settings.signInPolicy };
    changed = true;
  }
  return changed ? responseWithJson(res, json) : res;
}

/** The pool as AWS would describe it (with the settings moto drops). */
export async function describePool(s: CognitoState, region: string, poolId: string): Promise<any> {
  // Pool settings change only through UpdateUserPool (which clears this); a short cache keeps
  // bulk AdminCreateUser / ConfirmSignUp from paying an extra DescribeUserPool each.
  const cached = s.poolCache.get(poolId);
  if (cached && cached.until > Date.now()) return structuredClone(cached.pool);
  const d = await idp(s, region, "DescribeUserPool", { UserPoolId: poolId });
  const pool = d.UserPool ?? {};
  s.poolCache.set(poolId, { until: Date.now() + 2000, pool: structuredClone(pool) });
  const settings = s.pools.get(poolId);
  if (settings?.tier !== undefined) pool.UserPoolTier = settings.tier;
  if (settings?.signInPolicy !== undefined) pool.Policies = { ...(pool.Policies ?? {}), SignInPolicy: settings.signInPolicy };
  return pool;
}

/** Passwordless sign-in is active: an OTP first factor is allowed and the tier is not LITE. */
export function isPasswordless(pool: any): boolean {
  const factors: string[] = pool?.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? [];
  return (factors.includes("EMAIL_OTP") || factors.includes("SMS_OTP")) && pool?.UserPoolTier !== "LITE";
}
