// A pool's tags, which moto keeps from CreateUserPool but cannot change (it has no TagResource,
// UntagResource or ListTagsForResource): answered by the sandbox, echoed in DescribeUserPool, and
// what the authorizer reads as the pool's aws:ResourceTag.

import { CognitoIdentityProviderClient, CreateUserPoolCommand, DescribeUserPoolCommand, ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand, UpdateUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();

describe.skipIf(!!skip)("Cognito pool tags", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let idp: CognitoIdentityProviderClient;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    idp = new CognitoIdentityProviderClient({ region: "us-east-1", endpoint: sb.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("tags, lists, untags and describes a pool's tags as Cognito does", async () => {
    const pool = (await idp.send(new CreateUserPoolCommand({ PoolName: "tagged", UserPoolTags: { env: "local" } }))).UserPool!;
    const tags = async () => (await idp.send(new ListTagsForResourceCommand({ ResourceArn: pool.Arn }))).Tags;
    expect(await tags()).toEqual({ env: "local" });
    await idp.send(new TagResourceCommand({ ResourceArn: pool.Arn, Tags: { owner: "dr" } }));
    expect(await tags()).toEqual({ env: "local", owner: "dr" });
    expect((await idp.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool?.UserPoolTags).toEqual({ env: "local", owner: "dr" });
    await idp.send(new UntagResourceCommand({ ResourceArn: pool.Arn, TagKeys: ["owner"] }));
    expect(await tags()).toEqual({ env: "local" });
    await idp.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id, UserPoolTags: { env: "prod" } }));
    expect(await tags()).toEqual({ env: "prod" });
  });

  it("answers ResourceNotFoundException for a pool it does not know", async () => {
    await expect(idp.send(new TagResourceCommand({ ResourceArn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_nope", Tags: { a: "b" } }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
