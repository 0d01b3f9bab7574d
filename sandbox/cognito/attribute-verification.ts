/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (i) Verifying updates to email addresses and phone numbers, which moto lacks: it stores the
// pool's UserAttributeUpdateSettings (DescribeUserPool echoes them) but its UpdateUserAttributes
// and AdminUpdateUserAttributes change the value at once, and it has no VerifyUserAttribute nor
// GetUserAttributeVerificationCode at all.
//
// What AWS documents (Cognito API reference, UserAttributeUpdateSettingsType,
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserAttributeUpdateSettingsType.html,
// and the developer guide, "Verifying updates to email addresses and phone numbers",
// user-pool-settings-email-phone-verification.html#user-pool-settings-verifications-verify-attribute-updates):
// with the attribute in AttributesRequireVerificationBeforeUpdate, "Amazon Cognito sends a
// verification message to the new phone number or email address" and "doesn't change the value of
// the attribute until your user responds to the verification message"; "You can verify an updated
// email address or phone number with a VerifyUserAttribute API request. You can also call the
// AdminUpdateUserAttributes API and set email_verified or phone_number_verified to true." The
// AdminUpdateUserAttributes reference adds: "To update the value of an attribute that requires
// verification in the same API request, include the email_verified or phone_number_verified
// attribute, with a value of true", and then no message is sent; UpdateUserAttributes: "Your user
// can sign in and receive messages with the original attribute value until they verify the new
// value."
//
// What the sandbox does: such an update (self-service, or admin without `<attr>_verified` true in
// the same call) leaves the old value and its `_verified` flag in moto, keeps the new value pending
// for the user and attribute (a newer update replaces it), and puts a code for it in the outbox
// (GET /__sandbox/cognito/outbox, kind VERIFY_ATTRIBUTE, to the new address); the call's other
// attributes apply at once. VerifyUserAttribute with that code applies the pending value with
// `<attr>_verified` true. GetUserAttributeVerificationCode sends a new code for the pending value,
// or for the current one when none is pending (verifying it sets the flag). An admin update with
// `<attr>_verified` true applies at once and drops a pending value.
// *Assumed* (not documented): a code is 6 digits and valid 24 hours, with any number of attempts;
// the answers to a wrong or expired code are Cognito's CodeMismatchException / ExpiredCodeException
// messages for sign-up codes; a pending value is not checked for uniqueness until it is verified
// (moto then refuses a taken alias with AliasExistsException).

