// The calls a pipeline role makes to deploy a trail, its bucket and an EventBridge rule, decided as
// AWS decides them: each CloudTrail and EventBridge call on its trail or rule (by name or by the
// ARN terraform uses), what it passes to the service (iam:PassRole for a CloudWatch Logs role or a
// target's role), the condition keys a rule's pattern sets, and the S3 actions of a bucket's
// settings, which are not named after their API operations.

import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsJson, fakeSigV4, httpCall } from "../aws";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";
import type { SessionCredentials } from "../types";

const skip = motoMissing();
const REGION = "us-west-2";
const ACCOUNT = "123456789012";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const TRAIL = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/capture`;

describe.skipIf(!!skip)("a pipeline role deploying a trail and a rule", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let iam: IAMClient;
  let creds: SessionCredentials;
  const allow = (...statements: object[]) => iam.send(new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: "deploy", PolicyDocument: doc(...statements) }));
  const asRole = (service: string, operation: string, body: unknown) => awsJson({ endpoint: sb.endpoint, region: REGION, service, operation, body, credentials: creds });
  const s3 = (method: string, path: string, body = "", accessKeyId?: string) =>
    httpCall(sb.endpoint, method, path, { authorization: fakeSigV4({ region: REGION, service: "s3", accessKeyId }), "content-length": String(Buffer.byteLength(body)), ...(accessKeyId ? { "x-amz-security-token": creds.sessionToken } : {}) }, Buffer.from(body));

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    iam = new IAMClient({ region: "us-east-1", endpoint: sb.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
    const trust = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" });
    const role = await iam.send(new CreateRoleCommand({ RoleName: "deployer", AssumeRolePolicyDocument: trust }));
    await iam.send(new CreateRoleCommand({ RoleName: "trail-logs", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    creds = sb.assumeRole(role.Role!.Arn!, "job");
    // The administrator's bucket, with CloudTrail's bucket policy.
    await s3("PUT", "/trail-logs", `<CreateBucketConfiguration><LocationConstraint>${REGION}</LocationConstraint></CreateBucketConfiguration>`);
    const policy = doc(
      { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::trail-logs" },
      { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::trail-logs/AWSLogs/${ACCOUNT}/*`, Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } } },
    );
    expect((await s3("PUT", "/trail-logs?policy", policy)).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("CloudTrail: a trail's calls are decided on the trail, by name or ARN, and a CloudWatch Logs role is passed to CloudTrail", async () => {
    const create = () => asRole("cloudtrail", "CreateTrail", { Name: "capture", S3BucketName: "trail-logs", CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/trail-logs`, CloudWatchLogsLogGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:trail:*` });
    await allow({ Effect: "Allow", Action: "cloudtrail:CreateTrail", Resource: TRAIL });
    await expect(create()).rejects.toThrow(`is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/trail-logs`);
    await allow(
      { Effect: "Allow", Action: "cloudtrail:CreateTrail", Resource: TRAIL },
      { Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "cloudtrail.amazonaws.com" } } },
    );
    await expect(create()).resolves.toMatchObject({ TrailARN: TRAIL });
    // terraform starts logging by the trail's ARN, and reads the trails on "*".
    await expect(asRole("cloudtrail", "StartLogging", { Name: TRAIL })).rejects.toThrow(`is not authorized to perform: cloudtrail:StartLogging on resource: ${TRAIL}`);
    await allow({ Effect: "Allow", Action: ["cloudtrail:StartLogging", "cloudtrail:GetTrailStatus", "cloudtrail:DeleteTrail"], Resource: TRAIL }, { Effect: "Allow", Action: "cloudtrail:DescribeTrails", Resource: "*" });
    await asRole("cloudtrail", "StartLogging", { Name: TRAIL });
    await expect(asRole("cloudtrail", "GetTrailStatus", { Name: TRAIL })).resolves.toMatchObject({ IsLogging: true });
    expect((await asRole("cloudtrail", "DescribeTrails", { trailNameList: [TRAIL] })).trailList).toHaveLength(1);
    // moto would keep a trail deleted by ARN; the sandbox passes it the name.
    await asRole("cloudtrail", "DeleteTrail", { Name: TRAIL });
    expect((await asRole("cloudtrail", "DescribeTrails", {})).trailList).toEqual([]);
    await expect(asRole("cloudtrail", "StartLogging", { Name: TRAIL })).rejects.toMatchObject({ code: "TrailNotFoundException" });
  });

  it("EventBridge: PutRule carries the pattern's source as events:source, and a target's role is passed to EventBridge", async () => {
    const rule = `arn:aws:events:${REGION}:${ACCOUNT}:rule/capture`;
    await allow(
      { Effect: "Allow", Action: "events:PutRule", Resource: rule, Condition: { "ForAllValues:StringEquals": { "events:source": ["aws.cognito-idp"] } } },
      { Effect: "Allow", Action: ["events:PutTargets", "events:DescribeRule", "events:ListTargetsByRule"], Resource: rule },
    );
    await expect(asRole("events", "PutRule", { Name: "capture", EventPattern: JSON.stringify({ source: ["aws.ec2"] }) })).rejects.toThrow(`not authorized to perform: events:PutRule on resource: ${rule}`);
    await expect(asRole("events", "PutRule", { Name: "capture", EventPattern: JSON.stringify({ source: ["aws.cognito-idp"] }) })).resolves.toMatchObject({ RuleArn: rule });
    await expect(asRole("events", "DescribeRule", { Name: "capture" })).resolves.toMatchObject({ Arn: rule });
    const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:capture`;
    await expect(asRole("events", "PutTargets", { Rule: "capture", Targets: [{ Id: "fn", Arn: fn }] })).resolves.toMatchObject({ FailedEntryCount: 0 });
    await expect(asRole("events", "PutTargets", { Rule: "capture", Targets: [{ Id: "via-role", Arn: fn, RoleArn: `arn:aws:iam::${ACCOUNT}:role/trail-logs` }] })).rejects.toThrow(/not authorized to perform: iam:PassRole/);
    expect((await asRole("events", "ListTargetsByRule", { Rule: "capture" })).Targets).toHaveLength(1);
  });

  it("S3: a bucket's settings are decided as the actions S3 authorizes them by", async () => {
    const encryption = `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`;
    const lifecycle = `<LifecycleConfiguration><Rule><ID>expire</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>90</Days></Expiration></Rule></LifecycleConfiguration>`;
    await allow({ Effect: "Allow", Action: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"], Resource: "arn:aws:s3:::trail-logs" });
    expect((await s3("PUT", "/trail-logs?encryption", encryption, creds.accessKeyId)).status).toBe(200);
    expect((await s3("GET", "/trail-logs?encryption", "", creds.accessKeyId)).status).toBe(200);
    const denied = await s3("PUT", "/trail-logs?lifecycle", lifecycle, creds.accessKeyId);
    expect(denied.status).toBe(403);
    expect(denied.body.toString()).toContain("s3:PutLifecycleConfiguration");
    await allow({ Effect: "Allow", Action: "s3:PutLifecycleConfiguration", Resource: "arn:aws:s3:::trail-logs" });
    expect((await s3("PUT", "/trail-logs?lifecycle", lifecycle, creds.accessKeyId)).status).toBe(200);
  });
});
