/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (c) Lambda triggers, which moto never invokes: PostConfirmation after ConfirmSignUp /
// AdminConfirmSignUp (and ConfirmForgotPassword, triggerSource
// PostConfirmation_ConfirmForgotPassword), and PreTokenGeneration (V1 or V2 event) after a sign-in
// that returns tokens, invoked through a LambdaInvoker with Cognito's 5 s timeout. A failing
// trigger turns the answer into UserLambdaValidationException (the function threw) or
// UnexpectedLambdaException (timeout / could not invoke). Token claims are not rewritten; every
// invocation is recorded for GET /__sandbox/cognito/triggers.

import { AwsCallError, awsError, parseJson } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";
import { findClient } from "./clients";
import { attrsToMap, decodeJwt, withRetries } from "./helpers";
import { describePool } from "./pool-settings";
import { idp, motoIds, sharedPoolId, type CognitoState, type TriggerInvocation } from "./state";

/** Lambda's own init limit. */
const COLD_START_ALLOWANCE_MS = 10_000;

export function callerContext(req: AwsRequest, clientId: string | undefined) {
  const ua = req.headers["user-agent"] ?? req.headers["x-amz-user-agent"] ?? "";
  const m = /aws-sdk-([a-z]+)\/([0-9.]+)/i.exec(ua);
  return { awsSdkVersion: m ? `aws-sdk-${m[1]}-${m[2]}` : "aws-sdk-unknown-unknown", clientId: clientId ?? "CLIENT_ID_NOT_APPLICABLE" };
}

/** What confirmSignUp read before confirming, to build the PostConfirmation event from. */
export interface Confirmed {
  poolId: string;
  pool: any;
  user: any;
  /** The user's attributes as they are now (email_verified already set when it was). */
  attrs: Record<string, string>;
  /** The app client of ConfirmSignUp / ConfirmForgotPassword; none for AdminConfirmSignUp. */
  clientId: string | undefined;
}

/** Runs PostConfirmation for a user just confirmed: `res` on success, else Cognito's error answer. */
export async function postConfirmation(s: CognitoState, req: AwsRequest, body: Record<string, any>, c: Confirmed, res: AwsResponse): Promise<AwsResponse> {
  const fn: string | undefined = c.pool.LambdaConfig?.PostConfirmation;
  if (!fn) return res;
  const request: Record<string, unknown> = { userAttributes: { ...c.attrs, "cognito:user_status": "CONFIRMED" } };
  if (body.ClientMetadata) request.clientMetadata = body.ClientMetadata;
  const event = {
    version: "1",
    region: req.region,
    userPoolId: c.poolId,
    userName: c.user.Username,
    callerContext: callerContext(req, c.clientId),
    triggerSource: req.operation === "ConfirmForgotPassword" ? "PostConfirmation_ConfirmForgotPassword" : "PostConfirmation_ConfirmSignUp",
    request,
    response: {},
  };
  const { error } = await runTrigger(s, req.region, c.poolId, "PostConfirmation", fn, event);
  return error ? awsError(req, 400, error.code, error.message) : res;
}

/** Runs PreTokenGeneration when `res` carries tokens. */
export async function afterSignIn(s: CognitoState, req: AwsRequest, body: Record<string, any>, res: AwsResponse): Promise<AwsResponse> {
  if (res.status >= 300) return res;
  const out = parseJson(res);
  const result = out?.AuthenticationResult;
  if (!result?.AccessToken) return res;
  const claims = decodeJwt(result.AccessToken) ?? {};
  let poolId: string | undefined = body.UserPoolId;
  if (!poolId && typeof claims.iss === "string") poolId = claims.iss.split("/").pop();
  if (!poolId && body.ClientId) poolId = (await findClient(s, String(body.ClientId), req.region))?.poolId;
  if (!poolId) return res;
  // A native secondary's tokens name the shared pool id; moto knows the secondary by its own.
  poolId = motoIds(s, req.region, poolId).poolId;
  const pool = await withRetries(() => describePool(s, req.region, poolId));
  const cfg = pool?.LambdaConfig ?? {};
  const v2: string | undefined = cfg.PreTokenGenerationConfig?.LambdaArn;
  const version: string = cfg.PreTokenGenerationConfig?.LambdaVersion ?? "V1_0";
  const fn: string | undefined = v2 ?? cfg.PreTokenGeneration;
  if (!fn) return res;
  const username: string | undefined = claims.username ?? claims["cognito:username"] ?? body.AuthParameters?.USERNAME ?? body.ChallengeResponses?.USERNAME;
  let user: any;
  try {
    user = await idp(s, req.region, "AdminGetUser", { UserPoolId: poolId, Username: username ?? claims.sub });
  } catch {
    return res;
  }
  const groups: any = await idp(s, req.region, "AdminListGroupsForUser", { UserPoolId: poolId, Username: user.Username }).catch(() => ({}));
  const groupNames: string[] = (groups.Groups ?? []).map((g: any) => g.GroupName);
  const flow = String(body.AuthFlow ?? "");
  const triggerSource = flow.startsWith("REFRESH_TOKEN") ? "TokenGeneration_RefreshTokens" : "TokenGeneration_Authentication";
  const attrs = { ...attrsToMap(user.UserAttributes), "cognito:user_status": user.UserStatus };
  const isV2 = version === "V2_0" || version === "V3_0";
  const request: Record<string, unknown> = {
    userAttributes: attrs,
    groupConfiguration: { groupsToOverride: groupNames, iamRolesToOverride: [], preferredRole: null },
  };
  if (isV2) request.scopes = String(claims.scope ?? "aws.cognito.signin.user.admin").split(" ").filter(Boolean);
  if (body.ClientMetadata) request.clientMetadata = body.ClientMetadata;
  const event = {
    version: isV2 ? (version === "V3_0" ? "3" : "2") : "1",
    triggerSource,
    region: req.region,
    userPoolId: poolId,
    userName: user.Username,
    callerContext: callerContext(req, body.ClientId ?? claims.client_id),
    request,
    response: isV2 ? { claimsAndScopeOverrideDetails: null } : { claimsOverrideDetails: null },
  };
  const { error } = await runTrigger(s, req.region, poolId, "PreTokenGeneration", fn, event);
  return error ? awsError(req, 400, error.code, error.message) : res;
}

