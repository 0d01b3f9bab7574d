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
// - moto never invokes Lambda triggers (LambdaConfig is stored and echoed only; PreSignUp too:
//   its SignUp and AdminCreateUser create the user whatever the pool's triggers).
// - For `username_attributes = ["email"]` pools moto makes the Username a UUID equal to `sub`.
// - AdminCreateUser without TemporaryPassword always yields FORCE_CHANGE_PASSWORD;
//   ConfirmSignUp does not set email_verified.
//
// What this plugin adds (one file each; they share one CognitoState, state.ts):
// (a) echoes what terraform set and moto drops (UserPoolTier, sign-in policy) in DescribeUserPool
//     (pool-settings.ts);
// (b) passwordless pools (sign-in policy allows EMAIL_OTP or SMS_OTP as a first factor, tier not
//     LITE): AdminCreateUser without TemporaryPassword makes the user CONFIRMED in one step, as AWS
//     does, with a random permanent password nobody knows (sandbox/moto_server.py);
//     ConfirmSignUp marks email verified when the pool auto-verifies email (passwordless.ts);
// (c) triggers: PostConfirmation after ConfirmSignUp / AdminConfirmSignUp (and ConfirmForgotPassword,
//     triggerSource PostConfirmation_ConfirmForgotPassword), and PreTokenGeneration
//     (V1 or V2 event) after a sign-in that returns tokens, invoked through a LambdaInvoker with
//     Cognito's 5 s timeout. A failing trigger turns the answer into UserLambdaValidationException
//     (the function threw) or UnexpectedLambdaException (timeout / could not invoke). Token claims
//     are not rewritten; every invocation is recorded for GET /__sandbox/cognito/triggers
//     (triggers.ts);
// (d) USER_AUTH (InitiateAuth / AdminInitiateAuth) for clients with ALLOW_USER_AUTH: SELECT_CHALLENGE
//     (AvailableChallenges from the pool's sign-in policy and the user's attributes), EMAIL_OTP
//     (an 8-digit code, "sent" to GET /__sandbox/cognito/outbox; 3 attempts, 3 min) and PASSWORD.
//     On the right code moto itself issues the tokens (same signing key and JWKS, GetUser works):
//     the gateway signs the user in with the password it saw set (SignUp, AdminSetUserPassword, the
//     random one of a passwordless user, ...) or, when it never saw one, sets a random one first
//     (sign-in.ts);
// (e) the region of unsigned calls (InitiateAuth, SignUp, ConfirmSignUp, ...) from the pool id,
//     the client id or the access token's issuer (clients.ts);
// (f) app clients' attribute permissions, which moto stores and never checks: SignUp and
//     UpdateUserAttributes naming an attribute outside the client's WriteAttributes are refused
//     with NotAuthorizedException "A client attempted to write unauthorized attribute"; GetUser
//     answers only the client's ReadAttributes, and so do the ID tokens (sandbox/moto_server.py).
//     Admin* calls are not limited by clients (client-attributes.ts);
// (g) DeleteUser and DeleteUserAttributes, which moto lacks, with the caller's access token
//     (self-service.ts);
// (h) the PreSignUp trigger before SignUp and AdminCreateUser, which moto creates at once: a
//     throwing function refuses the call and nothing is created (pre-sign-up.ts);
// (i) AttributesRequireVerificationBeforeUpdate: a changed email / phone number stays pending
//     until VerifyUserAttribute (or an admin update with <attr>_verified true), with its code in
//     the outbox; GetUserAttributeVerificationCode (attribute-verification.ts).
// (j) native multi-Region replication: the four replica operations, the secondary pool behind the
//     primary's pool id in its Region with only the operations AWS lists for it, the directory
//     carried over a configurable lag after each write, and the pool's KeyConfiguration and
//     IssuerConfiguration with the checks Cognito makes of the key (replicas.ts, replica-sync.ts,
//     replica-key.ts, replica-rules.ts).
// The admin routes (outbox, trigger log, replicas) are in admin.ts.

import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { AwsRequest, AwsResponse, LambdaInvoker, Next } from "../types";
import { cognitoAdmin } from "./admin";
import { updateAttributes, verifyAttribute } from "./attribute-verification";
import { checkWrite, filterRead, forgetClient } from "./client-attributes";
import { findClient, rememberClient, resolveRegion } from "./clients";
import { adminCreateUser, confirmSignUp, PERMANENT_PASSWORD_HEADER } from "./passwordless";
import { pageLimitError } from "./page-limits";
import { isPasswordless, poolRequest, poolTags, poolTagsRequest } from "./pool-settings";
import { keyConfigurationError } from "./replica-key";
import { noteWrite, replicaRequest } from "./replicas";
import { USER_SUB_HEADER } from "./replica-sync";
import { preSignUp } from "./pre-sign-up";
import { selfService } from "./self-service";
import { capturePassword, respondUserAuth, userAuth } from "./sign-in";
import { createState, motoIds, type CognitoPluginOptions, type CognitoState, type TriggerInvocation } from "./state";
import { afterSignIn } from "./triggers";

