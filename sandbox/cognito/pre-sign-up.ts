/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (h) The PreSignUp trigger, which moto stores in LambdaConfig and never invokes (its SignUp and
// AdminCreateUser create the user at once, whatever the pool's triggers). Cognito developer guide,
// "Pre sign-up Lambda trigger"
// (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html):
// "Your user pool invokes this trigger on self-service sign-up with SignUp ... and on user creation
// with AdminCreateUser", "immediately before Amazon Cognito completes creation of a new local ...
// user", and the function may "modify or deny the new user". So the gateway runs it before it
// passes the call on, with the same runner, 5 s timeout and resource-policy check as the other
// triggers (triggers.ts): triggerSource PreSignUp_SignUp or PreSignUp_AdminCreateUser, request
// {userAttributes, validationData, clientMetadata} (the page's "Pre sign-up request parameters";
// validationData from the call's ValidationData, which Cognito "doesn't set ... as attributes of
// the user"), response {autoConfirmUser, autoVerifyEmail, autoVerifyPhone} all false. A function
// that throws refuses the call with 400 UserLambdaValidationException "PreSignUp failed with error
// <message>." and nothing is created (the call never reaches moto).
// Of the response, autoVerifyEmail / autoVerifyPhone are honoured (the page: "Set to true to set
// as verified the email of a user who is signing up"): the new user gets email_verified /
// phone_number_verified true when it has that attribute. autoConfirmUser is ignored (the user
// stays as moto creates it): whether Cognito then runs PostConfirmation is not documented, and
// guessing either way would make the sandbox disagree with AWS about replication.
// *Assumed*: `userName` is the Username the call gave (in a pool whose usernames are email
// addresses Cognito may pass the generated one, which does not exist before moto creates it);
// `validationData` is null when the call has none; `clientMetadata` is present only when given.
// An AdminCreateUser with MessageAction RESEND creates nobody and runs no trigger.

import { awsError, withJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { findClient } from "./clients";
import { withRetries } from "./helpers";
import { describePool } from "./pool-settings";
import type { CognitoState } from "./state";
import { callerContext, runTrigger } from "./triggers";

type Attr = { Name: string; Value?: string };

function toMap(list: unknown): Record<string, string> | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Record<string, string> = {};
  for (const a of list as Attr[]) if (typeof a?.Name === "string" && typeof a.Value === "string") out[a.Name] = a.Value;
  return out;
}

/** SignUp and AdminCreateUser: runs the pool's PreSignUp first; `next` creates the user. */
export async function preSignUp(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  const signUp = req.operation === "SignUp";
  if (!signUp && body.MessageAction === "RESEND") return next(req);
  let poolId: string | undefined;
  let pool: any;
  try {
    poolId = signUp ? (await findClient(s, String(body.ClientId ?? ""), req.region))?.poolId : typeof body.UserPoolId === "string" ? body.UserPoolId : undefined;
    const id = poolId;
    if (id) pool = await withRetries(() => describePool(s, req.region, id));
  } catch (e) {
    if ((e as { code?: string }).code !== "ResourceNotFoundException") {
      // Nothing created yet: the caller's retry is safe. Creating without the trigger is not.
      return awsError(req, 500, "InternalErrorException", `sandbox: could not read the pool before creating the user: ${(e as Error).message}`);
    }
  }
  const fn: string | undefined = pool?.LambdaConfig?.PreSignUp;
  // Unknown client or pool: moto answers with its own error. No trigger: nothing to run.
  if (!poolId || !fn) return next(req);

  const userAttributes = toMap(body.UserAttributes) ?? {};
  // A pool whose usernames are email addresses (or phone numbers) files the Username under that
  // attribute, as moto does on create; the trigger sees the attribute too.
  const username = String(body.Username ?? "");
  for (const kind of (pool.UsernameAttributes ?? []) as string[]) {
    if (userAttributes[kind] !== undefined) continue;
    if ((kind === "email" && username.includes("@")) || (kind === "phone_number" && username.startsWith("+"))) {
      userAttributes[kind] = username;
      break;
    }
  }
  const request: Record<string, unknown> = { userAttributes, validationData: toMap(body.ValidationData) ?? null };
  if (body.ClientMetadata) request.clientMetadata = body.ClientMetadata;
  const event = {
    version: "1",
    region: req.region,
    userPoolId: poolId,
    userName: username,
    callerContext: callerContext(req, signUp ? body.ClientId : undefined),
    triggerSource: signUp ? "PreSignUp_SignUp" : "PreSignUp_AdminCreateUser",
    request,
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  };
  const outcome = await runTrigger(s, req.region, poolId, "PreSignUp", fn, event);
  if (outcome.error) return awsError(req, 400, outcome.error.code, outcome.error.message);

  const response = (outcome.result as { response?: Record<string, unknown> } | null)?.response ?? {};
  const verified: Attr[] = [];
  if (response.autoVerifyEmail === true && userAttributes.email) verified.push({ Name: "email_verified", Value: "true" });
  if (response.autoVerifyPhone === true && userAttributes.phone_number) verified.push({ Name: "phone_number_verified", Value: "true" });
  if (verified.length === 0) return next(req);
  const names = new Set(verified.map((a) => a.Name));
  const attrs = [...((body.UserAttributes ?? []) as Attr[]).filter((a) => !names.has(a?.Name)), ...verified];
  return next(withJson(req, { ...body, UserAttributes: attrs }));
}
