/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Cognito user pools on top of moto: what AWS does that moto does not.
//
// What moto 5.2.1 supports for sign-in (checked against its source and by calling it):
// - InitiateAuth: USER_PASSWORD_AUTH (tokens, or NEW_PASSWORD_REQUIRED / SMS_MFA /
//   SOFTWARE_TOKEN_MFA challenges), USER_SRP_AUTH (PASSWORD_VERIFIER challenge),
//   REFRESH_TOKEN_AUTH / REFRESH_TOKEN. CUSTOM_AUTH passes its enum check but is not implemented.
// - AdminInitiateAuth: ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH, REFRESH_TOKEN(_AUTH).
// - RespondToAuthChallenge: PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED, SMS_MFA, SOFTWARE_TOKEN_MFA,
//   MFA_SETUP.
// - Not supported: the choice-based USER_AUTH flow (InvalidParameterException "Value 'USER_AUTH' at
//   'authFlow' failed to satisfy constraint"), hence no EMAIL_OTP / SMS_OTP / WEB_AUTHN first factors
//   and no SELECT_CHALLENGE. moto stores and echoes `Policies.SignInPolicy` and `UserPoolTier` but
//   gives them no meaning. Tokens are RS256 JWTs signed with moto's fixed key ("kid": "dummy"),
//   whose JWKS moto serves at `/<userPoolId>/.well-known/jwks.json`.
// - moto never invokes Lambda triggers (LambdaConfig is stored and echoed only).
// - For `username_attributes = ["email"]` pools moto makes the Username a UUID equal to `sub`.
// - AdminCreateUser without TemporaryPassword always yields FORCE_CHANGE_PASSWORD;
//   ConfirmSignUp does not set email_verified.
//
// What this plugin adds:
// (a) echoes what terraform set and moto drops (UserPoolTier, sign-in policy) in DescribeUserPool;
// (b) passwordless pools (sign-in policy allows EMAIL_OTP or SMS_OTP as a first factor, tier not
//     LITE): AdminCreateUser without TemporaryPassword makes the user CONFIRMED in one step, as AWS
//     does, with a random permanent password nobody knows (sandbox/moto_server.py);
//     ConfirmSignUp marks email verified when the pool auto-verifies email;
// (c) triggers: PostConfirmation after ConfirmSignUp / AdminConfirmSignUp (and ConfirmForgotPassword,
//     triggerSource PostConfirmation_ConfirmForgotPassword), and PreTokenGeneration
//     (V1 or V2 event) after a sign-in that returns tokens, invoked through a LambdaInvoker with
//     Cognito's 5 s timeout. A failing trigger turns the answer into UserLambdaValidationException
//     (the function threw) or UnexpectedLambdaException (timeout / could not invoke). Token claims
//     are not rewritten; every invocation is recorded for GET /__sandbox/cognito/triggers.
// (d) USER_AUTH (InitiateAuth / AdminInitiateAuth) for clients with ALLOW_USER_AUTH: SELECT_CHALLENGE
//     (AvailableChallenges from the pool's sign-in policy and the user's attributes), EMAIL_OTP
//     (an 8-digit code, "sent" to GET /__sandbox/cognito/outbox; 3 attempts, 3 min) and PASSWORD.
//     On the right code moto itself issues the tokens (same signing key and JWKS, GetUser works):
//     the gateway signs the user in with the password it saw set (SignUp, AdminSetUserPassword, the
//     random one of a passwordless user, ...) or, when it never saw one, sets a random one first.
// (e) the region of unsigned calls (InitiateAuth, SignUp, ConfirmSignUp, ...) from the pool id,
//     the client id or the access token's issuer.

import { randomBytes } from "node:crypto";
import { AwsCallError, awsError, jsonResponse, motoJson, parseJson, responseWithJson, withJson } from "./aws";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "./gateway";
import type { Authority, AwsRequest, AwsResponse, LambdaInvoker, Next } from "./types";

export const TRIGGER_TIMEOUT_MS = 5000;

/** Asks the sandbox's moto to create the user CONFIRMED with its TemporaryPassword as permanent (sandbox/moto_server.py). */
const PERMANENT_PASSWORD_HEADER = "x-sandbox-permanent-password";

