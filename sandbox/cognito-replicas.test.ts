// Native multi-Region replication of user pools as the sandbox emulates it (sandbox/cognito/replicas.ts):
// the four replica operations and their documented rules, the secondary behind the primary's pool
// id answering only what AWS lists for its status, the directory carried over after a lag, and
// the checks Cognito makes of the pool's key.
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  AdminAddUserToGroupCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  GetUserCommand,
  InitiateAuthCommand,
  SignUpCommand,
  CreateUserPoolReplicaCommand,
  DeleteUserPoolReplicaCommand,
  DescribeUserPoolCommand,
  ListUserPoolReplicasCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
  UpdateUserPoolCommand,
  UpdateUserPoolReplicaCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { CreateKeyCommand, KMSClient, ReplicateKeyCommand } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { regionalEndpoint, SANDBOX_ACCOUNT_ID, startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();
const [PRIMARY, SECONDARY] = ["us-east-1", "us-west-2"];
const TRANSITION_MS = 2000;

/** A key policy that lets the account administer the key and, unless `cognito` is false, Cognito use it. */
const keyPolicy = (cognito = true) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:root` }, Action: "kms:*", Resource: "*" },
      ...(cognito
        ? [
            {
              Sid: "cognito",
              Effect: "Allow",
              Principal: { Service: "cognito-idp.amazonaws.com" },
              Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": SANDBOX_ACCOUNT_ID } },
            },
          ]
        : []),
    ],
  });

describe.skipIf(!!skip)("Cognito native multi-Region replication (sandbox)", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  const idp: Record<string, CognitoIdentityProviderClient> = {};
  const kms: Record<string, KMSClient> = {};
  const credentials = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED, cognitoReplicaLagMs: 60_000, cognitoReplicaTransitionMs: TRANSITION_MS });
    for (const region of [PRIMARY, SECONDARY]) {
      idp[region] = new CognitoIdentityProviderClient({ region, endpoint: sb.endpoint, credentials });
      kms[region] = new KMSClient({ region, endpoint: sb.endpoint, credentials });
    }
  });
  afterAll(async () => {
    await sb?.stop();
  });

  /** A multi-Region key with its replica in the secondary's Region; `replicate` false leaves it single-Region-available. */
  async function multiRegionKey(opts: { cognito?: boolean; replicate?: boolean } = {}): Promise<string> {
    const key = (await kms[PRIMARY].send(new CreateKeyCommand({ MultiRegion: true, Policy: keyPolicy(opts.cognito) }))).KeyMetadata!;
    if (opts.replicate !== false) await kms[PRIMARY].send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: SECONDARY, Policy: keyPolicy(opts.cognito) }));
    return key.Arn!;
  }

  const poolWithKey = async (keyArn: string | undefined, name: string, tier: "ESSENTIALS" | "LITE" = "ESSENTIALS") =>
    (await idp[PRIMARY].send(
      new CreateUserPoolCommand({
        PoolName: name,
        UserPoolTier: tier,
        UsernameAttributes: ["email"],
        Schema: [{ Name: "canonical_id", AttributeDataType: "String", Mutable: true }],
        ...(keyArn ? { KeyConfiguration: { KeyType: "CUSTOMER_MANAGED_KEY", KmsKeyArn: keyArn } } : {}),
      }),
    )).UserPool!;

  const waitFor = async (ok: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 50; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const replicaStatus = async (poolId: string) => (await idp[PRIMARY].send(new ListUserPoolReplicasCommand({ UserPoolId: poolId }))).UserPoolReplicas?.find((r) => r.Role === "SECONDARY")?.Status;

  it("refuses a replica without a customer managed multi-Region key, with a replica of it, that Cognito may use; and on the Lite plan", async () => {
    const plain = await poolWithKey(undefined, "aws-owned");
    await expect(idp[PRIMARY].send(new CreateUserPoolReplicaCommand({ UserPoolId: plain.Id, RegionName: SECONDARY }))).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("customer managed multi-Region KMS key") });
    const unreplicated = await poolWithKey(await multiRegionKey({ replicate: false }), "key-not-in-dr");
    await expect(idp[PRIMARY].send(new CreateUserPoolReplicaCommand({ UserPoolId: unreplicated.Id, RegionName: SECONDARY }))).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining(`does not exist in ${SECONDARY}`) });
    const lite = await poolWithKey(undefined, "lite", "LITE");
    await expect(idp[PRIMARY].send(new CreateUserPoolReplicaCommand({ UserPoolId: lite.Id, RegionName: SECONDARY }))).rejects.toMatchObject({ name: "FeatureUnavailableInTierException" });
    await expect(idp[PRIMARY].send(new CreateUserPoolReplicaCommand({ UserPoolId: plain.Id, RegionName: PRIMARY }))).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("refuses a pool key Cognito may not use (key policy), and an alias instead of an ARN", async () => {
    const denied = await multiRegionKey({ cognito: false });
    const pool = await poolWithKey(undefined, "denied-key");
    await expect(idp[PRIMARY].send(new UpdateUserPoolCommand({ UserPoolId: pool.Id, KeyConfiguration: { KeyType: "CUSTOMER_MANAGED_KEY", KmsKeyArn: denied } }))).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: expect.stringContaining("does not let cognito-idp.amazonaws.com"),
    });
    await expect(poolWithKey("alias/pool-key", "alias-key")).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("must be a KMS key ARN") });
  });

  it("an UpdateUserPool without KeyConfiguration resets the pool to an AWS owned key (the sandbox's assumption, as terraform's updates send none)", async () => {
    const pool = await poolWithKey(await multiRegionKey(), "reset");
    expect((await idp[PRIMARY].send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool?.KeyConfiguration?.KeyType).toBe("CUSTOMER_MANAGED_KEY");
    await idp[PRIMARY].send(new UpdateUserPoolCommand({ UserPoolId: pool.Id, UserPoolTier: "ESSENTIALS" }));
    expect((await idp[PRIMARY].send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool?.KeyConfiguration).toBeUndefined();
  });

  it("creates one replica that starts CREATING then INACTIVE, serves only what AWS lists for its status, carries the directory over after the lag, and deletes only when INACTIVE from the primary", async () => {
    const pool = await poolWithKey(await multiRegionKey(), "replicated");
    const poolId = pool.Id!;
    const primary = idp[PRIMARY];
    const dr = idp[SECONDARY];
    const user = (await primary.send(new AdminCreateUserCommand({ UserPoolId: pool.Id, Username: "ann@example.com", MessageAction: "SUPPRESS", TemporaryPassword: "Temp-Passw0rd!", UserAttributes: [{ Name: "email", Value: "ann@example.com" }, { Name: "custom:canonical_id", Value: "c-1" }] }))).User!;
    await primary.send(new CreateGroupCommand({ UserPoolId: pool.Id, GroupName: "admins" }));
    await primary.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.Id, Username: user.Username, GroupName: "admins" }));

    const created = (await primary.send(new CreateUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY, UserPoolTags: { role: "dr" } }))).UserPoolReplica!;
    expect(created).toEqual({ RegionName: SECONDARY, Status: "CREATING", Role: "SECONDARY", UserPoolArn: pool.Arn!.replace(`:${PRIMARY}:`, `:${SECONDARY}:`) });
    await expect(dr.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const listedInDr = async () => ((await dr.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((p) => p.Name === pool.Name).map((p) => p.Id);
    expect(await listedInDr()).toEqual([]);
    // (The SDK retries LimitExceededException as a throttle, so this takes a few seconds.)
    await expect(primary.send(new CreateUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY }))).rejects.toMatchObject({ name: "LimitExceededException" });
    await waitFor(async () => (await replicaStatus(poolId)) === "INACTIVE", "INACTIVE");

    // INACTIVE: administrator reads under the shared id and the same user ids; no sign-in; no writes.
    // Listed in its Region under the shared id (a lookup by name there gets the id every call takes).
    expect(await listedInDr()).toEqual([pool.Id]);
    await sb.admin.flushCognitoReplicas();
    const copy = await dr.send(new AdminGetUserCommand({ UserPoolId: pool.Id, Username: "ann@example.com" }));
    expect(copy.Username).toBe(user.Username);
    expect(copy.UserAttributes?.find((a) => a.Name === "sub")?.Value).toBe(user.Attributes?.find((a) => a.Name === "sub")?.Value);
    expect(copy.UserAttributes?.find((a) => a.Name === "custom:canonical_id")?.Value).toBe("c-1");
    expect((await dr.send(new AdminListGroupsForUserCommand({ UserPoolId: pool.Id, Username: user.Username }))).Groups?.map((g) => g.GroupName)).toEqual(["admins"]);
    const described = (await dr.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool!;
    expect(described).toMatchObject({ Id: pool.Id, UserPoolTier: "ESSENTIALS", UserPoolTags: { role: "dr" } });
    expect(described.KeyConfiguration?.KmsKeyArn).toContain(`:${SECONDARY}:`);
    const auth = () => dr.send(new AdminInitiateAuthCommand({ UserPoolId: pool.Id, ClientId: "any", AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "ann@example.com", PASSWORD: "x" } }));
    await expect(auth()).rejects.toMatchObject({ name: "OperationNotEnabledException" });
    await expect(dr.send(new AdminCreateUserCommand({ UserPoolId: pool.Id, Username: "bob@example.com", MessageAction: "SUPPRESS" }))).rejects.toMatchObject({ name: "OperationNotEnabledException" });

    // ACTIVE (set from the secondary's Region): sign-in is served; user changes still are not.
    expect((await dr.send(new UpdateUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY, Status: "ACTIVE" }))).UserPoolReplica?.Status).toBe("ACTIVE");
    // Served now: moto itself answers (the client id "any" does not exist).
    await expect(auth()).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(dr.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool.Id, Username: user.Username, UserAttributes: [{ Name: "custom:canonical_id", Value: "x" }] }))).rejects.toMatchObject({ name: "OperationNotEnabledException" });

    // Per-Region settings change in the secondary; a global one must equal the primary's.
    await dr.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id, UserPoolTags: { role: "dr", owner: "ops" } }));
    expect((await dr.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool?.UserPoolTags).toEqual({ role: "dr", owner: "ops" });
    await expect(dr.send(new UpdateUserPoolCommand({ UserPoolId: pool.Id, MfaConfiguration: "ON" }))).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("MfaConfiguration is a global setting") });

    // A change reaches the secondary after the lag (60 s here), not before; flushed, it is there.
    await primary.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool.Id, Username: user.Username, UserAttributes: [{ Name: "custom:canonical_id", Value: "c-2" }] }));
    await primary.send(new AdminDisableUserCommand({ UserPoolId: pool.Id, Username: user.Username }));
    const second = await dr.send(new AdminGetUserCommand({ UserPoolId: pool.Id, Username: user.Username }));
    expect([second.Enabled, second.UserAttributes?.find((a) => a.Name === "custom:canonical_id")?.Value]).toEqual([true, "c-1"]);
    await sb.admin.flushCognitoReplicas();
    const third = await dr.send(new AdminGetUserCommand({ UserPoolId: pool.Id, Username: user.Username }));
    expect([third.Enabled, third.UserAttributes?.find((a) => a.Name === "custom:canonical_id")?.Value]).toEqual([false, "c-2"]);
    await primary.send(new AdminDeleteUserCommand({ UserPoolId: pool.Id, Username: user.Username }));
    const [summary] = (await sb.admin.flushCognitoReplicas()).filter((r) => r.poolId === pool.Id);
    expect(summary.lastSync).toMatchObject({ deleted: 1 });
    expect((await dr.send(new ListUsersCommand({ UserPoolId: pool.Id }))).Users).toEqual([]);

    // Delete: INACTIVE only, from the primary's Region only.
    await expect(primary.send(new DeleteUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY }))).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("INACTIVE") });
    await dr.send(new UpdateUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY, Status: "INACTIVE" }));
    await expect(dr.send(new DeleteUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY }))).rejects.toMatchObject({ name: "OperationNotEnabledException" });
    expect((await primary.send(new DeleteUserPoolReplicaCommand({ UserPoolId: pool.Id, RegionName: SECONDARY }))).UserPoolReplica?.Status).toBe("DELETING");
    await new Promise((r) => setTimeout(r, TRANSITION_MS + 100));
    expect((await primary.send(new ListUserPoolReplicasCommand({ UserPoolId: pool.Id }))).UserPoolReplicas?.map((r) => r.Role)).toEqual(["PRIMARY"]);
    await expect(dr.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("signs existing users in at an ACTIVE secondary through the primary's app client id, with the same user ids, and refuses sign-ups there", async () => {
    const pool = await poolWithKey(await multiRegionKey(), "sign-in");
    const poolId = pool.Id!;
    const client = (await idp[PRIMARY].send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: "app", ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }))).UserPoolClient!;
    const user = (await idp[PRIMARY].send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: "cat@example.com", MessageAction: "SUPPRESS", TemporaryPassword: "Temp-Passw0rd!", UserAttributes: [{ Name: "email", Value: "cat@example.com" }] }))).User!;
    await idp[PRIMARY].send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: user.Username, Password: "Real-Passw0rd!", Permanent: true }));
    await idp[PRIMARY].send(new CreateUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: SECONDARY }));
    await waitFor(async () => (await replicaStatus(poolId)) === "INACTIVE", "INACTIVE");
    await sb.admin.flushCognitoReplicas();
    // An unsigned call carries no Region: the DR client is pointed at the DR Region's endpoint.
    const dr = new CognitoIdentityProviderClient({ region: SECONDARY, endpoint: regionalEndpoint(sb.endpoint, SECONDARY), credentials });
    const signIn = () => dr.send(new InitiateAuthCommand({ ClientId: client.ClientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "cat@example.com", PASSWORD: "Real-Passw0rd!" } }));
    await expect(signIn()).rejects.toMatchObject({ name: "OperationNotEnabledException" });
    await dr.send(new UpdateUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: SECONDARY, Status: "ACTIVE" }));
    // Past the sandbox's 2 s pool cache: nothing read a moment before may stand in for the secondary.
    await new Promise((r) => setTimeout(r, 2100));
    const tokens = (await signIn()).AuthenticationResult!;
    const claims = (t: string) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString()) as Record<string, unknown>;
    // Tokens name the primary's app client, which the secondary shares.
    expect([claims(tokens.IdToken!).aud, claims(tokens.AccessToken!).client_id]).toEqual([client.ClientId, client.ClientId]);
    const me = await dr.send(new GetUserCommand({ AccessToken: tokens.AccessToken }));
    expect(me.Username).toBe(user.Username);
    expect(me.UserAttributes?.find((a) => a.Name === "sub")?.Value).toBe(user.Attributes?.find((a) => a.Name === "sub")?.Value);
    await expect(dr.send(new SignUpCommand({ ClientId: client.ClientId, Username: "dan@example.com", Password: "Real-Passw0rd!", UserAttributes: [{ Name: "email", Value: "dan@example.com" }] }))).rejects.toMatchObject({ name: "OperationNotEnabledException" });
    // A sign-up in the primary not yet confirmed stays unconfirmed in the copy, however often it syncs.
    const primary = new CognitoIdentityProviderClient({ region: PRIMARY, endpoint: regionalEndpoint(sb.endpoint, PRIMARY), credentials });
    await primary.send(new SignUpCommand({ ClientId: client.ClientId, Username: "eve@example.com", Password: "Real-Passw0rd!", UserAttributes: [{ Name: "email", Value: "eve@example.com" }] }));
    await sb.admin.flushCognitoReplicas();
    await idp[PRIMARY].send(new AdminUpdateUserAttributesCommand({ UserPoolId: poolId, Username: "eve@example.com", UserAttributes: [{ Name: "custom:canonical_id", Value: "e" }] }));
    await sb.admin.flushCognitoReplicas();
    expect((await dr.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: "eve@example.com" }))).UserStatus).not.toBe("CONFIRMED");
    // The primary still signs in as before. Tokens name the shared pool id; with the original
    // issuer each Region its own, with the updated issuer both the primary's.
    const signInAt = async (c: CognitoIdentityProviderClient) => {
      const result = (await c.send(new InitiateAuthCommand({ ClientId: client.ClientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "cat@example.com", PASSWORD: "Real-Passw0rd!" } }))).AuthenticationResult!;
      const iss = (t: string) => (JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString()) as { iss: string }).iss;
      await c.send(new GetUserCommand({ AccessToken: result.AccessToken }));
      return [iss(result.AccessToken!), iss(result.IdToken!)];
    };
    expect(await signInAt(primary)).toEqual(Array(2).fill(`https://cognito-idp.${PRIMARY}.amazonaws.com/${poolId}`));
    expect(await signInAt(dr)).toEqual(Array(2).fill(`https://cognito-idp.${SECONDARY}.amazonaws.com/${poolId}`));
    await idp[PRIMARY].send(new UpdateUserPoolCommand({ UserPoolId: poolId, UserPoolTier: "ESSENTIALS", KeyConfiguration: pool.KeyConfiguration, IssuerConfiguration: { Type: "UPDATED" } }));
    const updated = Array(2).fill(`https://issuer-cognito-idp.${PRIMARY}.amazonaws.com/${poolId}`);
    expect(await signInAt(primary)).toEqual(updated);
    expect(await signInAt(dr)).toEqual(updated);
  });
});
