// From an API call to the IAM actions and resources AWS authorizes, including the KMS permission
// an encrypted table implies; credentials to role sessions; the unused-grant computation.

import { describe, expect, it } from "vitest";
import { parseAwsRequest } from "../gateway";
import { Identities } from "./identities";
import type { PolicyStore } from "./policies";
import { roleSession } from "./principal";
import { checksFor, queueArnFromUrl, UnmappedRequest } from "./requests";
import { unusedGrants } from "./unused";

const ACCOUNT = "123456789012";
const caller = roleSession(`arn:aws:iam::${ACCOUNT}:role/cdr-local-replicate-user-role`, "cdr-local-replicate-user");
const KEY = `arn:aws:kms:us-west-2:${ACCOUNT}:key/mrk-1`;

/** Only what the mapping reads: which key encrypts a table (Books: a customer managed key; Plain: none). */
const store = {
  tableKey: async (_region: string, table: string) => (table === "Books" ? KEY : undefined),
  keyAliases: async () => ["alias/books"],
  queue: async () => ({}),
  keyArn: async (_region: string, ref: string) => (ref.startsWith("arn:") ? ref : `arn:aws:kms:us-west-2:${ACCOUNT}:key/${ref.replace("alias/", "")}`),
} as unknown as PolicyStore;

