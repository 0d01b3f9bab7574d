// CloudTrail → EventBridge in a running sandbox, deployed the way terraform deploys it (a bucket
// with CloudTrail's bucket policy, a trail started by its ARN, a rule with a Lambda and an SQS
// target, their resource policies): a Cognito call made while the trail logs becomes the documented
// record, reaches the rule's targets as events.amazonaws.com after the delivery delay, and nothing
// at all is delivered without a logging trail.

import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserAttributesCommand,
  DeleteUserCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsJson, fakeSigV4, httpCall } from "../aws";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";
import { HIDDEN } from "./record";

const skip = motoMissing();
const REGION = "us-west-2";
const ACCOUNT = "123456789012";
const BUCKET = "trail-logs";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const admin = { region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };

describe.skipIf(!!skip)("CloudTrail and EventBridge in the sandbox", { timeout: 90_000 }, () => {
  let sb: Sandbox;
  let idp: CognitoIdentityProviderClient;
  let sqs: SQSClient;
  let pool: string;
  let otherPool: string;
  let trailArn: string;
  let ruleArn: string;
  let fnArn: string;
  let queueUrl: string;
  const json = (service: string, operation: string, body: unknown, region = REGION) => awsJson({ endpoint: sb.endpoint, service, region, operation, body });
  const s3 = (method: string, path: string, body = "") => httpCall(sb.endpoint, method, path, { authorization: fakeSigV4({ region: REGION, service: "s3" }), "content-length": String(Buffer.byteLength(body)) }, Buffer.from(body));
  /** CloudTrail's bucket policy (CloudTrail user guide, create-s3-bucket-policy-for-cloudtrail.html), for these trails. */
  const trailBucketPolicy = (...names: string[]) => {
    const trails = names.map((n) => `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${n}`);
    return doc(
      { Sid: "AWSCloudTrailAclCheck", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: `arn:aws:s3:::${BUCKET}`, Condition: { StringEquals: { "aws:SourceArn": trails } } },
      {
        Sid: "AWSCloudTrailWrite",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/${ACCOUNT}/*`,
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trails } },
      },
    );
  };
  const fnRuns = () => sb.lambda!.logs("capture", REGION).filter((l) => l.line.includes("captured "));
  const newUser = async (p = pool) => {
    const name = `user-${Math.random().toString(36).slice(2, 8)}`;
    const created = await idp.send(new AdminCreateUserCommand({ UserPoolId: p, Username: name, MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: `${name}@example.com` }] }));
    return { name, sub: created.User!.Attributes!.find((a) => a.Name === "sub")!.Value! };
  };
  const lambdaPermission = (rule: string) =>
    new LambdaClient({ ...admin, endpoint: sb.endpoint }).send(new AddPermissionCommand({ FunctionName: "capture", StatementId: `events-${rule}`, Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule}` }));
  const disable = async (username: string, client = idp, p = pool) => client.send(new AdminDisableUserCommand({ UserPoolId: p, Username: username }));

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, cognitoQuotas: UNMETERED, eventBridgeDelayMs: 0 });
    const iam = new IAMClient({ ...admin, endpoint: sb.endpoint });
    idp = new CognitoIdentityProviderClient({ ...admin, endpoint: sb.endpoint });
    sqs = new SQSClient({ ...admin, endpoint: sb.endpoint });
    pool = (await idp.send(new CreateUserPoolCommand({ PoolName: "primary" }))).UserPool!.Id!;
    otherPool = (await idp.send(new CreateUserPoolCommand({ PoolName: "other" }))).UserPool!.Id!;

    // The trail, as terraform creates it: bucket, bucket policy, trail, StartLogging by ARN.
    expect((await s3("PUT", `/${BUCKET}`, `<CreateBucketConfiguration><LocationConstraint>${REGION}</LocationConstraint></CreateBucketConfiguration>`)).status).toBe(200);
    expect((await s3("PUT", `/${BUCKET}?policy`, trailBucketPolicy("capture", "everywhere"))).status).toBeLessThan(300);
    trailArn = (await json("cloudtrail", "CreateTrail", { Name: "capture", S3BucketName: BUCKET })).TrailARN;
    await json("cloudtrail", "StartLogging", { Name: trailArn });

    // The capture function and its permission for the rule; a queue whose policy allows the rule.
    const fnRole = await iam.send(new CreateRoleCommand({ RoleName: "capture-fn", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    const code = zipSync({ "index.js": strToU8("exports.handler = async (event) => { console.log('captured ' + JSON.stringify(event)); };") });
    const lambda = new LambdaClient({ ...admin, endpoint: sb.endpoint });
    fnArn = (await lambda.send(new CreateFunctionCommand({ FunctionName: "capture", Runtime: "nodejs22.x", Handler: "index.handler", Role: fnRole.Role!.Arn!, Code: { ZipFile: code } }))).FunctionArn!;
    ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/capture`;
    await lambda.send(new AddPermissionCommand({ FunctionName: "capture", StatementId: "events", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceArn: ruleArn }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "capture-queue" }))).QueueUrl!;
    const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:capture-queue`;
    await json("sqs", "SetQueueAttributes", {
      QueueUrl: queueUrl,
      Attributes: { Policy: doc({ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": ruleArn } } }) },
    });

    // The rule: this pool's user-changing calls.
    const pattern = { source: ["aws.cognito-idp"], "detail-type": ["AWS API Call via CloudTrail"], detail: { eventName: ["AdminDisableUser", "AdminEnableUser"], requestParameters: { userPoolId: [pool] } } };
    expect((await json("events", "PutRule", { Name: "capture", EventPattern: JSON.stringify(pattern), State: "ENABLED" })).RuleArn).toBe(ruleArn);
    await json("events", "PutTargets", { Rule: "capture", Targets: [{ Id: "fn", Arn: fnArn }, { Id: "queue", Arn: queueArn }] });
  });
  afterAll(async () => {
    await sb?.stop();
  });
  beforeEach(async () => {
    await sb.admin.setEventDeliveryDelay(0);
    await sb.admin.flushEvents(); // the previous test's events, still on their way
    await sb.admin.clearAuthzDecisions();
    await sb.admin.clearEventDeliveries();
    await sb.admin.clearCloudTrailEvents();
  });

  it("records an administrator's AdminDisableUser as the documented record, with the sub and not the username", async () => {
    const u = await newUser();
    await disable(u.name);
    const [record] = (await sb.admin.cloudTrailEvents({ eventName: "AdminDisableUser" })).events;
    expect(record).toMatchObject({
      eventVersion: "1.08",
      userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${ACCOUNT}:user/moto`, accountId: ACCOUNT, accessKeyId: "sandbox" },
      eventSource: "cognito-idp.amazonaws.com",
      eventName: "AdminDisableUser",
      awsRegion: REGION,
      requestParameters: { userPoolId: pool, username: HIDDEN },
      responseElements: null,
      additionalEventData: { sub: u.sub },
      readOnly: false,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: "Management",
    });
    expect(JSON.stringify(record)).not.toContain(u.name);
  });

  it("names a role session's call with its role as the session issuer, so a consumer can skip its own roles", async () => {
    const iam = new IAMClient({ ...admin, endpoint: sb.endpoint });
    const role = await iam.send(new CreateRoleCommand({ RoleName: "replicator", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "replicator", PolicyName: "users", PolicyDocument: doc({ Effect: "Allow", Action: "cognito-idp:AdminDisableUser", Resource: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${pool}` }) }));
    const creds = sb.assumeRole(role.Role!.Arn!, "replicate");
    const asRole = new CognitoIdentityProviderClient({ region: REGION, endpoint: sb.endpoint, credentials: creds, maxAttempts: 1 });
    const u = await newUser();
    await disable(u.name, asRole);
    const [record] = (await sb.admin.cloudTrailEvents({ eventName: "AdminDisableUser" })).events;
    expect(record!.userIdentity).toMatchObject({
      type: "AssumedRole",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/replicator/replicate`,
      accessKeyId: creds.accessKeyId,
      sessionContext: { sessionIssuer: { type: "Role", arn: role.Role!.Arn!, userName: "replicator" } },
    });
    // A call the role may not make is recorded too, with AWS's error.
    await expect(asRole.send(new AdminEnableUserCommand({ UserPoolId: pool, Username: u.name }))).rejects.toMatchObject({ name: "AccessDeniedException" });
    const [denied] = (await sb.admin.cloudTrailEvents({ eventName: "AdminEnableUser" })).events;
    expect(denied).toMatchObject({ errorCode: "AccessDeniedException", responseElements: null });
  });

  it("delivers a matching event to the rule's Lambda and SQS targets as events.amazonaws.com", async () => {
    const u = await newUser();
    await disable(u.name);
    await disable((await newUser(otherPool)).name, idp, otherPool); // another pool: the rule does not match
    expect((await sb.admin.flushEvents()).drained).toBe(true);
    const deliveries = await sb.admin.eventDeliveries();
    expect(deliveries.map((d) => [d.targetId, d.status, d.eventName, d.rule])).toEqual([
      ["fn", "delivered", "AdminDisableUser", ruleArn],
      ["queue", "delivered", "AdminDisableUser", ruleArn],
    ]);
    // Earlier tests' events reach the same targets: find this one by its user's sub.
    const runOf = (sub: string) => fnRuns().find((l) => l.line.includes(sub));
    await expect.poll(() => runOf(u.sub), { timeout: 15_000 }).toBeDefined();
    const event: unknown = JSON.parse(runOf(u.sub)!.line.replace(/^.*?captured /, ""));
    expect(event).toMatchObject({ version: "0", "detail-type": "AWS API Call via CloudTrail", source: "aws.cognito-idp", account: ACCOUNT, region: REGION, resources: [], detail: { eventName: "AdminDisableUser", additionalEventData: { sub: u.sub } } });
    const subs: string[] = [];
    for (let i = 0; i < 5 && !subs.includes(u.sub); i++) {
      const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
      subs.push(...messages.map((m) => JSON.parse(m.Body!).detail.additionalEventData.sub as string));
    }
    expect(subs).toContain(u.sub);
    expect(await sb.admin.authzDecisions()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction", resource: fnArn, allowed: true }),
        expect.objectContaining({ principal: "events.amazonaws.com", action: "sqs:SendMessage", allowed: true }),
      ]),
    );
  });

  it("GetTrail says the trail's home region, as AWS does (moto leaves it out)", async () => {
    const got = (await json("cloudtrail", "GetTrail", { Name: trailArn })) as { Trail: { HomeRegion?: string; TrailARN: string } };
    expect(got.Trail).toMatchObject({ TrailARN: trailArn, HomeRegion: REGION });
  });

  it("delivers nothing while the trail is stopped, nor reads that an enabled rule does not ask for", async () => {
    await json("cloudtrail", "StopLogging", { Name: trailArn });
    try {
      await disable((await newUser()).name);
      expect((await sb.admin.flushEvents()).drained).toBe(true);
      const seen = await sb.admin.cloudTrailEvents();
      expect(seen.events.filter((e) => e.eventName === "AdminDisableUser")).toEqual([]);
      expect(seen.unrecorded).toBeGreaterThan(0);
      expect(await sb.admin.eventDeliveries()).toEqual([]);
      expect((await sb.admin.trailsCovering(REGION)).map((t) => [t.name, t.logging])).toEqual([["capture", false]]);
    } finally {
      await json("cloudtrail", "StartLogging", { Name: trailArn });
    }
    // A region no trail covers (the trail is single-Region, in us-west-2).
    const east = new CognitoIdentityProviderClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint });
    const eastPool = (await east.send(new CreateUserPoolCommand({ PoolName: "east" }))).UserPool!.Id!;
    await east.send(new ListUsersCommand({ UserPoolId: eastPool }));
    expect((await sb.admin.cloudTrailEvents({ region: "us-east-1" })).events).toEqual([]);
  });

  it("records a delivery the function's policy does not allow as denied, with AWS's message, and never fails the call", async () => {
    const lambda = new LambdaClient({ ...admin, endpoint: sb.endpoint });
    const code = zipSync({ "index.js": strToU8("exports.handler = async () => {};") });
    const fnRole = `arn:aws:iam::${ACCOUNT}:role/capture-fn`;
    const other = (await lambda.send(new CreateFunctionCommand({ FunctionName: "elsewhere", Runtime: "nodejs22.x", Handler: "index.handler", Role: fnRole, Code: { ZipFile: code } }))).FunctionArn!;
    // Allowed for another rule only.
    await lambda.send(new AddPermissionCommand({ FunctionName: "elsewhere", StatementId: "events", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/another` }));
    await json("events", "PutTargets", { Rule: "capture", Targets: [{ Id: "elsewhere", Arn: other }] });
    try {
      await disable((await newUser()).name);
      await sb.admin.flushEvents();
      const denied = (await sb.admin.eventDeliveries()).find((d) => d.targetId === "elsewhere");
      expect(denied).toMatchObject({ status: "denied", rule: ruleArn, target: other, attempts: 1 });
      expect(denied!.reason).toBe(`User: events.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${other} because no resource-based policy allows the lambda:InvokeFunction action`);
    } finally {
      await json("events", "RemoveTargets", { Rule: "capture", Ids: ["elsewhere"] });
    }
  });

  it("waits the delivery delay before a target sees the event", async () => {
    await sb.admin.setEventDeliveryDelay(800);
    expect(await sb.admin.eventDeliveryDelay()).toBe(800);
    const called = Date.now();
    await disable((await newUser()).name);
    await new Promise((r) => setTimeout(r, 300));
    expect(await sb.admin.eventDeliveries()).toEqual([]);
    expect((await sb.admin.flushEvents()).drained).toBe(true);
    const delivered = await sb.admin.eventDeliveries();
    expect(delivered.map((d) => d.status)).toEqual(["delivered", "delivered"]);
    for (const d of delivered) expect(Date.parse(d.at) - called).toBeGreaterThanOrEqual(800);
  });

  it("refuses a trail whose bucket policy does not let CloudTrail write, as CloudTrail does", async () => {
    await expect(json("cloudtrail", "CreateTrail", { Name: "not-allowed", S3BucketName: BUCKET })).rejects.toMatchObject({
      code: "InsufficientS3BucketPolicyException",
      detail: `Incorrect S3 bucket policy is detected for bucket: ${BUCKET}`,
    });
  });
  it("records self-service calls with the user's sub and the pool their client or token belongs to", async () => {
    const client = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: "app", ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }))).UserPoolClient!.ClientId!;
    // The SDK sends SignUp, InitiateAuth and the access-token calls unsigned, as a browser does.
    const signedUp = await idp.send(new SignUpCommand({ ClientId: client, Username: "self@example.com", Password: "Passw0rd!Strong", UserAttributes: [{ Name: "email", Value: "self@example.com" }] }));
    const [signUp] = (await sb.admin.cloudTrailEvents({ eventName: "SignUp" })).events;
    expect(signUp).toMatchObject({
      userIdentity: { accountId: ACCOUNT },
      requestParameters: { clientId: client, username: HIDDEN, password: HIDDEN, userAttributes: [{ name: "email", value: HIDDEN }] },
      additionalEventData: { sub: signedUp.UserSub, userPoolId: pool },
    });
    expect(signUp!.userIdentity).not.toHaveProperty("type");
    await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: pool, Username: "self@example.com" }));
    const auth = await idp.send(new InitiateAuthCommand({ ClientId: client, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "self@example.com", PASSWORD: "Passw0rd!Strong" } }));
    const token = auth.AuthenticationResult!.AccessToken!;
    // moto lacks both self-service deletes; the sandbox does them with the token's user.
    await idp.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: "self@example.com", UserAttributes: [{ Name: "name", Value: "Self" }] }));
    await idp.send(new DeleteUserAttributesCommand({ AccessToken: token, UserAttributeNames: ["name"] }));
    const attrs = (await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: "self@example.com" }))).UserAttributes!.map((a) => a.Name);
    expect(attrs).not.toContain("name");
    const [deletedAttrs] = (await sb.admin.cloudTrailEvents({ eventName: "DeleteUserAttributes" })).events;
    expect(deletedAttrs).toMatchObject({ requestParameters: { accessToken: HIDDEN, userAttributeNames: ["name"] }, additionalEventData: { sub: signedUp.UserSub, userPoolId: pool } });
    await idp.send(new DeleteUserCommand({ AccessToken: token }));
    await expect(idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: "self@example.com" }))).rejects.toMatchObject({ name: "UserNotFoundException" });
    const [deleted] = (await sb.admin.cloudTrailEvents({ eventName: "DeleteUser" })).events;
    expect(deleted).toMatchObject({ requestParameters: { accessToken: HIDDEN }, additionalEventData: { sub: signedUp.UserSub, userPoolId: pool } });
    const [signedIn] = (await sb.admin.cloudTrailEvents({ eventName: "InitiateAuth" })).events;
    expect(signedIn!.responseElements).toMatchObject({ authenticationResult: { accessToken: HIDDEN, idToken: HIDDEN, refreshToken: HIDDEN } });
  });

  it("delivers to a queue under SSE-SQS, and refuses one whose KMS key does not let EventBridge in", async () => {
    const kms = new KMSClient({ ...admin, endpoint: sb.endpoint });
    const key = (await kms.send(new CreateKeyCommand({ Policy: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }) }))).KeyMetadata!;
    const queue = async (name: string, attributes: Record<string, string>) => {
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
      const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
      await json("sqs", "SetQueueAttributes", { QueueUrl: url, Attributes: { Policy: doc({ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn }) } });
      return arn;
    };
    const managed = await queue("sse-sqs", { SqsManagedSseEnabled: "true" });
    const encrypted = await queue("sse-kms", { KmsMasterKeyId: key.KeyId! });
    await json("events", "PutTargets", { Rule: "capture", Targets: [{ Id: "sse-sqs", Arn: managed }, { Id: "sse-kms", Arn: encrypted }] });
    try {
      await disable((await newUser()).name);
      await sb.admin.flushEvents();
      const byTarget = Object.fromEntries((await sb.admin.eventDeliveries()).map((d) => [d.targetId, d]));
      expect(byTarget["sse-sqs"]).toMatchObject({ status: "delivered" });
      expect(byTarget["sse-kms"]).toMatchObject({ status: "denied" });
      expect(byTarget["sse-kms"]!.reason).toBe(`User: events.amazonaws.com is not authorized to perform: kms:GenerateDataKey on resource: ${key.Arn} because no resource-based policy allows the kms:GenerateDataKey action`);
    } finally {
      await json("events", "RemoveTargets", { Rule: "capture", Ids: ["sse-sqs", "sse-kms"] });
    }
  });

  it("retries a delivery Lambda refuses with a server error as the target's retry policy allows, and records the failure", async () => {
    const pattern = { source: ["aws.cognito-idp"], detail: { eventName: ["AdminUpdateUserAttributes"] } };
    await json("events", "PutRule", { Name: "retried", EventPattern: JSON.stringify(pattern) });
    await lambdaPermission("retried");
    await json("events", "PutTargets", { Rule: "retried", Targets: [{ Id: "fn", Arn: fnArn, RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 60 } }] });
    const u = await newUser();
    await sb.admin.injectFault({ service: "lambda", errorRate: 1 });
    try {
      await idp.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: u.name, UserAttributes: [{ Name: "name", Value: "Alice" }] }));
      await sb.admin.flushEvents();
    } finally {
      await sb.admin.clearFaults();
    }
    const [d] = await sb.admin.eventDeliveries();
    expect(d).toMatchObject({ rule: `arn:aws:events:${REGION}:${ACCOUNT}:rule/retried`, status: "failed", attempts: 2 });
    expect(d!.reason).toMatch(/^Lambda answered 500: /);
  });

  it("records every region's calls under a multi-Region trail", async () => {
    const everywhere = (await json("cloudtrail", "CreateTrail", { Name: "everywhere", S3BucketName: BUCKET, IsMultiRegionTrail: true })).TrailARN;
    await json("cloudtrail", "StartLogging", { Name: everywhere });
    try {
      expect((await sb.admin.trailsCovering("us-east-1")).map((t) => [t.name, t.multiRegion, t.logging])).toEqual([["everywhere", true, true]]);
      const east = new CognitoIdentityProviderClient({ ...admin, region: "us-east-1", endpoint: sb.endpoint });
      const eastPool = (await east.send(new CreateUserPoolCommand({ PoolName: "east-everywhere" }))).UserPool!.Id!;
      await east.send(new ListUsersCommand({ UserPoolId: eastPool }));
      expect((await sb.admin.cloudTrailEvents({ region: "us-east-1", eventName: "ListUsers" })).events).toEqual([expect.objectContaining({ awsRegion: "us-east-1", readOnly: true })]);
      // Its logging is the home region's to change.
      await expect(json("cloudtrail", "StopLogging", { Name: everywhere }, "us-east-1")).rejects.toMatchObject({ code: "InvalidHomeRegionException" });
    } finally {
      await json("cloudtrail", "DeleteTrail", { Name: everywhere });
    }
    expect(await sb.admin.trailsCovering("us-east-1")).toEqual([]);
  });

  it("refuses a rule pattern EventBridge cannot read", async () => {
    await expect(json("events", "PutRule", { Name: "bad", EventPattern: JSON.stringify({ detail: { eventName: [{ bogus: "x" }] } }) })).rejects.toMatchObject({ code: "InvalidEventPatternException" });
  });
});