import { randomInt } from "node:crypto";
import { AwsCallError, awsError, jsonResponse, withJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { attrsToMap, regionOfPool, withRetries } from "./helpers";
import { describePool } from "./pool-settings";
import { tokenUser } from "./self-service";
import { idp, type CognitoState } from "./state";

const CODE_TTL_MS = 24 * 3600_000;
const MEDIUM: Record<string, "EMAIL" | "SMS"> = { email: "EMAIL", phone_number: "SMS" };
type Attr = { Name: string; Value?: string };

const keyOf = (poolId: string, username: string, attr: string) => `${poolId}|${username}|${attr}`;

function mask(medium: "EMAIL" | "SMS", value: string): string {
  return medium === "EMAIL" ? value.replace(/^(.)[^@]*@(.)[^.]*(\..*)?$/, "$1***@$2***$3") : `+*******${value.slice(-4)}`;
}

/** Keeps `value` pending for the user's `attr` and "sends" a code for it; the delivery details Cognito answers. */
function sendCode(s: CognitoState, region: string, poolId: string, username: string, attr: string, value: string) {
  const code = String(randomInt(0, 1e6)).padStart(6, "0");
  s.pendingAttributes.set(keyOf(poolId, username, attr), { value, code, expiresAt: Date.now() + CODE_TTL_MS });
  const medium = MEDIUM[attr] ?? "EMAIL";
  s.outbox.push({ at: new Date().toISOString(), region, userPoolId: poolId, username, medium, destination: value, kind: "VERIFY_ATTRIBUTE", code, attribute: attr });
  if (s.outbox.length > 1000) s.outbox.shift();
  return { Destination: mask(medium, value), DeliveryMedium: medium, AttributeName: attr };
}

/** UpdateUserAttributes and AdminUpdateUserAttributes (`next` applies what may change now). */
export async function updateAttributes(s: CognitoState, req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
  const admin = req.operation === "AdminUpdateUserAttributes";
  const attrs: Attr[] = Array.isArray(body.UserAttributes) ? body.UserAttributes : [];
  let poolId: string;
  let region = req.region;
  let user: any;
  let required: string[];
  try {
    if (admin) {
      poolId = String(body.UserPoolId);
    } else {
      poolId = (await tokenUser(s, req, body.AccessToken)).poolId;
      region = regionOfPool(poolId) ?? region;
    }
    const pool = await withRetries(() => describePool(s, region, poolId));
    required = pool.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate ?? [];
    if (!required.some((a) => attrs.some((x) => x?.Name === a))) return next(req);
    user = admin
      ? await withRetries(() => idp(s, region, "AdminGetUser", { UserPoolId: poolId, Username: body.Username }))
      : await idp(s, region, "GetUser", { AccessToken: body.AccessToken });
  } catch (e) {
    // An unknown pool, user or token: moto answers with its own error.
    if (e instanceof AwsCallError && e.status < 500) return next(req);
    return awsError(req, 500, "InternalErrorException", `sandbox: could not read the pool or the user before updating attributes: ${(e as Error).message}`);
  }
  const username = String(user.Username);
  const current = attrsToMap(user.UserAttributes);
  const given = new Map(attrs.map((a) => [a?.Name, a?.Value]));
  const held = new Set<string>();
  const deliveries = [];
  for (const attr of required) {
    const value = given.get(attr);
    if (typeof value !== "string" || value === current[attr]) continue;
    if (admin && given.get(`${attr}_verified`) === "true") {
      s.pendingAttributes.delete(keyOf(poolId, username, attr));
      continue;
    }
    held.add(attr).add(`${attr}_verified`);
    deliveries.push(sendCode(s, region, poolId, username, attr, value));
  }
  if (held.size === 0) return next(req);
  const now = attrs.filter((a) => !held.has(a?.Name));
  if (now.length > 0) {
    const res = await next(withJson(req, { ...body, UserAttributes: now }));
    if (res.status >= 300) return res;
  }
  return jsonResponse(200, admin ? {} : { CodeDeliveryDetailsList: deliveries });
}

/** VerifyUserAttribute and GetUserAttributeVerificationCode, with the user's access token. */
export async function verifyAttribute(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<AwsResponse> {
  try {
    const { poolId, username } = await tokenUser(s, req, body.AccessToken);
    const region = regionOfPool(poolId) ?? req.region;
    const attr = String(body.AttributeName ?? "");
    const key = keyOf(poolId, username, attr);
    const pending = s.pendingAttributes.get(key);
    if (req.operation === "GetUserAttributeVerificationCode") {
      const user: any = await idp(s, region, "AdminGetUser", { UserPoolId: poolId, Username: username });
      const value = pending?.value ?? attrsToMap(user.UserAttributes)[attr];
      if (!MEDIUM[attr] || !value) return awsError(req, 400, "InvalidParameterException", `Invalid attribute name: ${attr}`);
      return jsonResponse(200, { CodeDeliveryDetails: sendCode(s, region, poolId, username, attr, value) });
    }
    if (!pending || pending.code !== String(body.Code ?? "")) return awsError(req, 400, "CodeMismatchException", "Invalid verification code provided, please try again.");
    if (pending.expiresAt < Date.now()) return awsError(req, 400, "ExpiredCodeException", "Invalid code provided, please request a code again.");
    await idp(s, region, "AdminUpdateUserAttributes", {
      UserPoolId: poolId,
      Username: username,
      UserAttributes: [
        { Name: attr, Value: pending.value },
        { Name: `${attr}_verified`, Value: "true" },
      ],
    });
    s.pendingAttributes.delete(key);
    return jsonResponse(200, {});
  } catch (e) {
    if (e instanceof AwsCallError) return awsError(req, e.status, e.code, e.detail);
    throw e;
  }
}
