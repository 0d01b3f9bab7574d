/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// (g) DeleteUser and DeleteUserAttributes, the self-service calls that moto 5.2.1 does not
// implement (its server answers them with an HTML error page): a user deletes their own profile,
// or attributes of it, with their access token (Cognito API reference, DeleteUser: "Allows a user
// to delete their own user profile"; DeleteUserAttributes: "Deletes the attributes for the
// currently signed-in user"). The token is checked by moto itself (GetUser answers
// NotAuthorizedException for a token it did not issue or a user that is gone), then moto's admin
// call does the change. Not emulated: a client's WriteAttributes limiting DeleteUserAttributes.

import { AwsCallError, awsError, jsonResponse } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";
import { decodeJwt, regionOfPool } from "./helpers";
import { idp, type CognitoState } from "./state";

/** The pool and username an access token belongs to, as moto's GetUser validates it. */
export async function tokenUser(s: CognitoState, req: AwsRequest, token: unknown): Promise<{ poolId: string; username: string }> {
  const claims = decodeJwt(token);
  const poolId = /\/([^/]+_[0-9A-Za-z]+)$/.exec(String(claims?.iss ?? ""))?.[1];
  if (typeof token !== "string" || !poolId) throw new AwsCallError("NotAuthorizedException", "Invalid Access Token", 400);
  const user: any = await idp(s, regionOfPool(poolId) ?? req.region, "GetUser", { AccessToken: token });
  return { poolId, username: String(user.Username) };
}

export async function selfService(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<AwsResponse> {
  try {
    const { poolId, username } = await tokenUser(s, req, body.AccessToken);
    const region = regionOfPool(poolId) ?? req.region;
    if (req.operation === "DeleteUser") {
      await idp(s, region, "AdminDeleteUser", { UserPoolId: poolId, Username: username });
    } else {
      await idp(s, region, "AdminDeleteUserAttributes", { UserPoolId: poolId, Username: username, UserAttributeNames: body.UserAttributeNames ?? [] });
    }
    return jsonResponse(200, {});
  } catch (e) {
    if (e instanceof AwsCallError) return awsError(req, e.status, e.code, e.detail);
    throw e;
  }
}
