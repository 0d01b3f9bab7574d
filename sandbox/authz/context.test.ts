// The request context in a running sandbox, as moto holds what terraform created: an organization's
// region-deny SCP (SANDBOX_SCP_FILE's documents) denying a DR-region call with AWS's message,
// `aws:PrincipalTag` from the role's tags, and a queue policy taking part when Lambda reads a queue
// with a mapping's role (named by ARN only).

import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";

const skip = motoMissing();
const ACCOUNT = "123456789012";
const PRIMARY = "us-east-1";
const DR = "us-west-2";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });
const regionDeny = {
  Version: "2012-10-17",
  Statement: [{ Sid: "DenyOutsidePrimary", Effect: "Deny", NotAction: ["iam:*", "sts:*"], Resource: "*", Condition: { StringNotEquals: { "aws:RequestedRegion": [PRIMARY] } } }],
};

describe.skipIf(!!skip)("request context in the sandbox", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  const admin = { credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
  let iam: IAMClient;

  const role = async (name: string, statements: object[], tags: Record<string, string> = {}) => {
    const arn = (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }))).Role!.Arn!;
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: doc(...statements) }));
    return arn;
  };
  const ddb = (region: string, roleArn?: string) =>
    new DynamoDBClient({ region, endpoint: sb.endpoint, maxAttempts: 1, ...(roleArn ? { credentials: sb.assumeRole(roleArn, "fn") } : admin) });

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED, serviceControlPolicies: [{ name: "region-deny", policy: regionDeny }] });
    iam = new IAMClient({ region: PRIMARY, endpoint: sb.endpoint, ...admin });
    for (const region of [PRIMARY, DR]) {
      await ddb(region).send(
        new CreateTableCommand({ TableName: "books", BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], KeySchema: [{ AttributeName: "id", KeyType: "HASH" }] }),
      );
    }
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("denies a DR-region call under a region-deny SCP with AWS's message, and allows the primary region's", async () => {
    const arn = await role("scp-writer", [{ Effect: "Allow", Action: "dynamodb:PutItem", Resource: "*" }]);
    await ddb(PRIMARY, arn).send(new PutItemCommand({ TableName: "books", Item: { id: { S: "1" } } }));
    const err = await ddb(DR, arn).send(new PutItemCommand({ TableName: "books", Item: { id: { S: "1" } } })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    expect((err as Error).message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/scp-writer/fn is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:${DR}:${ACCOUNT}:table/books with an explicit deny in a service control policy`,
    );
    expect(await sb.admin.authzDecisions()).toEqual(expect.arrayContaining([expect.objectContaining({ action: "dynamodb:PutItem", allowed: false, statements: ["scp:region-deny#DenyOutsidePrimary"] })]));
  });

  it("gives a role session its role's tags as aws:PrincipalTag", async () => {
    const tagged = [{ Effect: "Allow", Action: "dynamodb:PutItem", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "replication" } } }];
    const ours = await role("tagged-writer", tagged, { team: "replication" });
    const theirs = await role("other-writer", tagged, { team: "billing" });
    await ddb(PRIMARY, ours).send(new PutItemCommand({ TableName: "books", Item: { id: { S: "2" } } }));
    const err = await ddb(PRIMARY, theirs).send(new PutItemCommand({ TableName: "books", Item: { id: { S: "2" } } })).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/assumed-role\/other-writer\/fn is not authorized to perform: dynamodb:PutItem .* because no identity-based policy allows/);
  });

  it("lets a queue policy's explicit deny stop a mapping's role from reading the queue by ARN", async () => {
    const arn = await role("queue-reader", [{ Effect: "Allow", Action: ["sqs:ReceiveMessage"], Resource: "*" }]);
    const sqs = new SQSClient({ region: PRIMARY, endpoint: sb.endpoint, ...admin });
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "jobs" }))).QueueUrl!;
    const queue = `arn:aws:sqs:${PRIMARY}:${ACCOUNT}:jobs`;
    const check = { action: "sqs:ReceiveMessage", resource: queue, resourcePolicy: "sqs-queue" as const };
    expect(await sb.authority.roleMay(arn, "poller", check)).toEqual({ allowed: true });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: doc({ Sid: "NoReaders", Effect: "Deny", Principal: { AWS: arn }, Action: "sqs:ReceiveMessage", Resource: queue }) } }));
    const denied = await sb.authority.roleMay(arn, "poller", check);
    expect(denied.allowed).toBe(false);
    expect(denied.message).toMatch(/with an explicit deny in a resource-based policy$/);
  });
});
