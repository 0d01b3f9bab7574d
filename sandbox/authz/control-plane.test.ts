// Control-plane calls made as a role session, decided as AWS decides them: STS's web identity
// exchange against the role's trust policy, IAM's policy grammar, and what a call implies beyond its
// own action (iam:PassRole, tags on create, the KMS lockout check, a multi-Region key's service-
// linked role and its replica region, a global table replica's region), each answered with AWS's
// error naming the action.

import { CreateFunctionCommand, GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateRoleCommand, CreateOpenIDConnectProviderCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient, ReplicateKeyCommand } from "@aws-sdk/client-kms";
import { CreateTableCommand, DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../index";
import { awsJson } from "../aws";
import { motoMissing, UNMETERED } from "../test-support";
import { regionalEndpoint } from "../gateway";
import { GITHUB_ISSUER } from "./oidc";

const skip = motoMissing();
const ACCOUNT = "123456789012";
const ROLE = "deployer";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const SUB = "repo:acme/app:environment:prod";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = (sub = SUB) =>
  doc({
    Effect: "Allow",
    Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": sub } },
  });

/** STS AssumeRoleWithWebIdentity through the gateway's regional endpoint, as the SDK sends it (unsigned, query protocol). */
async function assume(sb: Sandbox, token: string, region = "us-west-2"): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: ROLE_ARN, RoleSessionName: "job", WebIdentityToken: token });
  const res = await fetch(`${regionalEndpoint(sb.endpoint, region)}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  return { status: res.status, body: await res.text() };
}

const tag = (body: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];

describe.skipIf(!!skip)("control-plane calls of a role session", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let iam: IAMClient;
  const admin = { credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
  let asRole: (region: string) => { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }; maxAttempts: number };
  const allow = (...statements: object[]) => iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "pipeline", PolicyDocument: doc(...statements) }));

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    iam = new IAMClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint });
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: GITHUB_ISSUER, ClientIDList: ["sts.amazonaws.com"], ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"] }));
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: trust() }));
    await iam.send(new CreateRoleCommand({ RoleName: "fn-role", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    const r = await assume(sb, await sb.admin.githubToken(SUB));
    expect(r.status, r.body).toBe(200);
    const credentials = { accessKeyId: tag(r.body, "AccessKeyId")!, secretAccessKey: tag(r.body, "SecretAccessKey")!, sessionToken: tag(r.body, "SessionToken")! };
    asRole = (region) => ({ region, endpoint: sb.endpoint, credentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  describe("STS AssumeRoleWithWebIdentity", () => {
    it("answers the job whose subject the trust policy names, with the session's identity", async () => {
      const r = await assume(sb, await sb.admin.githubToken(SUB));
      expect(tag(r.body, "Arn")).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/job`);
      expect(tag(r.body, "SubjectFromWebIdentityToken")).toBe(SUB);
    });

    it("refuses another environment's job as AWS does, without naming the role", async () => {
      const r = await assume(sb, await sb.admin.githubToken("repo:acme/app:environment:prod-plan"));
      expect(r.status).toBe(403);
      expect(tag(r.body, "Code")).toBe("AccessDenied");
      expect(tag(r.body, "Message")).toBe("Not authorized to perform sts:AssumeRoleWithWebIdentity");
    });

    it("refuses a token it did not mint, and a token for another audience", async () => {
      const minted = await sb.admin.githubToken(SUB);
      const forged = `${minted.split(".").slice(0, 2).join(".")}.${"A".repeat(43)}`;
      expect(tag((await assume(sb, forged)).body, "Code")).toBe("InvalidIdentityToken");
      const other = await assume(sb, await sb.admin.githubToken(SUB, { aud: "api://example" }));
      expect([tag(other.body, "Code"), tag(other.body, "Message")]).toEqual(["InvalidIdentityToken", "Incorrect token audience"]);
    });

    it("is served by the regional endpoint: a us-east-1 outage leaves us-west-2's STS up", async () => {
      await sb.admin.regionOutage("us-east-1");
      try {
        expect((await assume(sb, await sb.admin.githubToken(SUB), "us-west-2")).status).toBe(200);
        expect((await assume(sb, await sb.admin.githubToken(SUB), "us-east-1")).status).toBe(503);
      } finally {
        await sb.admin.clearFaults();
      }
    });
  });

  it("IAM refuses a trust policy with a Resource, as IAM does", async () => {
    const bad = JSON.parse(trust()) as { Statement: Array<Record<string, unknown>> };
    bad.Statement[0]!.Resource = [];
    await expect(iam.send(new CreateRoleCommand({ RoleName: "bad-trust", AssumeRolePolicyDocument: JSON.stringify(bad) }))).rejects.toMatchObject({
      name: "MalformedPolicyDocumentException",
      message: "Has prohibited field Resource",
    });
  });

  it("CreateFunction passes the execution role: without iam:PassRole it is refused naming iam:PassRole", async () => {
    const lambda = new LambdaClient(asRole("us-east-1"));
    const create = () => lambda.send(new CreateFunctionCommand({ FunctionName: "fn", Role: `arn:aws:iam::${ACCOUNT}:role/fn-role`, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]) } }));
    await allow({ Effect: "Allow", Action: "lambda:CreateFunction", Resource: "*" });
    const err = await create().catch((e: Error & { $metadata?: { httpStatusCode?: number } }) => e);
    expect(err).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
    expect((err as Error).message).toContain(`is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/fn-role`);
    // Passed to another service only: still refused.
    await allow({ Effect: "Allow", Action: "lambda:CreateFunction", Resource: "*" }, { Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } } });
    await expect(create()).rejects.toThrow(/iam:PassRole/);
    await allow({ Effect: "Allow", Action: "lambda:CreateFunction", Resource: "*" }, { Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } } });
    await expect(create()).resolves.toMatchObject({ FunctionName: "fn" });
  });

  it("GetFunction answers a tagged function's tags only to a caller allowed lambda:ListTags, as a TagsError otherwise", async () => {
    const adminLambda = new LambdaClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint });
    const zip = new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]);
    await adminLambda.send(new CreateFunctionCommand({ FunctionName: "tagged", Role: `arn:aws:iam::${ACCOUNT}:role/fn-role`, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: zip }, Tags: { env: "prod" } }));
    const lambda = new LambdaClient(asRole("us-east-1"));
    await allow({ Effect: "Allow", Action: "lambda:GetFunction", Resource: "*" });
    const without = await lambda.send(new GetFunctionCommand({ FunctionName: "tagged" }));
    expect(without.Tags).toBeUndefined();
    expect(without.TagsError).toMatchObject({ ErrorCode: "AccessDeniedException", Message: expect.stringContaining("lambda:ListTags") });
    await allow({ Effect: "Allow", Action: ["lambda:GetFunction", "lambda:ListTags"], Resource: "*" });
    const withTags = await lambda.send(new GetFunctionCommand({ FunctionName: "tagged" }));
    expect([withTags.Tags, withTags.TagsError]).toEqual([{ env: "prod" }, undefined]);
  });

  describe("KMS", () => {
    const keyPolicy = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" });
    const tags = [{ TagKey: "env", TagValue: "prod" }];

    it("a tagged multi-Region key needs kms:TagResource and the service-linked role, each named when missing", async () => {
      const kms = new KMSClient(asRole("us-east-1"));
      const create = () => kms.send(new CreateKeyCommand({ MultiRegion: true, Policy: keyPolicy, Tags: tags }));
      await allow({ Effect: "Allow", Action: ["kms:CreateKey", "kms:PutKeyPolicy"], Resource: "*" });
      await expect(create()).rejects.toThrow(/not authorized to perform: kms:TagResource/);
      await allow({ Effect: "Allow", Action: ["kms:CreateKey", "kms:PutKeyPolicy", "kms:TagResource"], Resource: "*" });
      await expect(create()).rejects.toThrow(/not authorized to perform: iam:CreateServiceLinkedRole on resource: .*mrk\.kms\.amazonaws\.com/);
    });

    it("the lockout check: a key policy that would not let the caller change it is refused", async () => {
      const kms = new KMSClient(asRole("us-east-1"));
      await allow({ Effect: "Allow", Action: ["kms:CreateKey"], Resource: "*" });
      const onlyOthers = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/someone-else` }, Action: "kms:*", Resource: "*" });
      await expect(kms.send(new CreateKeyCommand({ Policy: onlyOthers }))).rejects.toMatchObject({
        name: "MalformedPolicyDocumentException",
        message: "The new key policy will not allow you to update the key policy in the future.",
      });
      await expect(kms.send(new CreateKeyCommand({ Policy: onlyOthers, BypassPolicyLockoutSafetyCheck: true }))).resolves.toBeDefined();
    });

    it("ReplicateKey needs kms:ReplicateKey on the primary and kms:CreateKey in the replica's region", async () => {
      const key = await new KMSClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint }).send(new CreateKeyCommand({ MultiRegion: true, Policy: keyPolicy }));
      const kms = new KMSClient(asRole("us-east-1"));
      const replicate = () => kms.send(new ReplicateKeyCommand({ KeyId: key.KeyMetadata!.KeyId, ReplicaRegion: "us-west-2", Policy: keyPolicy }));
      await allow({ Effect: "Allow", Action: ["kms:CreateKey", "kms:PutKeyPolicy"], Resource: "*" });
      await expect(replicate()).rejects.toThrow(/not authorized to perform: kms:ReplicateKey on resource: arn:aws:kms:us-east-1/);
      await allow({ Effect: "Allow", Action: ["kms:ReplicateKey", "kms:PutKeyPolicy"], Resource: "*" }, { Effect: "Allow", Action: "kms:CreateKey", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } } });
      await expect(replicate()).rejects.toThrow(/not authorized to perform: kms:CreateKey/);
    });

    it("DescribeKey is decided with the key's aliases as kms:ResourceAliases, however the key is named", async () => {
      const adminKms = new KMSClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint });
      const key = (await adminKms.send(new CreateKeyCommand({ Policy: keyPolicy }))).KeyMetadata!;
      await adminKms.send(new CreateAliasCommand({ AliasName: "alias/team-pool", TargetKeyId: key.KeyId }));
      const describe = () => new KMSClient(asRole("us-east-1")).send(new DescribeKeyCommand({ KeyId: key.Arn }));
      await allow({ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*", Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/other" } } });
      await expect(describe()).rejects.toThrow(/not authorized to perform: kms:DescribeKey/);
      await allow({ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*", Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/team-pool" } } });
      await expect(describe()).resolves.toBeDefined();
    });
  });

  it("a global table replica needs CreateTableReplica in the replica's region and, the first time, DynamoDB's service-linked role", async () => {
    const ddbAdmin = new DynamoDBClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint });
    await ddbAdmin.send(
      new CreateTableCommand({ TableName: "users", BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } }),
    );
    const ddb = new DynamoDBClient(asRole("us-east-1"));
    const addReplica = () => ddb.send(new UpdateTableCommand({ TableName: "users", ReplicaUpdates: [{ Create: { RegionName: "us-west-2" } }] }));
    const tables = (region: string) => `arn:aws:dynamodb:${region}:${ACCOUNT}:table/users`;
    await allow({ Effect: "Allow", Action: ["dynamodb:UpdateTable", "dynamodb:CreateTable", "dynamodb:CreateTableReplica"], Resource: tables("us-east-1") });
    await expect(addReplica()).rejects.toThrow(new RegExp(`not authorized to perform: dynamodb:CreateTable on resource: ${tables("us-west-2")}`));
    await allow({ Effect: "Allow", Action: ["dynamodb:UpdateTable", "dynamodb:CreateTable", "dynamodb:CreateTableReplica"], Resource: "arn:aws:dynamodb:*:*:table/users" });
    await expect(addReplica()).rejects.toThrow(/iam:CreateServiceLinkedRole on resource: .*replication\.dynamodb\.amazonaws\.com/);
    await allow(
      { Effect: "Allow", Action: ["dynamodb:UpdateTable", "dynamodb:CreateTable", "dynamodb:CreateTableReplica"], Resource: "arn:aws:dynamodb:*:*:table/users" },
      { Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": "replication.dynamodb.amazonaws.com" } } },
    );
    await expect(addReplica()).resolves.toBeDefined();
  });

  it("a tag condition on an action that does not set the key denies it (logs:DescribeLogGroups has no resource tags)", async () => {
    const describe = () => awsJson({ endpoint: sb.endpoint, region: "us-east-1", service: "logs", operation: "DescribeLogGroups", body: {}, credentials: asRole("us-east-1").credentials });
    await allow({ Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/env": "prod" } } });
    await expect(describe()).rejects.toThrow(/not authorized to perform: logs:DescribeLogGroups/);
    await allow({ Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" });
    await expect(describe()).resolves.toBeDefined();
  });
});
