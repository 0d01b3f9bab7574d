/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (f) An app client's attribute permissions, which moto stores and never checks: a client may write
// only its WriteAttributes and read only its ReadAttributes.
//
// - Writes through a client (SignUp's UserAttributes, UpdateUserAttributes with the client's access
//   token) that name an attribute the client may not write are refused before moto sees them, with
//   what Cognito answers: 400 NotAuthorizedException "A client attempted to write unauthorized
//   attribute" (the message as AWS SDKs surface it, e.g. aws-amplify/amplify-flutter#1243:
//   "NotAuthorizedException: A client attempted to write unauthorized attribute (Service:
//   AmazonCognitoIdentityProvider; Status Code: 400; Error Code: NotAuthorizedException ...)";
//   padok-team/cognito-scanner#6 shows the same for SignUp through boto3). ConfirmSignUp carries no
//   attributes (API reference, ConfirmSignUp request syntax), so there is nothing to check there.
// - GetUser answers only the attributes the access token's client may read; the ID tokens moto
//   issues carry only those too (sandbox/moto_server.py, the same rule in Python).
// - Admin* operations are IAM-authorized and not limited by any client (API reference,
//   UserPoolClientType.WriteAttributes: "their access token authorizes them to set or modify their
//   own attribute value for any attribute in this list"), so they pass untouched.
//
// A client without the list: the API reference says it may write "the Standard attributes of your
// user pool" and read "email_verified, phone_number_verified, and the standard attributes"
// (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserPoolClientType.html).
// What such a client does in practice is wider: custom attributes are writable too (aws/aws-cdk#30608:
// an unset list "leaves all attributes (both custom and standard) as writable other than
// email_verified and phone_number_verified"; hashicorp/terraform-provider-aws#28684, where an empty
// list is dropped and "all attributes are marked as writable"; the CDK documents the default as
// "all standard and custom attributes"). The sandbox follows the wider, observed behaviour: unset
// WriteAttributes writes everything but the two *_verified flags, unset ReadAttributes reads
// everything. `sub` is always readable: every token carries it anyway.

import { awsError, parseJson, responseWithJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { findClient } from "./clients";
import { decodeJwt, withRetries } from "./helpers";
import { idp, motoIds, type CognitoState } from "./state";

/** What Cognito answers a write the client may not make. */
export const UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute";

/** Never writable through a client that sets no WriteAttributes (Cognito verifies these itself). */
const VERIFIED_FLAGS = new Set(["email_verified", "phone_number_verified"]);

export interface ClientPermissions {
  /** Undefined: the client sets no list (Cognito's default applies). */
  read?: readonly string[];
  write?: readonly string[];
}

/** Whether a client with `p` may write attribute `name`. */
export function mayWrite(p: ClientPermissions, name: string): boolean {
  if (p.write && p.write.length > 0) return p.write.includes(name);
  return !VERIFIED_FLAGS.has(name);
}

/** Whether a client with `p` may read attribute `name`. */
export function mayRead(p: ClientPermissions, name: string): boolean {
  if (name === "sub") return true;
  if (p.read && p.read.length > 0) return p.read.includes(name);
  return true;
}

/** The client's lists as moto stores them (briefly cached; UpdateUserPoolClient clears the entry). */
async function permissionsOf(s: CognitoState, region: string, poolId: string, clientId: string): Promise<ClientPermissions> {
  const cached = s.clientPermissions.get(clientId);
  if (cached && cached.until > Date.now()) return cached.permissions;
  const out = await withRetries(() => idp(s, region, "DescribeUserPoolClient", { UserPoolId: poolId, ClientId: clientId }));
  const c = out.UserPoolClient ?? {};
  const permissions: ClientPermissions = {
    read: Array.isArray(c.ReadAttributes) ? c.ReadAttributes : undefined,
    write: Array.isArray(c.WriteAttributes) ? c.WriteAttributes : undefined,
  };
  s.clientPermissions.set(clientId, { until: Date.now() + 2000, permissions });
  return permissions;
}

/** Forgets a client's lists when they may have changed. */
export function forgetClient(s: CognitoState, body: Record<string, any>): void {
  if (typeof body.ClientId === "string") s.clientPermissions.delete(body.ClientId);
}

/** The client and pool of a request: SignUp names the client; token calls carry it in the access token. */
async function clientOf(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<{ clientId: string; poolId: string } | undefined> {
  if (typeof body.ClientId === "string") {
    const found = await findClient(s, body.ClientId, req.region);
    return found ? { clientId: body.ClientId, poolId: found.poolId } : undefined;
  }
  const claims = decodeJwt(body.AccessToken);
  const poolId = typeof claims?.iss === "string" ? claims.iss.split("/").pop() : undefined;
  if (typeof claims?.client_id !== "string" || !poolId) return undefined;
  // A native replica's secondary: the token names the shared ids (state.ts motoIds).
  const ids = motoIds(s, req.region, poolId, claims.client_id);
  return { clientId: ids.clientId!, poolId: ids.poolId };
}

/** SignUp and UpdateUserAttributes: refused when any attribute is not the client's to write. */
export async function checkWrite(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  const names = (Array.isArray(body.UserAttributes) ? body.UserAttributes : []).map((a: any) => a?.Name).filter((n: unknown): n is string => typeof n === "string");
  if (names.length === 0) return next(req);
  let permissions: ClientPermissions;
  try {
    const c = await clientOf(s, req, body);
    // Unknown client or token: moto answers with its own error.
    if (!c) return next(req);
    permissions = await permissionsOf(s, req.region, c.poolId, c.clientId);
  } catch (e) {
    if ((e as { code?: string }).code === "ResourceNotFoundException") return next(req);
    return awsError(req, 500, "InternalErrorException", `sandbox: could not read the app client's attribute permissions: ${(e as Error).message}`);
  }
  if (names.some((n: string) => !mayWrite(permissions, n))) return awsError(req, 400, "NotAuthorizedException", UNAUTHORIZED_WRITE);
  return next(req);
}

/** GetUser: only the attributes the access token's client may read. */
export async function filterRead(s: CognitoState, req: AwsRequest, body: Record<string, any>, res: AwsResponse): Promise<AwsResponse> {
  if (res.status >= 300) return res;
  const json = parseJson(res);
  if (!Array.isArray(json?.UserAttributes)) return res;
  const c = await clientOf(s, req, body);
  // moto accepted the token, so it names a client; if not, answer nothing rather than everything.
  if (!c) return responseWithJson(res, { ...json, UserAttributes: json.UserAttributes.filter((a: any) => a?.Name === "sub") });
  let permissions: ClientPermissions;
  try {
    permissions = await permissionsOf(s, req.region, c.poolId, c.clientId);
  } catch (e) {
    return awsError(req, 500, "InternalErrorException", `sandbox: could not read the app client's attribute permissions: ${(e as Error).message}`);
  }
  const readable = json.UserAttributes.filter((a: any) => typeof a?.Name === "string" && mayRead(permissions, a.Name));
  return readable.length === json.UserAttributes.length ? res : responseWithJson(res, { ...json, UserAttributes: readable });
}
