// The pipeline's roles as `npm run pipeline-policies` prints them, created in the sandbox the way an
// administrator creates them and assumed the way a workflow job assumes them (GitHub OIDC token →
// STS AssumeRoleWithWebIdentity): each role does what its step needs and nothing else, and a grant
// taken away makes the call that needs it fail with AWS's error, naming the action. The whole
// stacks are planned, applied, failed over and failed back as these roles in test/e2e.

import { CognitoIdentityProviderClient, CreateUserPoolCommand, DescribeUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient, ReplicateKeyCommand } from "@aws-sdk/client-kms";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Sandbox, SessionCredentials } from "@cognito-dr/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { setupLocalAccount } from "../../scripts/lib/local-account";
import { boundaryArn, type PipelinePolicies } from "../../scripts/lib/pipeline-policies";
import { pipelineSession, type PipelineStep } from "../../scripts/lib/pipeline-session";
import { environment, type Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import { motoMissing } from "./support";

const skip = motoMissing();
const ACCOUNT = "123456789012";
const admin = { credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const rootKeyPolicy = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" });

/** The printed documents with `action` removed from `role`'s statement `sid`. */
const without = (role: string, sid: string, action: string) => (d: PipelinePolicies): PipelinePolicies => ({
  ...d,
  roles: d.roles.map((r) =>
    !r.name.endsWith(`-${role}`)
      ? r
      : {
          ...r,
          permissions: {
            ...r.permissions,
            // A statement left without actions goes (IAM refuses one: "Policy statement must contain actions").
            Statement: r.permissions.Statement.map((s) => (s.Sid === sid ? { ...s, Action: s.Action.filter((a) => a !== action) } : s)).filter((s) => s.Action.length > 0),
          },
        },
  ),
});

describe.skipIf(!!skip)("the pipeline's roles in the sandbox", { timeout: 120_000 }, () => {
  let sb: Sandbox;
  let env: Environment;
  const as = async (step: PipelineStep, region: string) => ({ region, endpoint: sb.endpoint, credentials: (await pipelineSession(env, step, region)) as SessionCredentials, maxAttempts: 1 });

  beforeAll(async () => {
    sb = await startLocalAws({ port: 0, lambda: false, authorization: true });
    env = environment("local", { SANDBOX_ENDPOINT: sb.endpoint, LOCAL_STATE: "s3" });
    await setupLocalAccount(sb.endpoint, env);
    // A workload role as the primary stack creates it: carrying the environment's boundary.
    await new IAMClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint }).send(
      new CreateRoleCommand({
        RoleName: names(env).role("post-confirmation"),
        PermissionsBoundary: boundaryArn({ env, account: ACCOUNT }),
        AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }),
      }),
    );
  });
  afterAll(async () => {
    await sb?.stop();
  });

  const createFunction = async (name: string) =>
    new LambdaClient(await as("primary", env.primaryRegion)).send(
      new CreateFunctionCommand({
        FunctionName: names(env).fn(name),
        Role: `arn:aws:iam::${ACCOUNT}:role/${names(env).role("post-confirmation")}`,
        Runtime: "nodejs22.x",
        Handler: "index.handler",
        Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]) },
        Tags: { app: "cognito-dr-replication", env: "local" },
      }),
    );
  const replicateKey = async () => {
    const kms = new KMSClient(await as("primary", env.primaryRegion));
    const key = await kms.send(new CreateKeyCommand({ MultiRegion: true, Policy: rootKeyPolicy, Tags: [{ TagKey: "env", TagValue: "local" }] }));
    return kms.send(new ReplicateKeyCommand({ KeyId: key.KeyMetadata!.KeyId, ReplicaRegion: env.drRegion, Policy: rootKeyPolicy, Tags: [{ TagKey: "env", TagValue: "local" }] }));
  };

  it("the primary deploy role, as printed, creates a function (passing its role) and a multi-Region key with its replica", async () => {
    await expect(createFunction("one")).resolves.toMatchObject({ FunctionName: names(env).fn("one") });
    await expect(replicateKey()).resolves.toMatchObject({ ReplicaKeyMetadata: { MultiRegionConfiguration: { MultiRegionKeyType: "REPLICA" } } });
  });

  it("without iam:PassRole, creating a function fails as AWS fails it, naming iam:PassRole", async () => {
    await setupLocalAccount(sb.endpoint, env, without("primary", "PassOwnRolesToLambdaAndScheduler", "iam:PassRole"));
    try {
      const err = await createFunction("two").catch((e: Error & { $metadata: { httpStatusCode?: number } }) => e);
      expect(err).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
      expect((err as Error).message).toMatch(/^User: arn:aws:sts::123456789012:assumed-role\/cdr-local-pipeline-primary\/github-local is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role\/cdr-local-post-confirmation-role/);
    } finally {
      await setupLocalAccount(sb.endpoint, env);
    }
  });

  it("without kms:ReplicateKey, replicating the table key fails as AWS fails it, naming kms:ReplicateKey", async () => {
    await setupLocalAccount(sb.endpoint, env, without("primary", "ManageTaggedKeys", "kms:ReplicateKey"));
    try {
      const err = await replicateKey().catch((e: Error) => e);
      expect(err).toMatchObject({ name: "AccessDeniedException" });
      expect((err as Error).message).toMatch(/is not authorized to perform: kms:ReplicateKey on resource: arn:aws:kms:us-east-1:123456789012:key\//);
    } finally {
      await setupLocalAccount(sb.endpoint, env);
    }
  });

  it("the DR deploy role manages the DR region and cannot touch the primary region", async () => {
    const create = async (region: string) => new CognitoIdentityProviderClient(await as("dr", region)).send(new CreateUserPoolCommand({ PoolName: names(env).userPool("dr"), UserPoolTags: { env: "local" } }));
    await expect(create(env.drRegion)).resolves.toBeDefined();
    await expect(create(env.primaryRegion)).rejects.toThrow(/cdr-local-pipeline-dr\/github-local-dr is not authorized to perform: cognito-idp:CreateUserPool/);
  });

  it("the plan role reads and writes nothing: no pool created, no state written", async () => {
    const cognito = new CognitoIdentityProviderClient(await as("plan", env.primaryRegion));
    await expect(cognito.send(new CreateUserPoolCommand({ PoolName: "x", UserPoolTags: { env: "local" } }))).rejects.toThrow(/not authorized to perform: cognito-idp:CreateUserPool/);
    const s3 = new S3Client({ ...(await as("plan", env.primaryRegion)), forcePathStyle: true });
    const key = `cognito-dr/local/${names(env).stack("primary")}.tfstate`;
    await expect(s3.send(new PutObjectCommand({ Bucket: `cdr-local-state-${env.primaryRegion}`, Key: key, Body: "{}" }))).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("the failback role reads the pools and changes none", async () => {
    const pool = await new CognitoIdentityProviderClient({ ...admin, region: env.primaryRegion, endpoint: sb.endpoint }).send(new CreateUserPoolCommand({ PoolName: names(env).userPool("primary"), UserPoolTags: { env: "local" } }));
    const cognito = new CognitoIdentityProviderClient(await as("failback", env.primaryRegion));
    await expect(cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.UserPool!.Id }))).resolves.toBeDefined();
    await expect(cognito.send(new CreateUserPoolCommand({ PoolName: "x" }))).rejects.toThrow(/not authorized to perform: cognito-idp:CreateUserPool/);
  });
});
