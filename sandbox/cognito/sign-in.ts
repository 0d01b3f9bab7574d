/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (d) USER_AUTH (InitiateAuth / AdminInitiateAuth) for clients with ALLOW_USER_AUTH, which moto
// lacks: SELECT_CHALLENGE (AvailableChallenges from the pool's sign-in policy and the user's
// attributes), EMAIL_OTP (an 8-digit code, "sent" to the outbox, GET /__sandbox/cognito/outbox;
// 3 attempts, 3 min) and PASSWORD. On the right code moto itself issues the tokens (same signing
// key and JWKS, GetUser works): the gateway signs the user in with the password it saw set
// (SignUp, AdminSetUserPassword, the random one of a passwordless user, ...) or, when it never saw
// one, sets a random one first.

import { randomBytes } from "node:crypto";
import { AwsCallError, awsError, jsonResponse } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";
import { findClient } from "./clients";
import { attrsToMap, decodeJwt, randomPassword } from "./helpers";
import { describePool } from "./pool-settings";
import { idp, type CognitoState, type OtpSession } from "./state";
import { afterSignIn } from "./triggers";

/** InitiateAuth / AdminInitiateAuth with AuthFlow USER_AUTH. */
export async function userAuth(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<AwsResponse> {
  const admin = req.operation === "AdminInitiateAuth";
  const clientId = String(body.ClientId ?? "");
  const found = await findClient(s, clientId, req.region);
  const poolId: string | undefined = admin ? body.UserPoolId : found?.poolId;
  if (!found || !poolId || found.poolId !== poolId) return awsError(req, 400, "ResourceNotFoundException", `User pool client ${clientId} does not exist.`);
  const client = (await idp(s, req.region, "DescribeUserPoolClient", { UserPoolId: poolId, ClientId: clientId })).UserPoolClient ?? {};
  if (!(client.ExplicitAuthFlows ?? []).includes("ALLOW_USER_AUTH")) {
    return awsError(req, 400, "InvalidParameterException", "USER_AUTH flow not enabled for this client");
  }
  const params = (body.AuthParameters ?? {}) as Record<string, string>;
  const checked = await signInUser(s, req, poolId, params.USERNAME);
  if ("error" in checked) return checked.error;
  const { user, available } = checked;
  const session: OtpSession = { region: req.region, userPoolId: poolId, clientId, username: user.Username, expiresAt: Date.now() + 3 * 60_000, attempts: 0, admin };
  const preferred = params.PREFERRED_CHALLENGE;
  if (preferred === "EMAIL_OTP" && available.includes("EMAIL_OTP")) return sendOtp(s, session, user);
  if (preferred === "PASSWORD" && available.includes("PASSWORD") && params.PASSWORD) {
    return passwordSignIn(s, req, body, session, params.PASSWORD);
  }
  const id = randomBytes(48).toString("base64url");
  s.otpSessions.set(id, session);
  return jsonResponse(200, { ChallengeName: "SELECT_CHALLENGE", Session: id, ChallengeParameters: {}, AvailableChallenges: available });
}

async function signInUser(s: CognitoState, req: AwsRequest, poolId: string, username: unknown): Promise<{ user: any; available: string[] } | { error: AwsResponse }> {
  if (typeof username !== "string" || !username) return { error: awsError(req, 400, "InvalidParameterException", "Missing required parameter USERNAME") };
  let user: any;
  try {
    user = await idp(s, req.region, "AdminGetUser", { UserPoolId: poolId, Username: username });
  } catch {
    return { error: awsError(req, 400, "UserNotFoundException", "User does not exist.") };
  }
  if (user.Enabled === false) return { error: awsError(req, 400, "NotAuthorizedException", "User is disabled.") };
  if (user.UserStatus === "UNCONFIRMED") return { error: awsError(req, 400, "UserNotConfirmedException", "User is not confirmed.") };
  const pool = await describePool(s, req.region, poolId);
  const factors: string[] = pool.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ["PASSWORD"];
  const attrs = attrsToMap(user.UserAttributes);
  const available: string[] = [];
  if (factors.includes("EMAIL_OTP") && attrs.email && pool.UserPoolTier !== "LITE") available.push("EMAIL_OTP");
  if (factors.includes("PASSWORD")) available.push("PASSWORD", "PASSWORD_SRP");
  return { user, available };
}

function sendOtp(s: CognitoState, session: OtpSession, user: any): AwsResponse {
  const email = attrsToMap(user.UserAttributes).email ?? "";
  const code = String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
  const id = randomBytes(48).toString("base64url");
  s.otpSessions.set(id, { ...session, code, attempts: 0, expiresAt: Date.now() + 3 * 60_000 });
  s.outbox.push({
    at: new Date().toISOString(),
    region: session.region,
    userPoolId: session.userPoolId,
    username: session.username,
    medium: "EMAIL",
    destination: email,
    kind: "EMAIL_OTP",
    code,
  });
  if (s.outbox.length > 1000) s.outbox.shift();
  const masked = email.replace(/^(.)[^@]*@(.)[^.]*(\..*)?$/, "$1***@$2***$3");
  return jsonResponse(200, {
    ChallengeName: "EMAIL_OTP",
    Session: id,
    ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: masked },
  });
}

