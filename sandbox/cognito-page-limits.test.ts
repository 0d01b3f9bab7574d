// Cognito refuses a list page larger than 60 (or below 0) where moto serves any size: the sandbox
// answers as AWS does, so code that pages by 100 fails here rather than on AWS
// (sandbox/cognito/page-limits.ts).

import {
  AdminCreateUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();

describe.skipIf(!!skip)("Cognito list page sizes", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let idp: CognitoIdentityProviderClient;
  let UserPoolId: string;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    idp = new CognitoIdentityProviderClient({ region: "us-east-1", endpoint: sb.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
    UserPoolId = (await idp.send(new CreateUserPoolCommand({ PoolName: "paged" }))).UserPool!.Id!;
    await idp.send(new AdminCreateUserCommand({ UserPoolId, Username: "u1", MessageAction: "SUPPRESS" }));
    await idp.send(new CreateGroupCommand({ UserPoolId, GroupName: "g1" }));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("serves pages of 0 to 60", async () => {
    expect((await idp.send(new ListUsersCommand({ UserPoolId, Limit: 60 }))).Users).toHaveLength(1);
    expect((await idp.send(new ListGroupsCommand({ UserPoolId, Limit: 60 }))).Groups).toHaveLength(1);
    await idp.send(new ListUsersCommand({ UserPoolId, Limit: 0 }));
  });

  it.each([
    ["ListUsers", (Limit: number): Promise<unknown> => idp.send(new ListUsersCommand({ UserPoolId, Limit }))],
    ["ListUsersInGroup", (Limit: number): Promise<unknown> => idp.send(new ListUsersInGroupCommand({ UserPoolId, GroupName: "g1", Limit }))],
    ["ListGroups", (Limit: number): Promise<unknown> => idp.send(new ListGroupsCommand({ UserPoolId, Limit }))],
    ["AdminListGroupsForUser", (Limit: number): Promise<unknown> => idp.send(new AdminListGroupsForUserCommand({ UserPoolId, Username: "u1", Limit }))],
  ] as const)("refuses %s with a Limit of 61 or -1, naming the limit and its bound", async (_op, list) => {
    await expect(list(61)).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60",
    });
    await expect(list(-1)).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("greater than or equal to 0") });
  });
});
