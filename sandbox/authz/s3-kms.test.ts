// The KMS permissions S3 asks of the caller for an object of a bucket encrypted with SSE-KMS
// (implied-kms.ts, bucketKeyChecks): a write needs kms:GenerateDataKey, a read kms:Decrypt, both
// through S3; a bucket with S3-managed keys needs neither.
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, GetObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const ROLE = "s3-kms-test-role";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe.skipIf(!!skip)("S3 objects of an SSE-KMS bucket in the sandbox", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let iam: IAMClient;
  let keyArn: string;
  let s3: S3Client;
  const admin = { region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
  const objects = [`arn:aws:s3:::kms-bucket/*`, `arn:aws:s3:::plain-bucket/*`];
  const grant = (...statements: object[]) =>
    iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "inline", PolicyDocument: doc({ Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: objects }, ...statements) }));

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    const cfg = { ...admin, endpoint: sb.endpoint };
    iam = new IAMClient(cfg);
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    // The default key policy: the account's IAM policies decide.
    const key = await new KMSClient(cfg).send(new CreateKeyCommand({ Policy: doc({ Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }) }));
    keyArn = key.KeyMetadata!.Arn!;
    const adminS3 = new S3Client({ ...cfg, forcePathStyle: true });
    for (const b of ["kms-bucket", "plain-bucket"]) await adminS3.send(new CreateBucketCommand({ Bucket: b }));
    await adminS3.send(new PutBucketEncryptionCommand({ Bucket: "kms-bucket", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }] } }));
    await adminS3.send(new PutBucketEncryptionCommand({ Bucket: "plain-bucket", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }));
    s3 = new S3Client({ region: REGION, endpoint: sb.endpoint, credentials: sb.assumeRole(ROLE_ARN, "test"), maxAttempts: 1, forcePathStyle: true });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("refuses a write without kms:GenerateDataKey on the bucket's key, and needs none for S3-managed keys", async () => {
    await grant();
    const err = await s3.send(new PutObjectCommand({ Bucket: "kms-bucket", Key: "a.json", Body: "{}" })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await s3.send(new PutObjectCommand({ Bucket: "plain-bucket", Key: "a.json", Body: "{}" }));
    expect(await sb.admin.authzDecisions()).toEqual(expect.arrayContaining([expect.objectContaining({ action: "kms:GenerateDataKey", resource: keyArn, allowed: false, impliedBy: "s3:PutObject", role: ROLE_ARN })]));
  });

  it("writes with kms:GenerateDataKey through S3, and reads only with kms:Decrypt", async () => {
    const viaS3 = { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } };
    await grant({ Sid: "Write", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: keyArn, Condition: viaS3 });
    await s3.send(new PutObjectCommand({ Bucket: "kms-bucket", Key: "b.json", Body: "{}" }));
    const denied = await s3.send(new GetObjectCommand({ Bucket: "kms-bucket", Key: "b.json" })).catch((e: Error) => e);
    expect(denied).toMatchObject({ name: "AccessDenied" });
    await grant({ Sid: "Write", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn, Condition: viaS3 });
    const out = await s3.send(new GetObjectCommand({ Bucket: "kms-bucket", Key: "b.json" }));
    expect(await out.Body!.transformToString()).toBe("{}");
    // Not through S3: no use of the key.
    await grant({ Sid: "Write", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } } });
    await expect(s3.send(new GetObjectCommand({ Bucket: "kms-bucket", Key: "b.json" }))).rejects.toMatchObject({ name: "AccessDenied" });
  });
});