/** What a trigger run came to: Cognito's error to answer with, or the function's result. */
export type TriggerOutcome = { error: { code: string; message: string } } | { error?: undefined; result: unknown };

/** Invokes a trigger; returns the Cognito error to answer with, or the function's result. */
export async function runTrigger(
  s: CognitoState,
  region: string,
  userPoolId: string,
  trigger: string,
  fn: string,
  event: { triggerSource: string },
): Promise<TriggerOutcome> {
  // A secondary's triggers run for the shared pool id: the event names it and the function's
  // resource policy is checked against the secondary's ARN (its Region, that id).
  const shared = sharedPoolId(s, region, userPoolId);
  if (shared !== userPoolId) {
    userPoolId = shared;
    if ((event as { userPoolId?: string }).userPoolId !== undefined) (event as { userPoolId?: string }).userPoolId = shared;
  }
  const started = Date.now();
  const entry: TriggerInvocation = {
    at: new Date(started).toISOString(),
    region,
    userPoolId,
    trigger,
    triggerSource: event.triggerSource,
    functionArn: fn,
    event,
    durationMs: 0,
  };
  s.log.push(entry);
  if (s.log.length > 1000) s.log.shift();
  if (!s.invoker) {
    entry.skipped = "no LambdaInvoker configured";
    return { result: event };
  }
  const fnRegion = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(fn)?.[1] ?? region;
  const denied = await invokeDenied(s, region, userPoolId, fn);
  if (denied) {
    entry.error = { name: "AccessDeniedException", message: denied };
    // What Cognito answers when the function's resource policy does not let it invoke (seen in
    // AWS: "PostConfirmation invocation failed due to error AccessDeniedException.").
    return { error: { code: "UnexpectedLambdaException", message: `${trigger} invocation failed due to error AccessDeniedException.` } };
  }
  try {
    // The Lambda runtime enforces the 5 s on the handler's run. This outer bound also
    // allows a cold start: here every execution environment shares this machine's
    // cores, where in AWS each has its own, so init time would otherwise eat the budget.
    entry.result = await withTimeout(s.invoker.invoke(fn, fnRegion, event, { timeoutMs: s.timeoutMs }), s.timeoutMs + COLD_START_ALLOWANCE_MS);
    entry.durationMs = Date.now() - started;
    return { result: entry.result };
  } catch (e) {
    entry.durationMs = Date.now() - started;
    const err = e as Error;
    entry.error = { name: err?.name ?? "Error", message: err?.message ?? String(e) };
    if (err?.name === "FunctionError") {
      return { error: { code: "UserLambdaValidationException", message: `${trigger} failed with error ${err.message}.` } };
    }
    if (err?.name === "TimeoutError") {
      return { error: { code: "UnexpectedLambdaException", message: `${trigger} invocation failed due to error TimeoutError.` } };
    }
    const name = e instanceof AwsCallError ? e.code : (err?.name ?? "Error");
    return { error: { code: "UnexpectedLambdaException", message: `${trigger} invocation failed due to error ${name}.` } };
  }
}

/**
 * Cognito invokes a trigger as the service principal cognito-idp.amazonaws.com on behalf of the
 * pool: only the function's resource policy can allow it (Cognito developer guide, "Customizing
 * user pool workflows with Lambda triggers": the policy names the pool in `aws:SourceArn` and the
 * account in `aws:SourceAccount`). Returns AWS's denial message, or undefined when allowed.
 */
async function invokeDenied(s: CognitoState, region: string, userPoolId: string, fn: string): Promise<string | undefined> {
  if (!s.authority || !fn.startsWith("arn:")) return undefined;
  const [, partition, , , account] = fn.split(":");
  const poolArn = `arn:${partition}:cognito-idp:${region}:${account}:userpool/${userPoolId}`;
  const r = await s.authority.serviceMay("cognito-idp.amazonaws.com", { arn: poolArn, account }, { action: "lambda:InvokeFunction", resource: fn.split(":").slice(0, 7).join(":"), resourcePolicy: "lambda-function" });
  return r.allowed ? undefined : r.message;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      const e = new Error(`Task timed out after ${(ms / 1000).toFixed(2)} seconds`);
      e.name = "TimeoutError";
      reject(e);
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
