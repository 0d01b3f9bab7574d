// The STS a pipeline job meets: AssumeRoleWithWebIdentity with a GitHub Actions OIDC token (what
// aws-actions/configure-aws-credentials calls), decided by the role's trust policy, and
// GetCallerIdentity answered for role sessions. moto's STS knows none of the sandbox's role
// sessions, so both are answered here.
//
// AssumeRoleWithWebIdentity (STS API reference): the token's issuer must be an IAM OIDC provider of
// the account and its `aud` one of the provider's client ids ("InvalidIdentityToken"); then the
// role's trust policy must allow `sts:AssumeRoleWithWebIdentity` for the provider with the token's
// claims as condition keys (IAM User Guide, "Available keys for AWS web identity federation":
// `<provider>:aud`, `<provider>:sub`, ...), else "AccessDenied: Not authorized to perform
// sts:AssumeRoleWithWebIdentity". GetCallerIdentity needs no permission ("No permissions are
// required to perform this operation", STS API reference).

import { randomUUID } from "node:crypto";
import { awsError } from "../aws";
import type { AwsRequest, AwsResponse, SessionCredentials } from "../types";
import { evaluateTrust, type AuthzRequest, type Decision } from "./evaluate";
import type { Identities } from "./identities";
import type { OidcIssuer } from "./oidc";
import type { PolicyStore } from "./policies";
import { callerArn, roleSession, type FederatedPrincipal, type Principal, type RolePrincipal } from "./principal";

const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";

function xml(operation: string, result: string): AwsResponse {
  const rid = randomUUID();
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${STS_NS}"><${operation}Result>${result}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata></${operation}Response>`;
  return { status: 200, headers: { "content-type": "text/xml", "x-amzn-requestid": rid }, body: Buffer.from(body) };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Form parameters of a query-protocol call (body, then query string). */
function form(req: AwsRequest): URLSearchParams {
  const p = new URLSearchParams(req.body.toString("utf8"));
  for (const [k, v] of req.query) if (!p.has(k)) p.set(k, v);
  return p;
}

export function assumedRoleId(p: RolePrincipal): string {
  return `AROA${p.roleName.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 17)}:${p.sessionName}`;
}

export interface StsDeps {
  store: PolicyStore;
  identities: Identities;
  issuer: OidcIssuer;
  /** Records the trust decision like any other. */
  record(principal: Principal, check: { action: string; resource: string }, d: Decision, reason?: string): void;
}

/** STS calls the sandbox answers itself, or undefined to pass the request on. */
export async function handleSts(req: AwsRequest, caller: Principal, deps: StsDeps): Promise<AwsResponse | undefined> {
  if (req.operation === "AssumeRoleWithWebIdentity") return assumeRoleWithWebIdentity(req, deps);
  if (req.operation === "GetCallerIdentity" && caller.kind === "role") {
    return xml("GetCallerIdentity", `<Arn>${esc(callerArn(caller))}</Arn><UserId>${esc(assumedRoleId(caller))}</UserId><Account>${caller.accountId}</Account>`);
  }
  return undefined;
}

async function assumeRoleWithWebIdentity(req: AwsRequest, deps: StsDeps): Promise<AwsResponse> {
  const p = form(req);
  const roleArn = p.get("RoleArn") ?? "";
  const sessionName = p.get("RoleSessionName") ?? "";
  const invalid = (message: string) => awsError({ ...req, service: "sts", headers: {} }, 400, "InvalidIdentityToken", message);
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) return awsError({ ...req, service: "sts", headers: {} }, 400, "ValidationError", "RoleSessionName must be 2-64 characters of [\\w+=,.@-]");
  const verified = deps.issuer.verify(p.get("WebIdentityToken") ?? "");
  if ("error" in verified) return invalid(`The web identity token could not be verified: ${verified.error}`);
  const { claims } = verified;
  if (claims.exp * 1000 < Date.now()) {
    return awsError({ ...req, service: "sts", headers: {} }, 400, "ExpiredTokenException", `Token expired: current date/time ${new Date().toISOString()} must be before the expiration date/time ${new Date(claims.exp * 1000).toISOString()}`);
  }
  let role: RolePrincipal;
  try {
    role = roleSession(roleArn, sessionName);
  } catch {
    return awsError({ ...req, service: "sts", headers: {} }, 400, "ValidationError", `${roleArn} is not a role ARN`);
  }
  const host = claims.iss.replace(/^https:\/\//, "");
  const provider = (await deps.store.oidcProviders()).find((x) => x.url === host && x.arn.split(":")[4] === role.accountId);
  if (!provider) return invalid(`No OpenIDConnect provider found in your account for ${claims.iss}`);
  if (!provider.clientIds.includes(claims.aud)) return invalid("Incorrect token audience");

  const principal: FederatedPrincipal = { kind: "federated", provider: provider.arn, subject: claims.sub };
  const trust = await deps.store.rolePolicies(role).then((r) => r.trust).catch(() => undefined);
  const context: Record<string, string> = { "aws:FederatedProvider": provider.arn };
  for (const [claim, value] of Object.entries(claims)) if (typeof value === "string") context[`${host}:${claim}`] = value;
  const request: AuthzRequest = { principal, action: "sts:AssumeRoleWithWebIdentity", resource: roleArn, resourceAccount: role.accountId, context };
  const decision: Decision = trust ? evaluateTrust(request, trust) : { allowed: false, statements: [] };
  const reason = decision.allowed ? undefined : `Not authorized to perform sts:AssumeRoleWithWebIdentity (${claims.sub} on ${roleArn})`;
  deps.record(principal, { action: "sts:AssumeRoleWithWebIdentity", resource: roleArn }, decision, reason);
  // AWS's answer names neither the role nor the subject.
  if (!decision.allowed) return awsError({ ...req, service: "sts", headers: {} }, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");

  const c: SessionCredentials = deps.identities.issue(roleArn, sessionName);
  const expiration = new Date(Date.now() + Number(p.get("DurationSeconds") ?? 3600) * 1000).toISOString();
  return xml(
    "AssumeRoleWithWebIdentity",
    `<SubjectFromWebIdentityToken>${esc(claims.sub)}</SubjectFromWebIdentityToken><Audience>${esc(claims.aud)}</Audience>` +
      `<AssumedRoleUser><Arn>${esc(callerArn(role))}</Arn><AssumedRoleId>${esc(assumedRoleId(role))}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${esc(c.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${esc(c.sessionToken)}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
      `<Provider>${esc(provider.arn)}</Provider>`,
  );
}