export interface TriggerInvocation {
  at: string;
  region: string;
  userPoolId: string;
  trigger: string;
  triggerSource: string;
  functionArn: string;
  event: unknown;
  durationMs: number;
  result?: unknown;
  error?: { name: string; message: string };
  /** Set when no LambdaInvoker was available. */
  skipped?: string;
}

export interface CognitoPluginOptions {
  motoEndpoint: string;
  invoker?: LambdaInvoker;
  /** Regions searched for a client id an unsigned call names (default us-east-1, us-west-2). */
  regions?: string[];
  triggerTimeoutMs?: number;
  /** Decides whether Cognito may invoke a trigger (the function's resource policy), as AWS does. */
  authority?: Authority;
}

interface OtpSession {
  region: string;
  userPoolId: string;
  clientId: string;
  username: string;
  /** Set once a code was sent (EMAIL_OTP challenge); undefined while selecting a challenge. */
  code?: string;
  expiresAt: number;
  attempts: number;
  admin: boolean;
}

/** A message Cognito would have delivered (the sandbox sends nothing). */
export interface OutboxMessage {
  at: string;
  region: string;
  userPoolId: string;
  username: string;
  medium: "EMAIL";
  destination: string;
  kind: "EMAIL_OTP";
  code: string;
}

interface PoolSettings {
  tier?: string;
  signInPolicy?: { AllowedFirstAuthFactors?: string[] };
}

