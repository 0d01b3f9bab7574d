// Reading one SQS message: the EventBridge event of a Cognito call CloudTrail recorded. The result
// is either the user it concerns (pool, sub) with the kind of change and when it happened, or a
// drop with a value-free reason. Nothing here throws: a message we cannot use is a log line and a
// metric, never a failed batch (it would only come back, unchanged, until it reached the DLQ).
//
// Which fields, and why (Cognito Developer Guide, "Logging Amazon Cognito API calls with AWS
// CloudTrail" and its "Example Amazon Cognito events"; CloudTrail User Guide, "CloudTrail record
// contents" and "userIdentity element"):
// - Pool: `requestParameters.userPoolId` for API calls (CloudTrail records the request's
//   parameters, camel-cased; every user-pool operation takes UserPoolId), else
//   `additionalEventData.userPoolId`, where the published managed-login events carry it.
// - User: Cognito "records UserSub but not UserName" for user-specific requests, and hides private
//   fields as HIDDEN_DUE_TO_SECURITY_REASONS, so a username is never relied on. The only published
//   event naming a user (managed login's Confirm_POST) has the sub in
//   `additionalEventData.requestParameters.sub[0]`; for API calls no example is published, and
//   `additionalEventData.sub` is where AWS's own sample code reads it. Read in this order:
//   `additionalEventData.sub`, `additionalEventData.requestParameters.sub[0]`,
//   `responseElements.userSub` (SignUp's response names the new user's sub), and
//   `requestParameters.username` (in pools that sign in by email the username is the sub, and
//   callers may pass it). Only a value shaped like a Cognito sub (a UUID) is taken, so a hidden
//   field, an email or a username never passes for one, and the sub is safe to log.
// - Failed calls: `errorCode` set and not empty (the published success events carry "").
// - Loop safety: calls made under a session of one of this project's roles (the replicator,
//   reconcile, backfill and operator roles: configured ARNs or a role-name prefix) are the
//   project's own writes, and are not captured.
import { CAPTURED_EVENT_NAMES } from "../contract";

export type ChangeKind = "create" | "confirm" | "attributes" | "enable" | "disable" | "delete" | "groups" | "link" | "password";

type CapturedName = (typeof CAPTURED_EVENT_NAMES)[number];

/** The kind of change each captured call makes (the lag and event metrics' `kind`). */
export const KIND_OF: Readonly<Record<CapturedName, ChangeKind>> = {
  AdminCreateUser: "create",
  SignUp: "create",
  ConfirmSignUp: "confirm",
  AdminConfirmSignUp: "confirm",
  Confirm_POST: "confirm",
  AdminUpdateUserAttributes: "attributes",
  UpdateUserAttributes: "attributes",
  AdminDeleteUserAttributes: "attributes",
  DeleteUserAttributes: "attributes",
  VerifyUserAttribute: "attributes",
  AdminDisableUser: "disable",
  AdminEnableUser: "enable",
  AdminDeleteUser: "delete",
  DeleteUser: "delete",
  AdminAddUserToGroup: "groups",
  AdminRemoveUserFromGroup: "groups",
  AdminLinkProviderForUser: "link",
  AdminDisableProviderForUser: "link",
  // FORCE_CHANGE_PASSWORD comes and goes with these: the DR copy is disabled while it lasts.
  AdminSetUserPassword: "password",
  RespondToAuthChallenge: "password",
  AdminRespondToAuthChallenge: "password",
  ConfirmForgotPassword: "password",
};

export type DropReason =
  | "not-json"
  | "not-cloudtrail"
  | "not-captured"
  | "failed-call"
  | "no-pool-id"
  | "other-pool"
  | "own-role"
  | "no-sub"
  | "not-password-change"
  | "no-time";

export interface CapturedEvent {
  poolId: string;
  sub: string;
  eventName: CapturedName;
  kind: ChangeKind;
  /** CloudTrail's eventTime, epoch ms. */
  at: number;
  eventId?: string;
}

/** What a log line may say about a message (names, ids and codes of fixed shapes only). */
export interface EventFacts {
  eventName?: string;
  eventId?: string;
  errorCode?: string;
}

export type Parsed = { ok: true; event: CapturedEvent } | { ok: false; reason: DropReason; facts: EventFacts };

export interface ParseConfig {
  poolId: string;
  ignoredRoleArns: ReadonlySet<string>;
  ignoredRolePrefix?: string;
}