function call(target: string, body: unknown, service = "dynamodb") {
  return parseAwsRequest(
    "POST",
    "/",
    {
      "x-amz-target": target,
      "content-type": "application/x-amz-json-1.0",
      authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261130/us-west-2/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    Buffer.from(JSON.stringify(body)),
  );
}

describe("checksFor", () => {
  it("adds the table key's kms:Decrypt, through DynamoDB, to an item write on an encrypted table", async () => {
    const checks = await checksFor(call("DynamoDB_20120810.PutItem", { TableName: "Books", Item: {} }), caller, store);
    expect(checks).toEqual([
      { action: "dynamodb:PutItem", resource: `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/Books` },
      expect.objectContaining({
        action: "kms:Decrypt",
        resource: KEY,
        resourcePolicy: "kms-key",
        impliedBy: "dynamodb:PutItem",
        context: expect.objectContaining({ "kms:ViaService": "dynamodb.us-west-2.amazonaws.com", "kms:CallerAccount": ACCOUNT, "kms:ResourceAliases": ["alias/books"] }),
      }),
    ]);
  });

  it("implies no key for a table without a customer managed key, nor for control-plane calls", async () => {
    expect(await checksFor(call("DynamoDB_20120810.GetItem", { TableName: "Plain", Key: {} }), caller, store)).toHaveLength(1);
    expect(await checksFor(call("DynamoDB_20120810.DescribeTable", { TableName: "Books" }), caller, store)).toEqual([
      { action: "dynamodb:DescribeTable", resource: `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/Books` },
    ]);
  });

  it("checks every table of a batch", async () => {
    const checks = await checksFor(call("DynamoDB_20120810.BatchWriteItem", { RequestItems: { Books: [], Plain: [] } }), caller, store);
    expect(checks.map((c) => `${c.action} ${c.resource.split(":").pop()}`)).toEqual([
      "dynamodb:BatchWriteItem table/Books",
      "kms:Decrypt key/mrk-1",
      "dynamodb:BatchWriteItem table/Plain",
    ]);
  });

  it("reads stream records against the stream ARN in the shard iterator, with the table key", async () => {
    const stream = `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/Books/stream/2026-11-30T00:00:00.000`;
    const checks = await checksFor(call("DynamoDBStreams_20120810.GetRecords", { ShardIterator: `${stream}|1|AAAA` }), caller, store);
    expect(checks.map((c) => [c.action, c.resource])).toEqual([
      ["dynamodb:GetRecords", stream],
      ["kms:Decrypt", KEY],
    ]);
    expect(await checksFor(call("DynamoDBStreams_20120810.ListStreams", {}), caller, store)).toEqual([{ action: "dynamodb:ListStreams", resource: "*" }]);
  });

  it("maps SQS batch calls to their IAM action and queue URLs to ARNs", async () => {
    const url = `http://127.0.0.1:4599/${ACCOUNT}/cdr-local-replicator-dlq`;
    const checks = await checksFor(call("AmazonSQS.SendMessageBatch", { QueueUrl: url, Entries: [] }, "sqs"), caller, store);
    expect(checks).toEqual([{ action: "sqs:SendMessage", resource: `arn:aws:sqs:us-west-2:${ACCOUNT}:cdr-local-replicator-dlq`, resourcePolicy: "sqs-queue", queueUrl: url }]);
    expect(queueArnFromUrl(`https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/q`, "eu-west-1", "aws")).toBe(`arn:aws:sqs:eu-west-1:${ACCOUNT}:q`);
  });

  it("authorizes Cognito admin calls on the pool ARN and ListUserPools on *", async () => {
    const create = await checksFor(call("AWSCognitoIdentityProviderService.AdminCreateUser", { UserPoolId: "us-west-2_abc", Username: "u" }, "cognito-idp"), caller, store);
    expect(create).toEqual([{ action: "cognito-idp:AdminCreateUser", resource: `arn:aws:cognito-idp:us-west-2:${ACCOUNT}:userpool/us-west-2_abc` }]);
    const list = await checksFor(call("AWSCognitoIdentityProviderService.ListUserPools", { MaxResults: 60 }, "cognito-idp"), caller, store);
    expect(list).toEqual([{ action: "cognito-idp:ListUserPools", resource: "*" }]);
  });

  it("refuses to guess a call it cannot map", async () => {
    await expect(checksFor(call("Logs_20140328.PutLogEvents", {}, "logs"), caller, store)).rejects.toBeInstanceOf(UnmappedRequest);
    await expect(checksFor(call("AWSCognitoIdentityProviderService.AdminGetUser", { Username: "u" }, "cognito-idp"), caller, store)).rejects.toBeInstanceOf(UnmappedRequest);
  });
});

describe("Identities", () => {
  it("maps a role session's key back to the session, and any other key to the administrator", () => {
    const ids = new Identities();
    const creds = ids.issue(caller.roleArn, "fn", "sandbox-lambda:fn");
    expect(creds.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(ids.issue(caller.roleArn, "fn", "sandbox-lambda:fn")).toEqual(creds);
    const auth = (key: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=${key}/20261130/us-west-2/dynamodb/aws4_request, SignedHeaders=host, Signature=0` });
    expect(ids.principalOf(auth(creds.accessKeyId))).toMatchObject({ kind: "role", roleName: "cdr-local-replicate-user-role", sessionName: "fn", accountId: ACCOUNT });
    expect(ids.principalOf(auth("sandbox"))).toEqual({ kind: "admin" });
    expect(ids.principalOf({})).toEqual({ kind: "admin" });
    expect(ids.issue(caller.roleArn, "other").accessKeyId).not.toBe(creds.accessKeyId);
  });
});

describe("unusedGrants", () => {
  const policy = {
    name: "least-privilege",
    policy: {
      Statement: [
        { Sid: "Upsert", Effect: "Allow", Action: ["cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser"], Resource: ["arn:pool"] },
        { Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:q" },
      ],
    },
  };
  const decision = (action: string, statements: string[], allowed = true) => ({ principal: "p", role: caller.roleArn, action, resource: "r", allowed, statements, count: 1, first: "", last: "" });

  it("lists each granted action no allowed call used through that statement", () => {
    const unused = unusedGrants({ roleArn: caller.roleArn, policies: [policy] }, [
      decision("cognito-idp:AdminCreateUser", ["identity:least-privilege#Upsert"]),
      decision("sqs:SendMessage", ["identity:least-privilege#2"], false),
    ]);
    expect(unused.map((u) => `${u.statement} ${u.action}`)).toEqual(["Upsert cognito-idp:AdminDeleteUser", "2 sqs:SendMessage"]);
  });
});