/** (Admin)RespondToAuthChallenge for a session userAuth started (its Session is in otpSessions). */
export async function respondUserAuth(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<AwsResponse> {
  const id = String(body.Session);
  const session = s.otpSessions.get(id)!;
  const answers = (body.ChallengeResponses ?? {}) as Record<string, string>;
  if (Date.now() > session.expiresAt) {
    s.otpSessions.delete(id);
    return awsError(req, 400, "NotAuthorizedException", "Invalid session for the user, session is expired.");
  }
  if (body.ChallengeName === "SELECT_CHALLENGE" && session.code === undefined) {
    s.otpSessions.delete(id);
    const checked = await signInUser(s, req, session.userPoolId, session.username);
    if ("error" in checked) return checked.error;
    if (answers.ANSWER === "EMAIL_OTP" && checked.available.includes("EMAIL_OTP")) return sendOtp(s, session, checked.user);
    if (answers.ANSWER === "PASSWORD" && checked.available.includes("PASSWORD") && answers.PASSWORD) {
      return passwordSignIn(s, req, body, session, answers.PASSWORD);
    }
    return awsError(req, 400, "InvalidParameterException", `Challenge ${String(answers.ANSWER)} is not available for this user.`);
  }
  if (body.ChallengeName === "EMAIL_OTP" && session.code !== undefined) {
    if (answers.EMAIL_OTP_CODE !== session.code) {
      session.attempts += 1;
      if (session.attempts >= 3) {
        s.otpSessions.delete(id);
        return awsError(req, 400, "NotAuthorizedException", "Invalid session for the user.");
      }
      return awsError(req, 400, "CodeMismatchException", "Invalid code or auth state for the user.");
    }
    s.otpSessions.delete(id);
    return mintTokens(s, req, body, session);
  }
  return awsError(req, 400, "InvalidParameterException", `Unexpected challenge ${String(body.ChallengeName)} for this session.`);
}

async function passwordSignIn(s: CognitoState, req: AwsRequest, body: Record<string, any>, session: OtpSession, password: string): Promise<AwsResponse> {
  let out: any;
  try {
    out = await idp(s, session.region, "AdminInitiateAuth", {
      UserPoolId: session.userPoolId,
      ClientId: session.clientId,
      AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: session.username, PASSWORD: password },
    });
  } catch (e) {
    if (e instanceof AwsCallError) return awsError(req, e.status, e.code, e.code === "NotAuthorizedException" ? "Incorrect username or password." : e.detail);
    throw e;
  }
  return afterSignIn(s, req, { ...body, UserPoolId: session.userPoolId, ClientId: session.clientId }, jsonResponse(200, out));
}

/**
 * The OTP was right: have moto issue tokens (its own signing key, so they verify against its JWKS
 * and work with GetUser). moto only signs in with a password, so the user's password is used when
 * the gateway has seen it; otherwise it is set to a random one first.
 */
async function mintTokens(s: CognitoState, req: AwsRequest, body: Record<string, any>, session: OtpSession): Promise<AwsResponse> {
  const key = `${session.userPoolId}|${session.username}`;
  let password = s.passwords.get(key);
  if (!password) {
    password = randomPassword();
    await idp(s, session.region, "AdminSetUserPassword", { UserPoolId: session.userPoolId, Username: session.username, Password: password, Permanent: true });
    s.passwords.set(key, password);
  }
  return passwordSignIn(s, req, body, session, password);
}

// ---- passwords seen on the way (to mint tokens after an OTP sign-in) -------------------------

/** Remembers the password a successful `res` set or proved (SignUp, AdminSetUserPassword, ...). */
export async function capturePassword(s: CognitoState, req: AwsRequest, body: Record<string, any>, res: AwsResponse): Promise<AwsResponse> {
  if (res.status >= 300) return res;
  let poolId: string | undefined = body.UserPoolId;
  let username: string | undefined = body.Username;
  let password: string | undefined;
  switch (req.operation) {
    case "SignUp":
    case "ConfirmForgotPassword":
      password = body.Password;
      break;
    case "AdminSetUserPassword":
      password = body.Password;
      break;
    case "ChangePassword": {
      const claims = decodeJwt(body.AccessToken) ?? {};
      poolId = typeof claims.iss === "string" ? claims.iss.split("/").pop() : undefined;
      username = claims.username;
      password = body.ProposedPassword;
      break;
    }
    default:
      if (body.ChallengeName === "NEW_PASSWORD_REQUIRED") {
        password = body.ChallengeResponses?.NEW_PASSWORD;
        username = body.ChallengeResponses?.USERNAME;
      }
  }
  if (!password || !username) return res;
  if (!poolId && body.ClientId) poolId = (await findClient(s, String(body.ClientId), req.region))?.poolId;
  if (!poolId) return res;
  const user = await idp(s, req.region, "AdminGetUser", { UserPoolId: poolId, Username: username }).catch(() => undefined);
  if (user?.Username) s.passwords.set(`${poolId}|${user.Username}`, password);
  return res;
}
