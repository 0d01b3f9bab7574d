// Two-way mode's change capture: each region has its own single-Region trail and its own rule on
// its own default bus (the primary's in us-east-1, the DR's in us-west-2). A Cognito call in
// either region becomes an event on that region's bus only and reaches that region's target only.

import { AdminCreateUserCommand, AdminDisableUserCommand, CognitoIdentityProviderClient, CreateUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsJson, fakeSigV4, httpCall } from "../aws";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";

const skip = motoMissing();
const ACCOUNT = "123456789012";
const REGIONS = ["us-east-1", "us-west-2"] as const;
const credentials = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe.skipIf(!!skip)("CloudTrail and EventBridge in each region a trail logs", { timeout: 90_000 }, () => {
  let sb: Sandbox;
  const setups: Record<string, { idp: CognitoIdentityProviderClient; sqs: SQSClient; pool: string; queueUrl: string; ruleArn: string }> = {};

  /** What the change-capture stack deploys in `region`: a trail (with its bucket), a rule for the pool's calls, a queue target. */
  async function deploy(region: string) {
    const json = (service: string, operation: string, body: unknown) => awsJson({ endpoint: sb.endpoint, service, region, operation, body });
    const s3 = (method: string, path: string, body = "") =>
      httpCall(sb.endpoint, method, path, { authorization: fakeSigV4({ region, service: "s3" }), "content-length": String(Buffer.byteLength(body)) }, Buffer.from(body));
    const bucket = `trail-${region}`;
    const trail = `arn:aws:cloudtrail:${region}:${ACCOUNT}:trail/capture`;
    expect((await s3("PUT", `/${bucket}`, region === "us-east-1" ? "" : `<CreateBucketConfiguration><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`)).status).toBe(200);
    const policy = doc(
      { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: `arn:aws:s3:::${bucket}`, Condition: { StringEquals: { "aws:SourceArn": trail } } },
      {
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${bucket}/AWSLogs/${ACCOUNT}/*`,
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail } },
      },
    );
    expect((await s3("PUT", `/${bucket}?policy`, policy)).status).toBeLessThan(300);
    expect((await json("cloudtrail", "CreateTrail", { Name: "capture", S3BucketName: bucket })).TrailARN).toBe(trail);
    await json("cloudtrail", "StartLogging", { Name: trail });

    const idp = new CognitoIdentityProviderClient({ region, credentials, endpoint: sb.endpoint });
    const sqs = new SQSClient({ region, credentials, endpoint: sb.endpoint });
    const pool = (await idp.send(new CreateUserPoolCommand({ PoolName: `pool-${region}` }))).UserPool!.Id!;
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "capture" }))).QueueUrl!;
    const queueArn = `arn:aws:sqs:${region}:${ACCOUNT}:capture`;
    const ruleArn = `arn:aws:events:${region}:${ACCOUNT}:rule/capture`;
    await json("sqs", "SetQueueAttributes", {
      QueueUrl: queueUrl,
      Attributes: { Policy: doc({ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": ruleArn } } }) },
    });
    // Every pool's AdminDisableUser: a rule that also matched the other region's pool must still see only its own region's events.
    const pattern = { source: ["aws.cognito-idp"], "detail-type": ["AWS API Call via CloudTrail"], detail: { eventName: ["AdminDisableUser"] } };
    expect((await json("events", "PutRule", { Name: "capture", EventPattern: JSON.stringify(pattern), State: "ENABLED" })).RuleArn).toBe(ruleArn);
    await json("events", "PutTargets", { Rule: "capture", Targets: [{ Id: "queue", Arn: queueArn }] });
    setups[region] = { idp, sqs, pool, queueUrl, ruleArn };
  }

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, cognitoQuotas: UNMETERED, eventBridgeDelayMs: 0 });
    for (const region of REGIONS) await deploy(region);
  });
  afterAll(async () => {
    for (const s of Object.values(setups)) {
      s.idp.destroy();
      s.sqs.destroy();
    }
    await sb?.stop();
  });

  it("each region's trail records its calls, and its rule delivers them to its own target only", async () => {
    for (const region of REGIONS) expect((await sb.admin.trailsCovering(region)).map((t) => [t.homeRegion, t.multiRegion, t.logging])).toEqual([[region, false, true]]);
    const subs: Record<string, string> = {};
    for (const region of REGIONS) {
      const { idp, pool } = setups[region]!;
      const created = await idp.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: `u-${region}`, MessageAction: "SUPPRESS" }));
      subs[region] = created.User!.Attributes!.find((a) => a.Name === "sub")!.Value!;
      await idp.send(new AdminDisableUserCommand({ UserPoolId: pool, Username: `u-${region}` }));
    }
    expect((await sb.admin.flushEvents()).drained).toBe(true);

    for (const region of REGIONS) {
      expect((await sb.admin.cloudTrailEvents({ region, eventName: "AdminDisableUser" })).events.map((e) => [e.awsRegion, e.additionalEventData?.sub])).toEqual([[region, subs[region]]]);
    }
    const deliveries = await sb.admin.eventDeliveries();
    expect(deliveries.map((d) => [d.region, d.rule, d.status]).sort()).toEqual(REGIONS.map((r) => [r, setups[r]!.ruleArn, "delivered"]));

    for (const region of REGIONS) {
      const { sqs, queueUrl } = setups[region]!;
      const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
      expect(messages.map((m) => JSON.parse(m.Body!) as { region: string; detail: { additionalEventData: { sub: string } } }).map((e) => [e.region, e.detail.additionalEventData.sub])).toEqual([[region, subs[region]]]);
    }
  });
});
