/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// One CloudTrail record of a Cognito user-pools API call, shaped as AWS's documented examples show
// a record (Cognito developer guide, "Example Amazon Cognito events",
// understanding-amazon-cognito-entries.html; CloudTrail user guide, "CloudTrail record contents",
// cloudtrail-event-reference-record-contents.html, and "CloudTrail userIdentity element",
// cloudtrail-event-reference-user-identity.html). AWS publishes no example of a user-pools API
// call (AdminDisableUser, SignUp, ...): the fields below follow the documented record contents and
// the Cognito examples it does publish; what had to be chosen is marked *assumed* and listed in
// the sandbox README.
//
// - `eventVersion` "1.08", the version of every Cognito example.
// - `requestParameters` / `responseElements`: the call's own JSON with lowerCamelCase member
//   names, as in the CreateIdentityPool example (IdentityPoolName -> identityPoolName); null when
//   empty (the answer of AdminDisableUser is `{}`).
// - "Amazon Cognito records UserSub but not UserName in CloudTrail logs for requests that are
//   specific to a user" (logging-using-cloudtrail.html): the username is
//   "HIDDEN_DUE_TO_SECURITY_REASONS" and the user's sub is `additionalEventData.sub` (*assumed*:
//   the documented Confirm_POST example carries `sub` beside a hidden username, in
//   additionalEventData). Passwords, codes, tokens, sessions and attribute values are hidden the
//   same way (the Signup_POST example hides the password, the email attribute and the username:
//   "Amazon Cognito doesn't log identifying information about the user's identity").
// - A call whose request names no pool (SignUp, ConfirmSignUp, UpdateUserAttributes, DeleteUser:
//   a client id or an access token) carries the pool in `additionalEventData.userPoolId`, as the
//   managed-login examples do (*assumed* for API calls).

import { randomUUID } from "node:crypto";
import { parseJson } from "../aws";
import { callerArn, roleUniqueId, type Principal } from "../authz/principal";
import type { AwsRequest, AwsResponse } from "../types";

export const HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";

export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: Record<string, unknown>;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  eventType: "AwsApiCall";
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: "Management";
}

/**
 * Members whose values Cognito keeps out of CloudTrail (lowerCamelCase). Attribute lists keep the
 * attribute names and hide the values (`requiredAttributes[email]` in the Signup_POST example).
 */
const SECRET = new Set([
  "username", "password", "temporaryPassword", "proposedPassword", "previousPassword", "confirmationCode", "code",
  "accessToken", "refreshToken", "idToken", "session", "secretHash", "authParameters", "challengeResponses",
  "challengeParameters", "clientMetadata", "userContextData", "analyticsMetadata", "destination", "secretCode",
  "userCode", "clientSecret",
]);
const ATTRIBUTE_LISTS = new Set(["userAttributes", "attributes", "validationData"]);

const camel = (k: string) => (k.length > 0 ? k[0]!.toLowerCase() + k.slice(1) : k);

/** lowerCamelCase member names, Cognito's secrets hidden. */
export function redact(value: unknown, key = ""): unknown {
  if (key && SECRET.has(key) && value !== null && value !== undefined) return HIDDEN;
  if (Array.isArray(value)) {
    if (ATTRIBUTE_LISTS.has(key)) return value.map((a: any) => (a && typeof a === "object" ? { name: a.Name ?? a.name, value: HIDDEN } : HIDDEN));
    return value.map((v) => redact(v));
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[camel(k)] = redact(v, camel(k));
    return out;
  }
  return value;
}

/** Reads (Get*, List*, Describe*, AdminGet*, AdminList*) are readOnly; every other call changes something. */
export function isReadOnly(operation: string): boolean {
  return /^(Admin)?(Get|List|Describe)/.test(operation);
}

/**
 * Who called, as CloudTrail writes it (userIdentity element page): a role session is an
 * AssumedRole whose `sessionContext.sessionIssuer` is the role, so a consumer can tell its own
 * roles' calls apart; the sandbox's shared dummy keys are moto's default IAM user (the identity
 * moto's GetCallerIdentity answers for them); an unsigned call (SignUp, an access-token call) has
 * the `{accountId}` identity of the Cognito examples, which are all unsigned requests.
 */
export function userIdentity(p: Principal, accessKeyId: string | undefined, account: string): Record<string, unknown> {
  if (p.kind === "role") {
    const roleId = roleUniqueId(p);
    return {
      type: "AssumedRole",
      principalId: `${roleId}:${p.sessionName}`,
      arn: callerArn(p),
      accountId: p.accountId,
      accessKeyId: accessKeyId ?? "",
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: roleId, arn: p.roleArn, accountId: p.accountId, userName: p.roleName },
        attributes: { creationDate: p.issuedAt ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), mfaAuthenticated: "false" },
      },
    };
  }
  if (accessKeyId === undefined) return { accountId: account };
  return { type: "IAMUser", principalId: "AKIAIOSFODNN7EXAMPLE", arn: `arn:aws:iam::${account}:user/moto`, accountId: account, accessKeyId, userName: "moto" };
}

export interface RecordInput {
  req: AwsRequest;
  res: AwsResponse;
  principal: Principal;
  accessKeyId?: string;
  account: string;
  /** The user's sub, for a call about one user. */
  sub?: string;
  /** The pool, when the request does not name it. */
  userPoolId?: string;
  at?: Date;
}

function errorOf(res: AwsResponse): { errorCode: string; errorMessage: string } | undefined {
  if (res.status < 300) return undefined;
  const body = parseJson(res) ?? {};
  const type = String(body.__type ?? res.headers["x-amzn-errortype"] ?? `HTTP${res.status}`);
  return { errorCode: type.split("#").pop()!.split(":")[0]!, errorMessage: String(body.message ?? body.Message ?? "") };
}

function nonEmpty(v: unknown): Record<string, unknown> | null {
  return v && typeof v === "object" && Object.keys(v).length > 0 ? (v as Record<string, unknown>) : null;
}

export function cloudTrailRecord(i: RecordInput): CloudTrailRecord {
  const op = i.req.operation ?? "";
  const error = errorOf(i.res);
  const additional: Record<string, unknown> = {};
  if (i.sub) additional.sub = i.sub;
  if (i.userPoolId) additional.userPoolId = i.userPoolId;
  return {
    eventVersion: "1.08",
    userIdentity: userIdentity(i.principal, i.accessKeyId, i.account),
    eventTime: (i.at ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: "cognito-idp.amazonaws.com",
    eventName: op,
    awsRegion: i.req.region,
    // Every caller of the sandbox is on loopback.
    sourceIPAddress: "127.0.0.1",
    userAgent: i.req.headers["user-agent"] ?? "",
    ...(error ?? {}),
    requestParameters: nonEmpty(redact(i.req.json ?? {})),
    responseElements: error ? null : nonEmpty(redact(parseJson(i.res) ?? {})),
    ...(Object.keys(additional).length ? { additionalEventData: additional } : {}),
    requestID: i.res.headers["x-amzn-requestid"] ?? randomUUID(),
    eventID: randomUUID(),
    readOnly: isReadOnly(op),
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: i.account,
    eventCategory: "Management",
  };
}