function decodeJwt(token: unknown): Record<string, any> | undefined {
  if (typeof token !== "string") return undefined;
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

function regionOfPool(poolId: unknown): string | undefined {
  if (typeof poolId !== "string") return undefined;
  const i = poolId.indexOf("_");
  return i > 0 ? poolId.slice(0, i) : undefined;
}

/** A password that satisfies any Cognito password policy and that nobody knows. */
export function randomPassword(): string {
  return `Aa1!${randomBytes(24).toString("base64url")}`;
}

function attrsToMap(list: Array<{ Name: string; Value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) if (a.Value !== undefined) out[a.Name] = a.Value;
  return out;
}

export class CognitoPlugin implements SandboxPlugin {
  readonly name = "cognito";
  private readonly moto: string;
  private invoker: LambdaInvoker | undefined;
  private readonly authority?: Authority;
  private readonly regions: string[];
  private readonly timeoutMs: number;
  private pools = new Map<string, PoolSettings>();
  private clients = new Map<string, { poolId: string; region: string }>();
  private clientMisses = new Map<string, number>();
  private poolCache = new Map<string, { until: number; pool: any }>();
  private log: TriggerInvocation[] = [];
  /** Passwords seen passing through (sandbox only): `${poolId}|${username}`. Used to mint tokens after an OTP sign-in. */
  private passwords = new Map<string, string>();
  private otpSessions = new Map<string, OtpSession>();
  private outbox: OutboxMessage[] = [];

  constructor(opts: CognitoPluginOptions) {
    this.moto = opts.motoEndpoint;
    this.invoker = opts.invoker;
    this.authority = opts.authority;
    this.regions = opts.regions ?? ["us-east-1", "us-west-2"];
    this.timeoutMs = opts.triggerTimeoutMs ?? TRIGGER_TIMEOUT_MS;
  }

  setInvoker(invoker: LambdaInvoker | undefined): void {
    this.invoker = invoker;
  }

  triggerLog(): TriggerInvocation[] {
    return [...this.log];
  }

  private idp<T = any>(region: string, op: string, input: unknown): Promise<T> {
    return motoJson<T>(this.moto, "cognito-idp", region, op, input);
  }

  // ---- region of unsigned calls --------------------------------------------------------------

  async resolveRegion(req: AwsRequest): Promise<string | undefined> {
    if (req.service !== "cognito-idp") return undefined;
    const b = (req.json ?? {}) as Record<string, any>;
    const fromPool = regionOfPool(b.UserPoolId);
    if (fromPool) return fromPool;
    if (typeof b.ClientId === "string") {
      const c = await this.findClient(b.ClientId);
      if (c) return c.region;
    }
    const tok = decodeJwt(b.AccessToken);
    if (tok?.iss) {
      const m = /cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/.exec(String(tok.iss));
      if (m) return m[1];
    }
    return undefined;
  }

  private async findClient(clientId: string, region?: string): Promise<{ poolId: string; region: string } | undefined> {
    const hit = this.clients.get(clientId);
    if (hit) return hit;
    const missUntil = this.clientMisses.get(clientId);
    if (missUntil !== undefined && missUntil > Date.now()) return undefined;
    const regions = region ? [region, ...this.regions.filter((r) => r !== region)] : this.regions;
    for (const r of regions) {
      let next: string | undefined;
      do {
        // A failed listing throws (after retries) rather than reading as "no such client".
        const pools: any = await withRetries(() => this.idp(r, "ListUserPools", { MaxResults: 60, NextToken: next }));
        for (const p of pools.UserPools ?? []) {
          let cnext: string | undefined;
          do {
            const cl: any = await withRetries(() => this.idp(r, "ListUserPoolClients", { UserPoolId: p.Id, MaxResults: 60, NextToken: cnext }));
            for (const c of cl.UserPoolClients ?? []) this.clients.set(c.ClientId, { poolId: p.Id, region: r });
            cnext = cl.NextToken;
          } while (cnext);
        }
        next = pools.NextToken;
      } while (next);
      const found = this.clients.get(clientId);
      if (found) return found;
    }
    // Unknown client: do not rescan every pool on each retry of the same bad id.
    this.clientMisses.set(clientId, Date.now() + 1000);
    return undefined;
  }

  // ---- request path --------------------------------------------------------------------------

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    // Only adminCreateUser's own call to moto may carry it, whatever a caller sends.
    delete req.headers[PERMANENT_PASSWORD_HEADER];
    if (req.service !== "cognito-idp" || !req.operation) return next(req);
    const body = (req.json ?? {}) as Record<string, any>;
    switch (req.operation) {
      case "CreateUserPool":
      case "UpdateUserPool": {
        if (typeof body.UserPoolId === "string") this.poolCache.delete(body.UserPoolId);
        const res = await next(req);
        if (res.status < 300) {
          const id = req.operation === "CreateUserPool" ? parseJson(res)?.UserPool?.Id : body.UserPoolId;
          if (typeof id === "string") {
            const s = this.pools.get(id) ?? {};
            if (body.UserPoolTier !== undefined) s.tier = body.UserPoolTier;
            else if (req.operation === "CreateUserPool") s.tier = "ESSENTIALS"; // AWS's default for new pools
            if (body.Policies?.SignInPolicy !== undefined) s.signInPolicy = body.Policies.SignInPolicy;
            this.pools.set(id, s);
          }
          if (req.operation === "CreateUserPool") return this.echoPool(res, "UserPool");
        }
        return res;
      }
      case "DescribeUserPool":
        return this.echoPool(await next(req), "UserPool");
      case "DeleteUserPool": {
        this.poolCache.delete(String(body.UserPoolId));
        const res = await next(req);
        if (res.status < 300) this.pools.delete(String(body.UserPoolId));
        return res;
      }
      case "CreateUserPoolClient":
      case "DescribeUserPoolClient": {
        const res = await next(req);
        const c = parseJson(res)?.UserPoolClient;
        if (res.status < 300 && c?.ClientId) this.clients.set(c.ClientId, { poolId: c.UserPoolId, region: req.region });
        return res;
      }
      case "AdminCreateUser":
        return this.adminCreateUser(req, body, next);
      case "ConfirmSignUp":
      case "AdminConfirmSignUp":
        return this.confirmSignUp(req, body, next);
      case "InitiateAuth":
      case "AdminInitiateAuth":
        if (body.AuthFlow === "USER_AUTH") return this.userAuth(req, body, next);
        return this.signIn(req, body, next);
      case "RespondToAuthChallenge":
      case "AdminRespondToAuthChallenge":
        if (typeof body.Session === "string" && this.otpSessions.has(body.Session)) return this.respondUserAuth(req, body, next);
        return this.capturePassword(req, body, await this.signIn(req, body, next));
      case "ConfirmForgotPassword":
        // AWS runs PostConfirmation here too, with triggerSource PostConfirmation_ConfirmForgotPassword.
        return this.confirmSignUp(req, body, (r) => next(r).then((res) => this.capturePassword(req, body, res)));
      case "SignUp":
      case "AdminSetUserPassword":
      case "ChangePassword":
        return this.capturePassword(req, body, await next(req));
      default:
        return next(req);
    }
  }

  private echoPool(res: AwsResponse, field: string): AwsResponse {
    if (res.status >= 300) return res;
    const json = parseJson(res);
    const pool = json?.[field];
    if (!pool?.Id) return res;
    const s = this.pools.get(pool.Id);
    if (!s) return res;
    let changed = false;
    if (s.tier !== undefined && pool.UserPoolTier !== s.tier) {
      pool.UserPoolTier = s.tier;
      changed = true;
    }
    if (s.signInPolicy !== undefined && JSON.stringify(pool.Policies?.SignInPolicy) !== JSON.stringify(s.signInPolicy)) {
      pool.Policies = { ...(pool.Policies ?? {}), SignInPolicy: s.signInPolicy };
      changed = true;
    }
    return changed ? responseWithJson(res, json) : res;
  }

  private async describePool(region: string, poolId: string): Promise<any> {
    // Pool settings change only through UpdateUserPool (which clears this); a short cache keeps
    // bulk AdminCreateUser / ConfirmSignUp from paying an extra DescribeUserPool each.
    const cached = this.poolCache.get(poolId);
    if (cached && cached.until > Date.now()) return structuredClone(cached.pool);
    const d = await this.idp(region, "DescribeUserPool", { UserPoolId: poolId });
    const pool = d.UserPool ?? {};
    this.poolCache.set(poolId, { until: Date.now() + 2000, pool: structuredClone(pool) });
    const s = this.pools.get(poolId);
    if (s?.tier !== undefined) pool.UserPoolTier = s.tier;
    if (s?.signInPolicy !== undefined) pool.Policies = { ...(pool.Policies ?? {}), SignInPolicy: s.signInPolicy };
    return pool;
  }

  /** Passwordless sign-in is active: an OTP first factor is allowed and the tier is not LITE. */
  static isPasswordless(pool: any): boolean {
    const factors: string[] = pool?.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? [];
    return (factors.includes("EMAIL_OTP") || factors.includes("SMS_OTP")) && pool?.UserPoolTier !== "LITE";
  }

  private async adminCreateUser(req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
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
      pool = await withRetries(() => this.describePool(req.region, poolId));
    } catch (e) {
      if ((e as { code?: string }).code === "ResourceNotFoundException") return next(req); // moto answers with its own error
      return awsError(req, 500, "InternalErrorException", `sandbox: could not read pool ${poolId}: ${(e as Error).message}`);
    }
    if (!CognitoPlugin.isPasswordless(pool)) return next(req);
    const password = randomPassword();
    const asked = withJson({ ...req, headers: { ...req.headers, [PERMANENT_PASSWORD_HEADER]: "1" } }, { ...body, TemporaryPassword: password });
    const res = await next(asked);
    if (res.status >= 300) return res;
    const json = parseJson(res);
    const user = json?.User;
    if (!user?.Username) return res;
    const key = `${poolId}|${user.Username}`;
    if (user.UserStatus === "CONFIRMED") {
      this.passwords.set(key, password);
      return res;
    }
    // A moto without the sandbox's patch (MOTO_SERVER, moto_server from PATH, or internals the
    // patch did not expect: it says so on stderr) created the user in FORCE_CHANGE_PASSWORD.
    // Confirm it with a second call, which a concurrent reader can see in between, and undo the
    // create if that call fails rather than leave a FORCE_CHANGE_PASSWORD user behind.
    try {
      await withRetries(() => this.idp(req.region, "AdminSetUserPassword", { UserPoolId: poolId, Username: user.Username, Password: password, Permanent: true }));
    } catch (e) {
      await withRetries(() => this.idp(req.region, "AdminDeleteUser", { UserPoolId: poolId, Username: user.Username })).catch(() => undefined);
      return awsError(req, 500, "InternalErrorException", `sandbox: could not confirm the new user: ${(e as Error).message}`);
    }
    this.passwords.set(key, password);
    user.UserStatus = "CONFIRMED";
    return responseWithJson(res, json);
  }

  private callerContext(req: AwsRequest, clientId: string | undefined) {
    const ua = req.headers["user-agent"] ?? req.headers["x-amz-user-agent"] ?? "";
    const m = /aws-sdk-([a-z]+)\/([0-9.]+)/i.exec(ua);
    return { awsSdkVersion: m ? `aws-sdk-${m[1]}-${m[2]}` : "aws-sdk-unknown-unknown", clientId: clientId ?? "CLIENT_ID_NOT_APPLICABLE" };
  }

  private async confirmSignUp(req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
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
      poolId = body.UserPoolId ?? (clientId ? (await this.findClient(clientId, req.region))?.poolId : undefined);
      const id = poolId;
      if (id) {
        pool = await withRetries(() => this.describePool(req.region, id));
        user = await withRetries(() => this.idp(req.region, "AdminGetUser", { UserPoolId: id, Username: body.Username }));
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
        this.idp(req.region, "AdminUpdateUserAttributes", {
          UserPoolId: poolId,
          Username: user.Username,
          UserAttributes: [{ Name: "email_verified", Value: "true" }],
        }),
      ).catch(() => undefined);
      attrs.email_verified = "true";
    }
    const fn: string | undefined = pool.LambdaConfig?.PostConfirmation;
    if (!fn) return res;
    const request: Record<string, unknown> = { userAttributes: { ...attrs, "cognito:user_status": "CONFIRMED" } };
    if (body.ClientMetadata) request.clientMetadata = body.ClientMetadata;
    const event = {
      version: "1",
      region: req.region,
      userPoolId: poolId,
      userName: user.Username,
      callerContext: this.callerContext(req, clientId),
      triggerSource: req.operation === "ConfirmForgotPassword" ? "PostConfirmation_ConfirmForgotPassword" : "PostConfirmation_ConfirmSignUp",
      request,
      response: {},
    };
    const err = await this.runTrigger(req.region, poolId, "PostConfirmation", fn, event);
    return err ? awsError(req, 400, err.code, err.message) : res;
  }

  private async signIn(req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
    return this.afterSignIn(req, body, await next(req));
  }

  /** Runs PreTokenGeneration when `res` carries tokens. */
  private async afterSignIn(req: AwsRequest, body: Record<string, any>, res: AwsResponse): Promise<AwsResponse> {
    if (res.status >= 300) return res;
    const out = parseJson(res);
    const result = out?.AuthenticationResult;
    if (!result?.AccessToken) return res;
    const claims = decodeJwt(result.AccessToken) ?? {};
    let poolId: string | undefined = body.UserPoolId;
    if (!poolId && typeof claims.iss === "string") poolId = claims.iss.split("/").pop();
    if (!poolId && body.ClientId) poolId = (await this.findClient(String(body.ClientId), req.region))?.poolId;
    if (!poolId) return res;
    const pool = await withRetries(() => this.describePool(req.region, poolId));
    const cfg = pool?.LambdaConfig ?? {};
    const v2: string | undefined = cfg.PreTokenGenerationConfig?.LambdaArn;
    const version: string = cfg.PreTokenGenerationConfig?.LambdaVersion ?? "V1_0";
    const fn: string | undefined = v2 ?? cfg.PreTokenGeneration;
    if (!fn) return res;
    const username: string | undefined = claims.username ?? claims["cognito:username"] ?? body.AuthParameters?.USERNAME ?? body.ChallengeResponses?.USERNAME;
    let user: any;
    try {
      user = await this.idp(req.region, "AdminGetUser", { UserPoolId: poolId, Username: username ?? claims.sub });
    } catch {
      return res;
    }
    const groups: any = await this.idp(req.region, "AdminListGroupsForUser", { UserPoolId: poolId, Username: user.Username }).catch(() => ({}));
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
      callerContext: this.callerContext(req, body.ClientId ?? claims.client_id),
      request,
      response: isV2 ? { claimsAndScopeOverrideDetails: null } : { claimsOverrideDetails: null },
    };
    const err = await this.runTrigger(req.region, poolId, "PreTokenGeneration", fn, event);
    return err ? awsError(req, 400, err.code, err.message) : res;
  }


  // ---- passwords seen on the way (to mint tokens after an OTP sign-in) -----------------------

  private async capturePassword(req: AwsRequest, body: Record<string, any>, res: AwsResponse): Promise<AwsResponse> {
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
    if (!poolId && body.ClientId) poolId = (await this.findClient(String(body.ClientId), req.region))?.poolId;
    if (!poolId) return res;
    const user = await this.idp(req.region, "AdminGetUser", { UserPoolId: poolId, Username: username }).catch(() => undefined);
    if (user?.Username) this.passwords.set(`${poolId}|${user.Username}`, password);
    return res;
  }

  // ---- USER_AUTH (choice-based sign-in) with EMAIL_OTP, which moto lacks ---------------------

  private async userAuth(req: AwsRequest, body: Record<string, any>, _next: Next): Promise<AwsResponse> {
    const admin = req.operation === "AdminInitiateAuth";
    const clientId = String(body.ClientId ?? "");
    const found = await this.findClient(clientId, req.region);
    const poolId: string | undefined = admin ? body.UserPoolId : found?.poolId;
    if (!found || !poolId || found.poolId !== poolId) return awsError(req, 400, "ResourceNotFoundException", `User pool client ${clientId} does not exist.`);
    const client = (await this.idp(req.region, "DescribeUserPoolClient", { UserPoolId: poolId, ClientId: clientId })).UserPoolClient ?? {};
    if (!(client.ExplicitAuthFlows ?? []).includes("ALLOW_USER_AUTH")) {
      return awsError(req, 400, "InvalidParameterException", "USER_AUTH flow not enabled for this client");
    }
    const params = (body.AuthParameters ?? {}) as Record<string, string>;
    const checked = await this.signInUser(req, poolId, params.USERNAME);
    if ("error" in checked) return checked.error;
    const { user, available } = checked;
    const session: OtpSession = { region: req.region, userPoolId: poolId, clientId, username: user.Username, expiresAt: Date.now() + 3 * 60_000, attempts: 0, admin };
    const preferred = params.PREFERRED_CHALLENGE;
    if (preferred === "EMAIL_OTP" && available.includes("EMAIL_OTP")) return this.sendOtp(session, user);
    if (preferred === "PASSWORD" && available.includes("PASSWORD") && params.PASSWORD) {
      return this.passwordSignIn(req, body, session, params.PASSWORD);
    }
    const id = randomBytes(48).toString("base64url");
    this.otpSessions.set(id, session);
    return jsonResponse(200, { ChallengeName: "SELECT_CHALLENGE", Session: id, ChallengeParameters: {}, AvailableChallenges: available });
  }

  private async signInUser(req: AwsRequest, poolId: string, username: unknown): Promise<{ user: any; available: string[] } | { error: AwsResponse }> {
    if (typeof username !== "string" || !username) return { error: awsError(req, 400, "InvalidParameterException", "Missing required parameter USERNAME") };
    let user: any;
    try {
      user = await this.idp(req.region, "AdminGetUser", { UserPoolId: poolId, Username: username });
    } catch {
      return { error: awsError(req, 400, "UserNotFoundException", "User does not exist.") };
    }
    if (user.Enabled === false) return { error: awsError(req, 400, "NotAuthorizedException", "User is disabled.") };
    if (user.UserStatus === "UNCONFIRMED") return { error: awsError(req, 400, "UserNotConfirmedException", "User is not confirmed.") };
    const pool = await this.describePool(req.region, poolId);
    const factors: string[] = pool.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ["PASSWORD"];
    const attrs = attrsToMap(user.UserAttributes);
    const available: string[] = [];
    if (factors.includes("EMAIL_OTP") && attrs.email && pool.UserPoolTier !== "LITE") available.push("EMAIL_OTP");
    if (factors.includes("PASSWORD")) available.push("PASSWORD", "PASSWORD_SRP");
    return { user, available };
  }

  private sendOtp(session: OtpSession, user: any): AwsResponse {
    const email = attrsToMap(user.UserAttributes).email ?? "";
    const code = String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
    const id = randomBytes(48).toString("base64url");
    this.otpSessions.set(id, { ...session, code, attempts: 0, expiresAt: Date.now() + 3 * 60_000 });
    this.outbox.push({
      at: new Date().toISOString(),
      region: session.region,
      userPoolId: session.userPoolId,
      username: session.username,
      medium: "EMAIL",
      destination: email,
      kind: "EMAIL_OTP",
      code,
    });
    if (this.outbox.length > 1000) this.outbox.shift();
    const masked = email.replace(/^(.)[^@]*@(.)[^.]*(\..*)?$/, "$1***@$2***$3");
    return jsonResponse(200, {
      ChallengeName: "EMAIL_OTP",
      Session: id,
      ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: masked },
    });
  }

  private async respondUserAuth(req: AwsRequest, body: Record<string, any>, _next: Next): Promise<AwsResponse> {
    const id = String(body.Session);
    const session = this.otpSessions.get(id)!;
    const answers = (body.ChallengeResponses ?? {}) as Record<string, string>;
    if (Date.now() > session.expiresAt) {
      this.otpSessions.delete(id);
      return awsError(req, 400, "NotAuthorizedException", "Invalid session for the user, session is expired.");
    }
    if (body.ChallengeName === "SELECT_CHALLENGE" && session.code === undefined) {
      this.otpSessions.delete(id);
      const checked = await this.signInUser(req, session.userPoolId, session.username);
      if ("error" in checked) return checked.error;
      if (answers.ANSWER === "EMAIL_OTP" && checked.available.includes("EMAIL_OTP")) return this.sendOtp(session, checked.user);
      if (answers.ANSWER === "PASSWORD" && checked.available.includes("PASSWORD") && answers.PASSWORD) {
        return this.passwordSignIn(req, body, session, answers.PASSWORD);
      }
      return awsError(req, 400, "InvalidParameterException", `Challenge ${String(answers.ANSWER)} is not available for this user.`);
    }
    if (body.ChallengeName === "EMAIL_OTP" && session.code !== undefined) {
      if (answers.EMAIL_OTP_CODE !== session.code) {
        session.attempts += 1;
        if (session.attempts >= 3) {
          this.otpSessions.delete(id);
          return awsError(req, 400, "NotAuthorizedException", "Invalid session for the user.");
        }
        return awsError(req, 400, "CodeMismatchException", "Invalid code or auth state for the user.");
      }
      this.otpSessions.delete(id);
      return this.mintTokens(req, body, session);
    }
    return awsError(req, 400, "InvalidParameterException", `Unexpected challenge ${String(body.ChallengeName)} for this session.`);
  }

  private async passwordSignIn(req: AwsRequest, body: Record<string, any>, session: OtpSession, password: string): Promise<AwsResponse> {
    let out: any;
    try {
      out = await this.idp(session.region, "AdminInitiateAuth", {
        UserPoolId: session.userPoolId,
        ClientId: session.clientId,
        AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: session.username, PASSWORD: password },
      });
    } catch (e) {
      if (e instanceof AwsCallError) return awsError(req, e.status, e.code, e.code === "NotAuthorizedException" ? "Incorrect username or password." : e.message.replace(/^[^:]+: /, ""));
      throw e;
    }
    return this.afterSignIn(req, { ...body, UserPoolId: session.userPoolId, ClientId: session.clientId }, jsonResponse(200, out));
  }

  /**
   * The OTP was right: have moto issue tokens (its own signing key, so they verify against its JWKS
   * and work with GetUser). moto only signs in with a password, so the user's password is used when
   * the gateway has seen it; otherwise it is set to a random one first.
   */
  private async mintTokens(req: AwsRequest, body: Record<string, any>, session: OtpSession): Promise<AwsResponse> {
    const key = `${session.userPoolId}|${session.username}`;
    let password = this.passwords.get(key);
    if (!password) {
      password = randomPassword();
      await this.idp(session.region, "AdminSetUserPassword", { UserPoolId: session.userPoolId, Username: session.username, Password: password, Permanent: true });
      this.passwords.set(key, password);
    }
    return this.passwordSignIn(req, body, session, password);
  }

  /** Invokes a trigger; returns the Cognito error to answer with, or undefined on success. */
  private async runTrigger(
    region: string,
    userPoolId: string,
    trigger: string,
    fn: string,
    event: { triggerSource: string },
  ): Promise<{ code: string; message: string } | undefined> {
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
    this.log.push(entry);
    if (this.log.length > 1000) this.log.shift();
    if (!this.invoker) {
      entry.skipped = "no LambdaInvoker configured";
      return undefined;
    }
    const fnRegion = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(fn)?.[1] ?? region;
    const denied = await this.invokeDenied(region, userPoolId, fn);
    if (denied) {
      entry.error = { name: "AccessDeniedException", message: denied };
      // What Cognito answers when the function's resource policy does not let it invoke (seen in
      // AWS: "PostConfirmation invocation failed due to error AccessDeniedException.").
      return { code: "UnexpectedLambdaException", message: `${trigger} invocation failed due to error AccessDeniedException.` };
    }
    try {
      // The Lambda runtime enforces the 5 s on the handler's run. This outer bound also
      // allows a cold start: here every execution environment shares this machine's
      // cores, where in AWS each has its own, so init time would otherwise eat the budget.
      entry.result = await withTimeout(this.invoker.invoke(fn, fnRegion, event, { timeoutMs: this.timeoutMs }), this.timeoutMs + COLD_START_ALLOWANCE_MS);
      entry.durationMs = Date.now() - started;
      return undefined;
    } catch (e) {
      entry.durationMs = Date.now() - started;
      const err = e as Error;
      entry.error = { name: err?.name ?? "Error", message: err?.message ?? String(e) };
      if (err?.name === "FunctionError") {
        return { code: "UserLambdaValidationException", message: `${trigger} failed with error ${err.message}.` };
      }
      if (err?.name === "TimeoutError") {
        return { code: "UnexpectedLambdaException", message: `${trigger} invocation failed due to error TimeoutError.` };
      }
      const name = e instanceof AwsCallError ? e.code : (err?.name ?? "Error");
      return { code: "UnexpectedLambdaException", message: `${trigger} invocation failed due to error ${name}.` };
    }
  }

  /**
   * Cognito invokes a trigger as the service principal cognito-idp.amazonaws.com on behalf of the
   * pool: only the function's resource policy can allow it (Cognito developer guide, "Customizing
   * user pool workflows with Lambda triggers": the policy names the pool in `aws:SourceArn` and the
   * account in `aws:SourceAccount`). Returns AWS's denial message, or undefined when allowed.
   */
  private async invokeDenied(region: string, userPoolId: string, fn: string): Promise<string | undefined> {
    if (!this.authority || !fn.startsWith("arn:")) return undefined;
    const [, partition, , , account] = fn.split(":");
    const poolArn = `arn:${partition}:cognito-idp:${region}:${account}:userpool/${userPoolId}`;
    const r = await this.authority.serviceMay("cognito-idp.amazonaws.com", { arn: poolArn, account }, { action: "lambda:InvokeFunction", resource: fn.split(":").slice(0, 7).join(":"), resourcePolicy: "lambda-function" });
    return r.allowed ? undefined : r.message;
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    if (req.path === "/cognito/outbox") {
      if (req.method === "GET") {
        const user = req.query.get("username");
        return { body: { messages: this.outbox.filter((m) => !user || m.username === user || m.destination === user) } };
      }
      if (req.method === "DELETE") {
        this.outbox = [];
        return { body: { ok: true } };
      }
    }
    if (req.path === "/cognito/triggers") {
      if (req.method === "GET") return { body: { invocations: this.triggerLog() } };
      if (req.method === "DELETE") {
        this.log = [];
        return { body: { ok: true } };
      }
    }
    return undefined;
  }
}

/** The gateway's own calls to moto: a loaded moto can drop one; try a few times. */
async function withRetries<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (i >= attempts || code === "ResourceNotFoundException" || code === "UserNotFoundException") throw e;
      await new Promise((r) => setTimeout(r, 50 * 2 ** i));
    }
  }
}

/** Lambda's own init limit. */
const COLD_START_ALLOWANCE_MS = 10_000;

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
