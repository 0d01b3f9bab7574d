/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Which user and which pool a Cognito call is about, for its CloudTrail record: Cognito records the
// user's sub, never the username (logging-using-cloudtrail.html). The sub is read before the call
// (a deleted user has none afterwards) from moto directly, or from the answer of a call that
// creates the user (SignUp's UserSub, AdminCreateUser's User.Attributes), or from the access
// token of a self-service call.

import { motoJson, parseJson } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";

export interface Subject {
  userPoolId?: string;
  /** Whether the request itself names the pool (UserPoolId); otherwise the record carries it. */
  poolNamed: boolean;
  sub?: string;
}

export interface SubjectOptions {
  motoEndpoint: string;
  /** The pool of an app client (unsigned calls name only the client). */
  poolOfClient?: (clientId: string, region: string) => Promise<string | undefined>;
}

function claims(token: unknown): Record<string, any> | undefined {
  if (typeof token !== "string") return undefined;
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The sub attribute of a user in moto, or undefined (no such user, or moto could not say). */
async function subOf(o: SubjectOptions, region: string, userPoolId: string, username: string): Promise<string | undefined> {
  const user = await motoJson(o.motoEndpoint, "cognito-idp", region, "AdminGetUser", { UserPoolId: userPoolId, Username: username }).catch(() => undefined);
  return (user?.UserAttributes ?? []).find((a: any) => a.Name === "sub")?.Value;
}

/** The username a request names: `Username`, or the Cognito user of AdminLinkProviderForUser. */
function usernameOf(body: any): string | undefined {
  if (typeof body.Username === "string") return body.Username;
  const dest = body.DestinationUser;
  if (dest?.ProviderName === "Cognito" && typeof dest.ProviderAttributeValue === "string") return dest.ProviderAttributeValue;
  return undefined;
}

/** What the call is about, read before it runs. */
export async function subjectBefore(o: SubjectOptions, req: AwsRequest): Promise<Subject> {
  const body = (req.json ?? {}) as any;
  const token = claims(body.AccessToken);
  if (token) {
    const pool = /\/([^/]+_[0-9A-Za-z]+)$/.exec(String(token.iss ?? ""))?.[1];
    return { userPoolId: pool, poolNamed: false, sub: typeof token.sub === "string" ? token.sub : undefined };
  }
  let userPoolId: string | undefined = typeof body.UserPoolId === "string" ? body.UserPoolId : undefined;
  const poolNamed = userPoolId !== undefined;
  if (!userPoolId && typeof body.ClientId === "string") userPoolId = await o.poolOfClient?.(body.ClientId, req.region).catch(() => undefined);
  const username = usernameOf(body);
  // SignUp and AdminCreateUser create the user: its sub comes with the answer.
  const creates = req.operation === "SignUp" || req.operation === "AdminCreateUser";
  const sub = userPoolId && username && !creates ? await subOf(o, req.region, userPoolId, username) : undefined;
  return { userPoolId, poolNamed, sub };
}

/** The sub of a user the call created, from its answer. */
export function subjectAfter(before: Subject, req: AwsRequest, res: AwsResponse): Subject {
  if (res.status >= 300 || before.sub) return before;
  const out = parseJson(res) ?? {};
  if (req.operation === "SignUp" && typeof out.UserSub === "string") return { ...before, sub: out.UserSub };
  if (req.operation === "AdminCreateUser") {
    const sub = (out.User?.Attributes ?? []).find((a: any) => a.Name === "sub")?.Value;
    if (typeof sub === "string") return { ...before, sub };
  }
  return before;
}
