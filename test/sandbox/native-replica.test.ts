// The native replication deploy step (scripts/lib/native-replica) against the sandbox's emulation of
// Cognito's replicas: it sets up a replica from a pool as terraform creates it, takes no step when
// run again, repairs the pool key a later pool update reset, finishes a run that failed half way,
// and removes the replica (inactive before deleted).
import { CognitoIdentityProviderClient, CreateUserPoolCommand, DescribeUserPoolCommand, ListUserPoolReplicasCommand, UpdateUserPoolCommand, UpdateUserPoolReplicaCommand } from "@aws-sdk/client-cognito-identity-provider";
import { CreateKeyCommand, KMSClient, ReplicateKeyCommand } from "@aws-sdk/client-kms";
import { SANDBOX_ACCOUNT_ID, type Sandbox } from "@cognito-dr/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureReplication, observeReplication, removeReplication, ReplicaStepError, type ReplicationClients } from "../../scripts/lib/native-replica/apply";
import type { WantedReplication } from "../../scripts/lib/native-replica/plan";
import { nativeReplicaDrift } from "../../scripts/lib/native-replica/drift";
import { comparePools } from "../../scripts/operator/drift-core";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { poolKeyPolicy } from "../../modules/pool-key-policy";
import { motoMissing } from "./support";

const skip = motoMissing();
const [EAST, WEST] = ["us-east-1", "us-west-2"];
const creds = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };

const keyPolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Sid: "admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:root` }, Action: "kms:*", Resource: "*" },
    {
      Sid: "cognito",
      Effect: "Allow",
      Principal: { Service: "cognito-idp.amazonaws.com" },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": SANDBOX_ACCOUNT_ID } },
    },
  ],
});