export { randomPassword } from "./helpers";
export { TRIGGER_TIMEOUT_MS, type CognitoPluginOptions, type OutboxMessage, type TriggerInvocation } from "./state";

export class CognitoPlugin implements SandboxPlugin {
  readonly name = "cognito";
  private readonly s: CognitoState;

  constructor(opts: CognitoPluginOptions) {
    this.s = createState(opts);
  }

  /** A pool's tags (`aws:ResourceTag/*` for the authorizer), or undefined for a pool it does not know. */
  poolTags(poolId: string, region?: string): Record<string, string> | undefined {
    // A native replica's secondary keeps tags of its own (a per-Region setting).
    return poolTags(this.s, region ? motoIds(this.s, region, poolId).poolId : poolId);
  }

  setInvoker(invoker: LambdaInvoker | undefined): void {
    this.s.invoker = invoker;
  }

  triggerLog(): TriggerInvocation[] {
    return [...this.s.log];
  }

  resolveRegion(req: AwsRequest): Promise<string | undefined> {
    return resolveRegion(this.s, req);
  }

  /** The pool of an app client (CloudTrail records it for calls that name only the client). */
  async poolOfClient(clientId: string, region: string): Promise<string | undefined> {
    return (await findClient(this.s, clientId, region))?.poolId;
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    // Only the sandbox's own calls to moto may carry these, whatever a caller sends.
    delete req.headers[PERMANENT_PASSWORD_HEADER];
    delete req.headers[USER_SUB_HEADER];
    if (req.service !== "cognito-idp" || !req.operation) return next(req);
    const body = (req.json ?? {}) as Record<string, any>;
    const serve = (r: AwsRequest) => this.serve(r, next);
    const replicated = await replicaRequest(this.s, req, body, serve);
    if (replicated) return replicated;
    const res = await serve(req);
    noteWrite(this.s, req, body, res);
    return res;
  }

  private async serve(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const s = this.s;
    const body = (req.json ?? {}) as Record<string, any>;
    const badLimit = pageLimitError(req, body);
    if (badLimit) return badLimit;
    switch (req.operation) {
      case "CreateUserPool":
      case "UpdateUserPool": {
        const keyError = await keyConfigurationError(s, req, body);
        if (keyError) return keyError;
        return poolRequest(s, req, body, next);
      }
      case "DescribeUserPool":
      case "DeleteUserPool":
        return poolRequest(s, req, body, next);
      case "TagResource":
      case "UntagResource":
      case "ListTagsForResource":
        return poolTagsRequest(s, req, body);
      case "CreateUserPoolClient":
      case "DescribeUserPoolClient":
        return rememberClient(s, req, next);
      case "UpdateUserPoolClient":
      case "DeleteUserPoolClient":
        forgetClient(s, body);
        return next(req);
      case "UpdateUserAttributes":
        return checkWrite(s, req, body, (r) => updateAttributes(s, r, body, next));
      case "AdminUpdateUserAttributes":
        return updateAttributes(s, req, body, next);
      case "VerifyUserAttribute":
      case "GetUserAttributeVerificationCode":
        return verifyAttribute(s, req, body);
      case "GetUser":
        return filterRead(s, req, body, await next(req));
      case "AdminCreateUser":
        return preSignUp(s, req, body, (r) => adminCreateUser(s, r, (r.json ?? {}) as Record<string, any>, next));
      case "ConfirmSignUp":
      case "AdminConfirmSignUp":
        return confirmSignUp(s, req, body, next);
      case "InitiateAuth":
      case "AdminInitiateAuth":
        if (body.AuthFlow === "USER_AUTH") return userAuth(s, req, body);
        return afterSignIn(s, req, body, await next(req));
      case "RespondToAuthChallenge":
      case "AdminRespondToAuthChallenge":
        if (typeof body.Session === "string" && s.otpSessions.has(body.Session)) return respondUserAuth(s, req, body);
        return capturePassword(s, req, body, await afterSignIn(s, req, body, await next(req)));
      case "ConfirmForgotPassword":
        // AWS runs PostConfirmation here too, with triggerSource PostConfirmation_ConfirmForgotPassword.
        return confirmSignUp(s, req, body, (r) => next(r).then((res) => capturePassword(s, req, body, res)));
      case "SignUp":
        return checkWrite(s, req, body, (r) => preSignUp(s, r, body, async (created) => capturePassword(s, req, body, await next(created))));
      case "DeleteUser":
      case "DeleteUserAttributes":
        return selfService(s, req, body);
      case "AdminSetUserPassword":
      case "ChangePassword":
        return capturePassword(s, req, body, await next(req));
      default:
        return next(req);
    }
  }

  /** Passwordless sign-in is active: an OTP first factor is allowed and the tier is not LITE. */
  static isPasswordless(pool: any): boolean {
    return isPasswordless(pool);
  }

  admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    return cognitoAdmin(this.s, req);
  }
}