const SUB = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// <region>_<suffix>: a hidden value (HIDDEN_DUE_TO_SECURITY_REASONS) must not pass for one.
const POOL_ID = /^[a-z]{2}(-[a-z]+)+-\d+_[0-9A-Za-z]+$/;
const NAME = /^[A-Za-z0-9_]{1,64}$/;
const ERROR_CODE = /^[A-Za-z0-9.:_-]{1,128}$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const fixed = (v: unknown, shape: RegExp): string | undefined => {
  const s = str(v);
  return s !== undefined && shape.test(s) ? s : undefined;
};
const isCaptured = (name: string): name is CapturedName => (CAPTURED_EVENT_NAMES as readonly string[]).includes(name);

/** The sub of the user the call concerns, where Cognito puts it (see the header), or undefined. */
export function subOf(detail: Json): string | undefined {
  const extra = obj(detail.additionalEventData);
  const managedLogin = obj(extra?.requestParameters)?.sub;
  const candidates = [extra?.sub, Array.isArray(managedLogin) ? managedLogin[0] : managedLogin, obj(detail.responseElements)?.userSub, obj(detail.requestParameters)?.username];
  return candidates.map((c) => fixed(c, SUB)).find((c) => c !== undefined)?.toLowerCase();
}

/** The user pool the call was made on, or undefined. */
export function poolIdOf(detail: Json): string | undefined {
  return fixed(obj(detail.requestParameters)?.userPoolId, POOL_ID) ?? fixed(obj(detail.additionalEventData)?.userPoolId, POOL_ID);
}

/** Whether the caller is a session of one of this project's roles. */
export function isOwnRole(detail: Json, config: Pick<ParseConfig, "ignoredRoleArns" | "ignoredRolePrefix">): boolean {
  const identity = obj(detail.userIdentity);
  if (identity?.type !== "AssumedRole") return false;
  const issuer = obj(obj(identity.sessionContext)?.sessionIssuer);
  // arn:aws:sts::<account>:assumed-role/<role name>/<session>, when the issuer is not spelled out.
  const fromSession = /^arn:[\w-]+:sts::\d+:assumed-role\/([^/]+)\//.exec(str(identity.arn) ?? "")?.[1];
  const roleArn = str(issuer?.arn);
  const roleName = str(issuer?.userName) ?? fromSession;
  if (roleArn && config.ignoredRoleArns.has(roleArn)) return true;
  return !!config.ignoredRolePrefix && !!roleName && roleName.startsWith(config.ignoredRolePrefix);
}

/**
 * A challenge answer changes the user only when it sets the password (NEW_PASSWORD_REQUIRED: the
 * end of FORCE_CHANGE_PASSWORD). Every EMAIL_OTP sign-in answers a challenge too, so the others
 * are dropped when the record names them; one that does not (hidden or absent) is re-read.
 */
function isPasswordChange(eventName: CapturedName, detail: Json): boolean {
  if (eventName !== "RespondToAuthChallenge" && eventName !== "AdminRespondToAuthChallenge") return true;
  const challenge = str(obj(detail.requestParameters)?.challengeName);
  return challenge === undefined || challenge === "HIDDEN_DUE_TO_SECURITY_REASONS" || challenge === "NEW_PASSWORD_REQUIRED";
}

export function parseMessage(body: string, config: ParseConfig): Parsed {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { ok: false, reason: "not-json", facts: {} };
  }
  const envelope = obj(event);
  const detail = obj(envelope?.detail);
  if (!envelope || !detail || envelope["detail-type"] !== "AWS API Call via CloudTrail" || envelope.source !== "aws.cognito-idp" || detail.eventSource !== "cognito-idp.amazonaws.com") {
    return { ok: false, reason: "not-cloudtrail", facts: {} };
  }
  const facts: EventFacts = { eventName: fixed(detail.eventName, NAME), eventId: fixed(detail.eventID, SUB) };
  const eventName = facts.eventName;
  if (!eventName || !isCaptured(eventName)) return { ok: false, reason: "not-captured", facts };
  const errorCode = str(detail.errorCode);
  if (errorCode) return { ok: false, reason: "failed-call", facts: { ...facts, errorCode: fixed(errorCode, ERROR_CODE) } };
  const poolId = poolIdOf(detail);
  if (!poolId) return { ok: false, reason: "no-pool-id", facts };
  if (poolId !== config.poolId) return { ok: false, reason: "other-pool", facts };
  if (isOwnRole(detail, config)) return { ok: false, reason: "own-role", facts };
  const sub = subOf(detail);
  if (!sub) return { ok: false, reason: "no-sub", facts };
  if (!isPasswordChange(eventName, detail)) return { ok: false, reason: "not-password-change", facts };
  const at = Date.parse(str(detail.eventTime) ?? str(envelope.time) ?? "");
  if (!Number.isFinite(at)) return { ok: false, reason: "no-time", facts };
  return { ok: true, event: { poolId, sub, eventName, kind: KIND_OF[eventName], at, eventId: facts.eventId } };
}
