/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (b) Passwordless pools (sign-in policy allows EMAIL_OTP or SMS_OTP as a first factor, tier not
// LITE): AdminCreateUser without TemporaryPassword makes the user CONFIRMED in one step, as AWS
// does, with a random permanent password nobody knows (sandbox/moto_server.py). And confirming a
// sign-up: ConfirmSignUp marks email verified when the pool auto-verifies email, then
// PostConfirmation runs (triggers.ts).

import { awsError, parseJson, responseWithJson, withJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { findClient } from "./clients";
import { attrsToMap, randomPassword, withRetries } from "./helpers";
import { describePool, isPasswordless } from "./pool-settings";
import { idp, type CognitoState } from "./state";
import { postConfirmation } from "./triggers";

/** Asks the sandbox's moto to create the user CONFIRMED with its TemporaryPassword as permanent (sandbox/moto_server.py). */
export const PERMANENT_PASSWORD_HEADER = "x-sandbox-permanent-password";

export async function adminCreateUser(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  if (body.TemporaryPassword || body.MessageAction === "RESEND") return next(req);
  const poolId = String(body.UserPoolId);
  // AWS: "When you create users without passwords, they immediately go into a CONFIRMED state"
  // (Cognito developer guide, "Creating user accounts as administrator",
  // https://docs.aws.amazon.com/cognito/latest/developerguide/how-to-create-user-accounts.html):
  // one step, so no reader ever sees the user in another state. The sandbox's moto does it in one
  // call (sandbox/moto_server.py). Read the pool first: a failure answers before any user exists
  // and the caller retries.
  let pool: any;
  try {
    pool = await withRetries(() => describePool(s, req.region, poolId));
  } catch (e) {
    if ((e as { code?: string }).code === "ResourceNotFoundException") return next(req); // moto answers with its own error
    return awsError(req, 500, "InternalErrorException", `sandbox: could not read pool ${poolId}: ${(e as Error).message}`);
  }
  if (!isPasswordless(pool)) return next(req);
  const password = randomPassword();
  const asked = withJson({ ...req, headers: { ...req.headers, [PERMANENT_PASSWORD_HEADER]: "1" } }, { ...body, TemporaryPassword: password });
  const res = await next(asked);
  if (res.status >= 300) return res;
  const json = parseJson(res);
  const user = json?.User;
  if (!user?.Username) return res;
  const key = `${poolId}|${user.Username}`;
  if (user.UserStatus === "CONFIRMED") {
    s.passwords.set(key, password);
    return res;
  }
  // A moto without the sandbox's patch (MOTO_SERVER, moto_server from PATH, or internals the
  // patch did not expect: it says so on stderr) created the user in FORCE_CHANGE_PASSWORD.
  // Confirm it with a second call, which a concurrent reader can see in between, and undo the
  // create if that call fails rather than leave a FORCE_CHANGE_PASSWORD user behind.
  try {
    await withRetries(() => idp(s, req.region, "AdminSetUserPassword", { UserPoolId: poolId, Username: user.Username, Password: password, Permanent: true }));
  } catch (e) {
    await withRetries(() => idp(s, req.region, "AdminDeleteUser", { UserPoolId: poolId, Username: user.Username })).catch(() => undefined);
    return awsError(req, 500, "InternalErrorException", `sandbox: could not confirm the new user: ${(e as Error).message}`);
  }
  s.passwords.set(key, password);
  user.UserStatus = "CONFIRMED";
  return responseWithJson(res, json);
}

/** ConfirmSignUp, AdminConfirmSignUp and ConfirmForgotPassword (`next` confirms). */
export async function confirmSignUp(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  // Cognito confirms and runs PostConfirmation as one step. The sandbox needs the pool
  // and the user to build the trigger event, so it reads both *before* confirming: if
  // moto cannot answer, the call fails with nothing changed and the caller's retry is
  // safe. Confirming first and then skipping the trigger on a failed read would lose
  // the user from replication without a trace.
  const clientId: string | undefined = req.operation === "AdminConfirmSignUp" ? undefined : body.ClientId;
  let poolId: string | undefined;
  let pool: any;
  let user: any;
  try {
    poolId = body.UserPoolId ?? (clientId ? (await findClient(s, clientId, req.region))?.poolId : undefined);
    const id = poolId;
    if (id) {
      pool = await withRetries(() => describePool(s, req.region, id));
      user = await withRetries(() => idp(s, req.region, "AdminGetUser", { UserPoolId: id, Username: body.Username }));
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "ResourceNotFoundException" && code !== "UserNotFoundException") {
      return awsError(req, 500, "InternalErrorException", `sandbox: could not read the pool or the user before confirming: ${(e as Error).message}`);
    }
  }
  // Unknown client, pool or user: moto answers with its own error.
  if (!poolId || !pool || !user) return next(req);
  const res = await next(req);
  if (res.status >= 300) return res;
  const attrs = attrsToMap(user.UserAttributes);
  if (req.operation === "ConfirmSignUp" && (pool.AutoVerifiedAttributes ?? []).includes("email") && attrs.email && attrs.email_verified !== "true") {
    // The code went to the email address, so confirming it verifies the address.
    await withRetries(() =>
      idp(s, req.region, "AdminUpdateUserAttributes", {
        UserPoolId: poolId,
        Username: user.Username,
        UserAttributes: [{ Name: "email_verified", Value: "true" }],
      }),
    ).catch(() => undefined);
    attrs.email_verified = "true";
  }
  return postConfirmation(s, req, body, { poolId, pool, user, attrs, clientId }, res);
}
