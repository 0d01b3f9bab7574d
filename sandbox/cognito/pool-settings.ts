/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (a) Pool settings moto stores but drops from DescribeUserPool (UserPoolTier, the sign-in
// policy): remembered from CreateUserPool / UpdateUserPool and echoed back, and read by the other
// parts through describePool (a pool as AWS would describe it, briefly cached). And the pool's
// tags, which moto cannot change (it has no TagResource, UntagResource or ListTagsForResource:
// terraform retries its answer for ever): kept here, answered here, echoed as UserPoolTags.

import { awsError, jsonResponse, parseJson, responseWithJson, withJson } from "../aws";
import { withRetries } from "./helpers";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { idp, type CognitoState } from "./state";
import { applyTokenIssuer } from "./token-issuer";

/** CreateUserPool, UpdateUserPool, DescribeUserPool and DeleteUserPool. */
export async function poolRequest(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  switch (req.operation) {
    case "CreateUserPool":
    case "UpdateUserPool": {
      if (typeof body.UserPoolId === "string") s.poolCache.delete(body.UserPoolId);
      let sent = req;
      if (req.operation === "UpdateUserPool") {
        const kept = await keepCreateOnly(s, req, body);
        if ("error" in kept) return kept.error;
        sent = kept.req;
      }
      const res = await next(sent);
      if (res.status < 300) {
        const id = req.operation === "CreateUserPool" ? parseJson(res)?.UserPool?.Id : body.UserPoolId;
        if (typeof id === "string") {
          const settings = s.pools.get(id) ?? {};
          if (body.UserPoolTier !== undefined) settings.tier = body.UserPoolTier;
          else if (req.operation === "CreateUserPool") settings.tier = "ESSENTIALS"; // AWS's default for new pools
          if (body.Policies?.SignInPolicy !== undefined) settings.signInPolicy = body.Policies.SignInPolicy;
          // moto drops both. An UpdateUserPool without them resets them to the defaults (an AWS
          // owned key, the original issuer): the API reference's rule for every omitted
          // parameter, as the sandbox assumes in the absence of anything said about these two
          // (sandbox/README.md). Terraform's aws_cognito_user_pool (5.100.0) never sends them.
          settings.keyConfiguration = body.KeyConfiguration ?? undefined;
          settings.issuerConfiguration = body.IssuerConfiguration ?? undefined;
          // UpdateUserPool sets the tags it is given (Cognito API Reference, UpdateUserPool: UserPoolTags).
          if (body.UserPoolTags !== undefined || req.operation === "CreateUserPool") settings.tags = { ...(body.UserPoolTags ?? {}) };
          s.pools.set(id, settings);
          // The tokens' issuer follows IssuerConfiguration, the pool's and its secondary's (token-issuer.ts).
          await applyTokenIssuer(s, req.region, id);
          const replica = s.replicas.get(id);
          if (replica && replica.primaryRegion === req.region) await applyTokenIssuer(s, replica.region, replica.motoPoolId);
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

/**
 * Settings only CreateUserPool takes (UpdateUserPool has no such parameter, so AWS keeps them:
 * Cognito API reference, UpdateUserPool request syntax). moto replaces a pool's whole
 * configuration with the UpdateUserPool request, dropping them: terraform's next plan then
 * replaces the pool (username_attributes "forces replacement"), and moto_server.py's username
 * index stops finding users by email. The gateway sends moto the pool's current ones with the update.
 */
export const CREATE_ONLY = ["UsernameAttributes", "AliasAttributes", "UsernameConfiguration"] as const;

async function keepCreateOnly(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<{ req: AwsRequest } | { error: AwsResponse }> {
  let pool: any;
  try {
    pool = (await withRetries(() => idp(s, req.region, "DescribeUserPool", { UserPoolId: body.UserPoolId }))).UserPool ?? {};
  } catch (e) {
    if ((e as { code?: string }).code === "ResourceNotFoundException") return { req }; // moto answers with its own error
    return { error: awsError(req, 500, "InternalErrorException", `sandbox: could not read the pool before updating it: ${(e as Error).message}`) };
  }
  const kept: Record<string, unknown> = {};
  for (const k of CREATE_ONLY) if (pool[k] !== undefined) kept[k] = pool[k];
  return Object.keys(kept).length === 0 ? { req } : { req: withJson(req, { ...body, ...kept }) };
}

/** TagResource, UntagResource and ListTagsForResource on a pool's ARN (Cognito API Reference). */
export function poolTagsRequest(s: CognitoState, req: AwsRequest, body: Record<string, any>): AwsResponse {
  const id = String(body.ResourceArn ?? "").split("userpool/")[1];
  const settings = id ? s.pools.get(id) : undefined;
  if (!id || !settings) return awsError(req, 400, "ResourceNotFoundException", `User pool ${id ?? body.ResourceArn} does not exist.`);
  const tags = (settings.tags ??= {});
  if (req.operation === "TagResource") Object.assign(tags, body.Tags ?? {});
  if (req.operation === "UntagResource") for (const k of (body.TagKeys ?? []) as string[]) delete tags[k];
  s.poolCache.delete(id);
  return jsonResponse(200, req.operation === "ListTagsForResource" ? { Tags: tags } : {});
}

/** A pool's tags as AWS reports them, or undefined for a pool this sandbox does not know. */
export function poolTags(s: CognitoState, poolId: string): Record<string, string> | undefined {
  const t = s.pools.get(poolId)?.tags;
  return t ? { ...t } : undefined;
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
  if (settings.tags !== undefined && JSON.stringify(pool.UserPoolTags ?? {}) !== JSON.stringify(settings.tags)) {
    pool.UserPoolTags = { ...settings.tags };
    changed = true;
  }
  // DescribeUserPool shows no KeyConfiguration for a pool with an AWS owned key (Cognito developer
  // guide, "Data protection": "If your DescribeUserPool response doesn't include a KeyConfiguration
  // parameter, your user pool is configured to encrypt ... with an AWS owned key").
  if (settings.keyConfiguration?.KeyType === "CUSTOMER_MANAGED_KEY") {
    pool.KeyConfiguration = { ...settings.keyConfiguration };
    changed = true;
  }
  if (settings.issuerConfiguration) {
    pool.IssuerConfiguration = { ...settings.issuerConfiguration };
    changed = true;
  }
  return changed ? responseWithJson(res, json) : res;
}

/** The pool as AWS would describe it (with the settings moto drops). */
export async function describePool(s: CognitoState, region: string, poolId: string): Promise<any> {
  // Pool settings change only through UpdateUserPool (which clears this); a short cache keeps
  // bulk AdminCreateUser / ConfirmSignUp from paying an extra DescribeUserPool each.
  const cached = s.poolCache.get(poolId);
  let pool: any;
  if (cached && cached.until > Date.now()) pool = structuredClone(cached.pool);
  else {
    pool = (await idp(s, region, "DescribeUserPool", { UserPoolId: poolId })).UserPool ?? {};
    s.poolCache.set(poolId, { until: Date.now() + 2000, pool: structuredClone(pool) });
  }
  // On a cache hit too: the cache holds moto's answer, these are the sandbox's.
  const settings = s.pools.get(poolId);
  if (settings?.tier !== undefined) pool.UserPoolTier = settings.tier;
  if (settings?.signInPolicy !== undefined) pool.Policies = { ...(pool.Policies ?? {}), SignInPolicy: settings.signInPolicy };
  if (settings?.tags !== undefined) pool.UserPoolTags = { ...settings.tags };
  if (settings?.keyConfiguration?.KeyType === "CUSTOMER_MANAGED_KEY") pool.KeyConfiguration = { ...settings.keyConfiguration };
  if (settings?.issuerConfiguration) pool.IssuerConfiguration = { ...settings.issuerConfiguration };
  return pool;
}

/** Passwordless sign-in is active: an OTP first factor is allowed and the tier is not LITE. */
export function isPasswordless(pool: any): boolean {
  const factors: string[] = pool?.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? [];
  return (factors.includes("EMAIL_OTP") || factors.includes("SMS_OTP")) && pool?.UserPoolTier !== "LITE";
}
