// The authorizer in a running sandbox: policies read from moto's IAM and KMS as created, a role
// session's calls decided and answered as AWS would (the SDK sees AWS's error), policy changes
// taking effect at once, administrators' calls never evaluated, unused grants reported.

import { CognitoIdentityProviderClient, AdminGetUserCommand, CreateUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreatePolicyCommand, CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateQueueCommand, DeleteMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../index";
import type { AuthzPlugin } from "./plugin";
import { motoMissing, UNMETERED } from "../test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const ROLE = "authz-test-role";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe.skipIf(!!skip)("authorization in the sandbox", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  const admin = { region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
  let asRole: { region: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }; maxAttempts: number };
  let iam: IAMClient;
  let tableArn: string;
  let keyArn: string;

  const putRolePolicy = (...statements: object[]) =>
    iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "inline", PolicyDocument: doc(...statements) }));

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    const cfg = { ...admin, endpoint: sb.endpoint };
    iam = new IAMClient(cfg);
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    // The key policy AWS gives for DynamoDB: the account delegates to IAM, use only through DynamoDB.
    const key = await new KMSClient(cfg).send(
      new CreateKeyCommand({
        Policy: doc(
          { Sid: "Admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"], Resource: "*" },
          {
            Sid: "ThroughDynamoDB",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
            Resource: "*",
            Condition: { StringLike: { "kms:ViaService": "dynamodb.*.amazonaws.com" }, StringEquals: { "kms:CallerAccount": ACCOUNT } },
          },
        ),
      }),
    );
    keyArn = key.KeyMetadata!.Arn!;
    const table = await new DynamoDBClient(cfg).send(
      new CreateTableCommand({
        TableName: "books",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        SSESpecification: { Enabled: true, SSEType: "KMS", KMSMasterKeyId: keyArn },
      }),
    );
    tableArn = table.TableDescription!.TableArn!;
    asRole = { region: REGION, credentials: sb.assumeRole(ROLE_ARN, "test"), maxAttempts: 1 };
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("denies a table write whose role may not use the table's key, with DynamoDB's KMS error", async () => {
    await putRolePolicy({ Sid: "Write", Effect: "Allow", Action: "dynamodb:PutItem", Resource: tableArn });
    const ddb = new DynamoDBClient({ ...asRole, endpoint: sb.endpoint });
    const err = await ddb.send(new PutItemCommand({ TableName: "books", Item: { id: { S: "1" } } })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    expect((err as Error).message).toMatch(/^KMS key access denied error: .*is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:/);
    const decisions = await sb.admin.authzDecisions();
    expect(decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "dynamodb:PutItem", resource: tableArn, allowed: true, statements: ["identity:inline#Write"] }),
        expect.objectContaining({ action: "kms:Decrypt", resource: keyArn, allowed: false, impliedBy: "dynamodb:PutItem", role: ROLE_ARN }),
      ]),
    );
  });

  it("allows it as soon as the role may decrypt through DynamoDB (policy changes apply at once)", async () => {
    await putRolePolicy(
      { Sid: "Write", Effect: "Allow", Action: "dynamodb:PutItem", Resource: tableArn },
      { Sid: "UseTableKey", Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": `dynamodb.${REGION}.amazonaws.com` } } },
    );
    const ddb = new DynamoDBClient({ ...asRole, endpoint: sb.endpoint });
    await ddb.send(new PutItemCommand({ TableName: "books", Item: { id: { S: "2" } } }));
    const unused = await sb.admin.unusedGrants();
    expect(unused.find((r) => r.role === ROLE_ARN)?.unused).toEqual([]);
  });

  it("answers Cognito's and SQS's own denial errors", async () => {
    const cognitoAdmin = new CognitoIdentityProviderClient({ ...admin, endpoint: sb.endpoint });
    const pool = (await cognitoAdmin.send(new CreateUserPoolCommand({ PoolName: "authz" }))).UserPool!;
    const cognito = new CognitoIdentityProviderClient({ ...asRole, endpoint: sb.endpoint });
    const err = await cognito.send(new AdminGetUserCommand({ UserPoolId: pool.Id, Username: "nobody" })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "AccessDeniedException" });
    expect((err as Error).message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/test is not authorized to perform: cognito-idp:AdminGetUser on resource: ${pool.Arn} because no identity-based policy allows the cognito-idp:AdminGetUser action`,
    );
    const url = (await new SQSClient({ ...admin, endpoint: sb.endpoint }).send(new CreateQueueCommand({ QueueName: "authz-q" }))).QueueUrl!;
    const sqsErr = await new SQSClient({ ...asRole, endpoint: sb.endpoint }).send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" })).catch((e: Error) => e);
    expect(sqsErr).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect((sqsErr as Error).name).toMatch(/^AccessDenied/);
  });

  it("holds a role to its permissions boundary, for its own calls and what services do with it, in the right region", async () => {
    const name = "bounded-role";
    const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:bounded-q`;
    const boundary = await iam.send(
      new CreatePolicyCommand({ PolicyName: "boundary", PolicyDocument: doc({ Effect: "Allow", Action: ["sqs:SendMessage", "sqs:ReceiveMessage"], Resource: queue, Condition: { StringEquals: { "aws:RequestedRegion": [REGION] } } }) }),
    );
    await iam.send(new CreateRoleCommand({ RoleName: name, PermissionsBoundary: boundary.Policy!.Arn, AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: doc({ Effect: "Allow", Action: ["sqs:*"], Resource: "*" }) }));
    const url = (await new SQSClient({ ...admin, endpoint: sb.endpoint }).send(new CreateQueueCommand({ QueueName: "bounded-q" }))).QueueUrl!;
    const sqs = new SQSClient({ region: REGION, credentials: sb.assumeRole(arn, "own"), maxAttempts: 1, endpoint: sb.endpoint });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }));
    // The policy allows sqs:*, the boundary does not allow DeleteMessage: denied, naming the boundary.
    const del = await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "r" })).catch((e: Error) => e);
    expect((del as Error).message).toMatch(/because no permissions boundary allows the sqs:DeleteMessage action/);
    // Lambda's poller reading the queue with the role: the request goes to the queue's region.
    expect(await sb.authority.roleMay(arn, "poller", { action: "sqs:ReceiveMessage", resource: queue, resourcePolicy: "sqs-queue" })).toEqual({ allowed: true });
    const elsewhere = await sb.authority.roleMay(arn, "poller", { action: "sqs:ReceiveMessage", resource: queue, context: { "aws:RequestedRegion": "eu-west-1" } });
    expect(elsewhere.allowed).toBe(false);
  });

  it("keeps a destroyed role's grants for the report, as terraform destroys it (policies first, then the role)", async () => {
    const name = "destroyed-role";
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: doc({ Sid: "Unused", Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }) }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: "inline" }));
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
    const snap = await (sb.authority as AuthzPlugin).snapshot();
    expect(snap.roles.find((r) => r.roleArn.endsWith(`:role/${name}`))?.policies).toEqual([expect.objectContaining({ name: "inline" })]);
  });

  it("never evaluates the administrator's calls", async () => {
    await sb.admin.clearAuthzDecisions();
    await new DynamoDBClient({ ...admin, endpoint: sb.endpoint }).send(new PutItemCommand({ TableName: "books", Item: { id: { S: "3" } } }));
    expect(await sb.admin.authzDecisions()).toEqual([]);
  });
});
