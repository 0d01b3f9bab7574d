// What Lambda checks of a function's execution role, which moto never does: that Lambda may assume
// it, that an event source mapping's role can read the stream, and that the role may write the
// function's logs. Decided by the sandbox's authorizer on the policies as created.

import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateEventSourceMappingCommand, CreateFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = (service: string) => doc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
const ZIP = zipSync({ "index.js": strToU8("exports.handler = async () => { console.log('ran'); return 'ok'; };") });

describe.skipIf(!!skip)("Lambda's checks of the execution role", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let iam: IAMClient;
  let lambda: LambdaClient;
  let streamArn: string;

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, cognitoQuotas: UNMETERED });
    const cfg = { region: REGION, endpoint: sb.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" }, maxAttempts: 1 };
    iam = new IAMClient(cfg);
    lambda = new LambdaClient(cfg);
    const t = await new DynamoDBClient(cfg).send(
      new CreateTableCommand({
        TableName: "roles-test",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      }),
    );
    streamArn = t.TableDescription!.LatestStreamArn!;
  });
  afterAll(async () => {
    await sb?.stop();
  });

  const role = async (name: string, service: string) => (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(service) }))).Role!.Arn!;
  const fn = (name: string, roleArn: string) => lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: "nodejs22.x", Handler: "index.handler", Role: roleArn, Code: { ZipFile: ZIP } }));

  it("refuses a role whose trust policy does not let Lambda assume it", async () => {
    const arn = await role("scheduler-only", "scheduler.amazonaws.com");
    await expect(fn("untrusted", arn)).rejects.toMatchObject({ name: "InvalidParameterValueException", message: "The role defined for the function cannot be assumed by Lambda." });
  });

  it("refuses a stream mapping whose role cannot read the stream, then accepts it once the role can", async () => {
    const arn = await role("stream-reader", "lambda.amazonaws.com");
    await fn("reader", arn);
    const map = () => lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "reader", EventSourceArn: streamArn, StartingPosition: "TRIM_HORIZON" }));
    await expect(map()).rejects.toMatchObject({ name: "InvalidParameterValueException", message: expect.stringContaining(`Cannot access stream ${streamArn}.`) });
    // ListStreams has no resource type: only "*" grants it (Service Authorization Reference).
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "stream-reader",
        PolicyName: "read",
        PolicyDocument: doc({ Effect: "Allow", Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], Resource: `${streamArn.split("/stream/")[0]}/stream/*` }),
      }),
    );
    await expect(map()).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "stream-reader",
        PolicyName: "list",
        PolicyDocument: doc({ Effect: "Allow", Action: ["dynamodb:ListStreams"], Resource: "*" }),
      }),
    );
    expect((await map()).UUID).toBeTruthy();
  });

  it("runs a function whose role may not write its logs, and says that AWS would lose them", async () => {
    const arn = await role("no-logs", "lambda.amazonaws.com");
    await fn("quiet", arn);
    const r = await lambda.send(new InvokeCommand({ FunctionName: "quiet" }));
    expect(Buffer.from(r.Payload!).toString()).toBe('"ok"');
    const lines = sb.lambda!.logs("quiet", REGION).map((l) => l.line);
    expect(lines.some((l) => l.includes("in AWS this function's logs would be lost") && l.includes("logs:CreateLogStream"))).toBe(true);
  });
});