describe.skipIf(skip)("native replication deploy step (sandbox)", { timeout: 120_000 }, () => {
  let sb: Sandbox;
  let c: ReplicationClients;
  let keyArn: string;
  let kms: KMSClient;
  const idp = (region: string) => new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region, credentials: creds, maxAttempts: 2 });

  beforeAll(async () => {
    sb = await startLocalAws({ lambda: false });
    c = { primary: idp(EAST), secondary: idp(WEST) };
    kms = new KMSClient({ endpoint: sb.endpoint, region: EAST, credentials: creds });
    const key = (await kms.send(new CreateKeyCommand({ MultiRegion: true, Policy: keyPolicy }))).KeyMetadata!;
    await kms.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: WEST, Policy: keyPolicy }));
    keyArn = key.Arn!;
  });
  afterAll(async () => {
    await sb?.stop();
  });

  /** A pool as terraform's aws_cognito_user_pool creates it: no KeyConfiguration, no IssuerConfiguration. */
  const terraformPool = async (name: string) =>
    (await c.primary.send(new CreateUserPoolCommand({ PoolName: name, UserPoolTier: "ESSENTIALS", UsernameAttributes: ["email"], Policies: { SignInPolicy: { AllowedFirstAuthFactors: ["PASSWORD", "EMAIL_OTP"] } } }))).UserPool!.Id!;
  const wanted = (): WantedReplication => ({
    region: WEST,
    keyArn,
    issuer: "UPDATED",
    regional: {
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: `arn:aws:lambda:${WEST}:${SANDBOX_ACCOUNT_ID}:function:cdr-test-pre-token`, LambdaVersion: "V2_0" } },
      UserPoolTags: { env: "test", region: "dr" },
    },
  });
  const run = (poolId: string) => ({ poolId, region: WEST, pollMs: 100, waitTimeoutMs: 20_000 });

  it("sets up an ACTIVE replica with the key, the issuer and the DR settings, then takes no step when run again", async () => {
    const poolId = await terraformPool("cdr-test-native-a");
    const steps = await ensureReplication(c, run(poolId), wanted());
    expect(steps.map((s) => s.kind)).toEqual(["configure-primary", "create-replica", "wait", "set-regional-settings", "activate"]);
    const seen = await observeReplication(c, poolId, WEST);
    expect(seen).toMatchObject({ primary: { keyType: "CUSTOMER_MANAGED_KEY", keyArn, issuer: "UPDATED" }, replica: { region: WEST, status: "ACTIVE" }, regional: wanted().regional });
    // The primary keeps everything else it had (UpdateUserPool resets what it is not given).
    const primary = (await c.primary.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    expect(primary.Policies?.SignInPolicy?.AllowedFirstAuthFactors).toEqual(["PASSWORD", "EMAIL_OTP"]);
    expect(await ensureReplication(c, run(poolId), wanted())).toEqual([]);
  });

  it("in two runs, as the deploy does: up to an INACTIVE replica before the DR stack is applied, then to ACTIVE from the DR Region alone", async () => {
    const poolId = await terraformPool("cdr-test-native-g");
    // The DR role's run sees the secondary only (its key is the replica's ARN) and refuses what only the primary's Region serves.
    const fromDr = { ...run(poolId), from: "secondary" as const };
    const drWanted = { ...wanted(), keyArn: keyArn.replace(`:${EAST}:`, `:${WEST}:`) };
    await expect(ensureReplication(c, fromDr, drWanted)).rejects.toThrow(/no secondary in us-west-2 yet \(still CREATING, or no replica\): run the primary stack's step first \(npm run native-replica -- --stack primary\)$/);
    expect((await ensureReplication(c, run(poolId), wanted(), "inactive")).map((s) => s.kind)).toEqual(["configure-primary", "create-replica", "wait"]);
    expect((await observeReplication(c, poolId, WEST)).replica?.status).toBe("INACTIVE");
    expect(await ensureReplication(c, run(poolId), wanted(), "inactive")).toEqual([]);
    // A key the DR run did not expect (another key's replica) is the primary's to change: it says so.
    await expect(ensureReplication(c, fromDr, { ...drWanted, keyArn: `${drWanted.keyArn}-other` })).rejects.toThrow(/the next step, configure-primary \(.*\), is made in the primary's Region only/);
    expect((await ensureReplication(c, fromDr, drWanted)).map((s) => s.kind)).toEqual(["set-regional-settings", "activate"]);
    expect(await ensureReplication(c, fromDr, drWanted)).toEqual([]);
    expect(await ensureReplication(c, run(poolId), wanted())).toEqual([]);
  });

  it("repairs the key and issuer a later terraform update of the pool reset, and only that", async () => {
    const poolId = await terraformPool("cdr-test-native-b");
    await ensureReplication(c, run(poolId), wanted());
    // What terraform's update sends: the pool's settings without KeyConfiguration/IssuerConfiguration.
    await c.primary.send(new UpdateUserPoolCommand({ UserPoolId: poolId, UserPoolTier: "ESSENTIALS", Policies: { SignInPolicy: { AllowedFirstAuthFactors: ["PASSWORD", "EMAIL_OTP"] } } }));
    expect((await observeReplication(c, poolId, WEST)).primary.keyType).toBeUndefined();
    expect((await ensureReplication(c, run(poolId), wanted())).map((s) => s.kind)).toEqual(["configure-primary"]);
    expect((await observeReplication(c, poolId, WEST)).primary).toMatchObject({ keyType: "CUSTOMER_MANAGED_KEY", keyArn, issuer: "UPDATED" });
  });

  it("names the step that failed half way and the state it left, and the next run finishes from there", async () => {
    const poolId = await terraformPool("cdr-test-native-c");
    const fault = await sb.admin.injectFault({ service: "cognito-idp", region: WEST, operations: ["UpdateUserPool"], errorRate: 1 });
    const failed = await ensureReplication(c, run(poolId), wanted()).catch((e: unknown) => e);
    await sb.admin.clearFaults(fault.id);
    expect(failed).toBeInstanceOf(ReplicaStepError);
    expect((failed as Error).message).toMatch(/step set-regional-settings \(LambdaConfig\) failed: InternalErrorException.*; the replica in us-west-2 was INACTIVE before it\. Run the step again/);
    expect((await ensureReplication(c, run(poolId), wanted())).map((s) => s.kind)).toEqual(["set-regional-settings", "activate"]);
    expect((await observeReplication(c, poolId, WEST)).replica?.status).toBe("ACTIVE");
  });

  it("removes the replica: inactive, deleted, gone; then takes no step", async () => {
    const poolId = await terraformPool("cdr-test-native-d");
    await ensureReplication(c, run(poolId), wanted());
    expect((await removeReplication(c, run(poolId))).map((s) => s.kind)).toEqual(["deactivate", "delete-replica", "wait"]);
    expect((await c.primary.send(new ListUserPoolReplicasCommand({ UserPoolId: poolId }))).UserPoolReplicas?.map((r) => r.Role)).toEqual(["PRIMARY"]);
    expect(await removeReplication(c, run(poolId))).toEqual([]);
  });

  it("drift in native mode: none once settled; then an inactive replica, and a key and issuer a pool update reset, each named", async () => {
    const poolId = await terraformPool("cdr-test-native-e");
    const drift = () => nativeReplicaDrift({ cognito: c.primary, kms, poolId, region: WEST, issuer: "UPDATED" });
    expect(await drift()).toEqual([
      { check: "replica", want: `SECONDARY in ${WEST}, ACTIVE`, have: "none" },
      { check: "key", want: "a customer managed multi-Region KMS key", have: "an AWS owned key" },
      { check: "issuer", want: "UPDATED", have: "ORIGINAL" },
    ]);
    await ensureReplication(c, run(poolId), { ...wanted(), regional: { UserPoolTags: { env: "test" } } });
    expect(await drift()).toEqual([]);
    // The secondary under the shared id has the primary's settings and clients (drift-core, both modes).
    await sb.admin.flushCognitoReplicas();
    const lambda = (region: string) => new LambdaClient({ endpoint: sb.endpoint, region, credentials: creds });
    const pools = await comparePools({ primary: { cognito: c.primary, lambda: lambda(EAST), poolId, region: EAST }, dr: { cognito: c.secondary, lambda: lambda(WEST), poolId, region: WEST }, primaryOnlyTriggers: [], drOnlyTriggers: [] });
    expect(pools.differences).toEqual([]);
    await c.primary.send(new UpdateUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: WEST, Status: "INACTIVE" }));
    await c.primary.send(new UpdateUserPoolCommand({ UserPoolId: poolId, UserPoolTier: "ESSENTIALS" }));
    expect(await drift()).toEqual([
      { check: "replica", want: `SECONDARY in ${WEST}, ACTIVE`, have: `SECONDARY in ${WEST}, INACTIVE` },
      { check: "key", want: "a customer managed multi-Region KMS key", have: "an AWS owned key" },
      { check: "issuer", want: "UPDATED", have: "ORIGINAL" },
    ]);
  });

  it("authorizes calls to the secondary by its own tags (a per-Region setting), not the primary's", async () => {
    const poolId = await terraformPool("cdr-test-native-f");
    await ensureReplication(c, run(poolId), { ...wanted(), regional: { UserPoolTags: { env: "test", region: "dr" } } });
    const iam = new IAMClient({ endpoint: sb.endpoint, region: EAST, credentials: creds });
    const RoleName = "cdr-test-dr-tagged-reader";
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:root` }, Action: "sts:AssumeRole" }] }) }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: "dr-tagged",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cognito-idp:DescribeUserPool", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/region": "dr" } } }] }),
      }),
    );
    const session = sb.assumeRole(`arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${RoleName}`, "reader");
    const as = (region: string) => new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region, credentials: session, maxAttempts: 1 });
    expect((await as(WEST).send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool?.Id).toBe(poolId);
    await expect(as(EAST).send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).rejects.toMatchObject({ name: "AccessDeniedException" });
  });

  it("with the key policy the native stacks give each Region's key (modules/pool-key-policy.ts): Cognito may use it for that pool and no other", async () => {
    const arnOf = async (name: string) => (await c.primary.send(new CreateUserPoolCommand({ PoolName: name, UserPoolTier: "ESSENTIALS" }))).UserPool!;
    const [own, other] = [await arnOf("cdr-test-native-h"), await arnOf("cdr-test-native-i")];
    const policyFor = (poolArn: string, region: string) =>
      poolKeyPolicy({ accountRootArn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:root`, accountId: SANDBOX_ACCOUNT_ID, poolArn: poolArn.replace(`:${EAST}:`, `:${region}:`), region });
    const key = (await kms.send(new CreateKeyCommand({ MultiRegion: true, Policy: policyFor(own.Arn!, EAST) }))).KeyMetadata!;
    await kms.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: WEST, Policy: policyFor(own.Arn!, WEST) }));
    expect((await ensureReplication(c, run(own.Id!), { ...wanted(), keyArn: key.Arn! })).map((s) => s.kind)).toEqual(["configure-primary", "create-replica", "wait", "set-regional-settings", "activate"]);
    const refused = await ensureReplication(c, run(other.Id!), { ...wanted(), keyArn: key.Arn! }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReplicaStepError);
    expect((refused as Error).message).toContain(`failed: InvalidParameterException: the key policy of ${key.Arn} does not let cognito-idp.amazonaws.com kms:GenerateDataKeyWithoutPlaintext for ${other.Arn}`);
  });
});
