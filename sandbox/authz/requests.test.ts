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

/**
 * Only what the mapping reads: which key encrypts a table (Books: a customer managed key, in each
 * region; Plain: none), a queue (`secure`) or a topic (`alerts`: a customer managed key; `managed`:
 * the AWS managed aws/sns key; others none), and key references resolved in their region.
 */
const store = {
  tableKey: async (region: string, table: string) => (table === "Books" ? `arn:aws:kms:${region}:${ACCOUNT}:key/mrk-1` : undefined),
  keyAliases: async () => ["alias/books"],
  queue: async (arn: string) => (arn.endsWith(":secure") ? { keyArn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/queue-key` } : {}),
  topic: async (arn: string) => ({ keyRef: arn.endsWith(":alerts") ? "alias/alerts" : arn.endsWith(":managed") ? "alias/aws/sns" : undefined }),
  keyArn: async (region: string, ref: string) => (ref.startsWith("arn:") ? ref : `arn:aws:kms:${region}:${ACCOUNT}:key/${ref.replace("alias/", "")}`),
} as unknown as PolicyStore;

const auth = (service: string) => `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261130/us-west-2/${service}/aws4_request, SignedHeaders=host, Signature=0`;

/** A REST-protocol call (Lambda): method, path with query, signed for us-west-2. */
function rest(method: string, path: string, service = "lambda") {
  return parseAwsRequest(method, path, { "content-type": "application/json", authorization: auth(service) }, Buffer.from("{}"));
}

/** A symmetric ciphertext as moto writes it: the key id (36 bytes), IV, tag, ciphertext (see ciphertext.ts). */
const blobOf = (keyId: string) => Buffer.concat([Buffer.from(keyId, "latin1"), Buffer.alloc(12, 1), Buffer.alloc(16, 2), Buffer.from("secret")]).toString("base64");

function call(target: string, body: unknown, service = "dynamodb") {
  return parseAwsRequest(
    "POST",
    "/",
    { "x-amz-target": target, "content-type": "application/x-amz-json-1.0", authorization: auth(service) },
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
    // A replica also needs the right to create user pools, with its tags as the request's.
    const replica = await checksFor(call("AWSCognitoIdentityProviderService.CreateUserPoolReplica", { UserPoolId: "us-east-1_abc", RegionName: "us-west-2", UserPoolTags: { env: "local" } }, "cognito-idp"), caller, store);
    const context = { "aws:RequestTag/env": "local", "aws:TagKeys": ["env"] };
    expect(replica).toEqual([
      { action: "cognito-idp:CreateUserPoolReplica", resource: `arn:aws:cognito-idp:us-west-2:${ACCOUNT}:userpool/us-east-1_abc`, context },
      { action: "cognito-idp:CreateUserPool", resource: "*", context },
    ]);
  });

  it("authorizes a Query or Scan of an index on the index ARN, still with the table key", async () => {
    const table = `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/Books`;
    for (const op of ["Query", "Scan"]) {
      const checks = await checksFor(call(`DynamoDB_20120810.${op}`, { TableName: "Books", IndexName: "byEmail" }), caller, store);
      expect(checks.map((c) => [c.action, c.resource])).toEqual([
        [`dynamodb:${op}`, `${table}/index/byEmail`],
        ["kms:Decrypt", KEY],
      ]);
    }
    expect((await checksFor(call("DynamoDB_20120810.Query", { TableName: "Books" }), caller, store))[0]!.resource).toBe(table);
  });

  it("takes a TableName given as an ARN as that table, in its own region", async () => {
    const arn = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Books`;
    const checks = await checksFor(call("DynamoDB_20120810.GetItem", { TableName: arn, Key: {} }), caller, store);
    expect(checks.map((c) => [c.action, c.resource])).toEqual([
      ["dynamodb:GetItem", arn],
      ["kms:Decrypt", `arn:aws:kms:us-east-1:${ACCOUNT}:key/mrk-1`],
    ]);
    const batch = await checksFor(call("DynamoDB_20120810.BatchGetItem", { RequestItems: { [arn]: {} } }), caller, store);
    expect(batch[0]).toEqual({ action: "dynamodb:BatchGetItem", resource: arn });
  });

  it("sets the forward-access context keys on the KMS calls services make for the caller", async () => {
    const [, viaDynamoDb] = await checksFor(call("DynamoDB_20120810.PutItem", { TableName: "Books", Item: {} }), caller, store);
    expect(viaDynamoDb!.context).toMatchObject({
      "aws:ViaAWSService": "true",
      "aws:CalledVia": ["dynamodb.amazonaws.com"],
      "aws:CalledViaFirst": "dynamodb.amazonaws.com",
      "aws:CalledViaLast": "dynamodb.amazonaws.com",
    });
    // SQS is not among the services that set aws:CalledVia: only aws:ViaAWSService.
    const url = `http://127.0.0.1:4599/${ACCOUNT}/secure`;
    const send = await checksFor(call("AmazonSQS.SendMessage", { QueueUrl: url, MessageBody: "x" }, "sqs"), caller, store);
    expect(send.map((c) => c.action)).toEqual(["sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"]);
    expect(send[1]!.context).toMatchObject({ "aws:ViaAWSService": "true", "kms:ViaService": "sqs.us-west-2.amazonaws.com" });
    expect(send[1]!.context).not.toHaveProperty("aws:CalledVia");
  });

  it("authorizes PublishBatch as sns:Publish, with the topic key's GenerateDataKey and Decrypt through SNS", async () => {
    const topic = `arn:aws:sns:us-west-2:${ACCOUNT}:alerts`;
    const form = (action: string, t: string) => parseAwsRequest("POST", "/", { "content-type": "application/x-www-form-urlencoded", authorization: auth("sns") }, Buffer.from(new URLSearchParams({ Action: action, TopicArn: t }).toString()));
    for (const action of ["Publish", "PublishBatch"]) {
      const checks = await checksFor(form(action, topic), caller, store);
      expect(checks.map((c) => [c.action, c.resource, c.impliedBy])).toEqual([
        ["sns:Publish", topic, undefined],
        ["kms:GenerateDataKey", `arn:aws:kms:us-west-2:${ACCOUNT}:key/alerts`, "sns:Publish"],
        ["kms:Decrypt", `arn:aws:kms:us-west-2:${ACCOUNT}:key/alerts`, "sns:Publish"],
      ]);
      expect(checks[1]!.context).toMatchObject({ "kms:ViaService": "sns.us-west-2.amazonaws.com", "aws:ViaAWSService": "true" });
    }
    // aws/sns: the stand-in ARN whose fixed key policy the authorizer uses (managed-keys.ts).
    const managed = await checksFor(form("Publish", `arn:aws:sns:us-west-2:${ACCOUNT}:managed`), caller, store);
    expect(managed[1]!.resource).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/aws-managed-sns`);
    expect(await checksFor(form("Publish", `arn:aws:sns:us-west-2:${ACCOUNT}:plain`), caller, store)).toHaveLength(1);
  });

  it("authorizes an Invoke of a version or alias on its qualified ARN", async () => {
    const fn = `arn:aws:lambda:us-west-2:${ACCOUNT}:function:reconcile`;
    const resource = async (path: string) => (await checksFor(rest("POST", path), caller, store))[0]!.resource;
    expect(await resource("/2015-03-31/functions/reconcile/invocations")).toBe(fn);
    expect(await resource("/2015-03-31/functions/reconcile/invocations?Qualifier=live")).toBe(`${fn}:live`);
    expect(await resource("/2015-03-31/functions/reconcile%3A3/invocations")).toBe(`${fn}:3`);
    expect(await resource(`/2015-03-31/functions/${encodeURIComponent(fn)}/invocations?Qualifier=live`)).toBe(`${fn}:live`);
    expect(await resource(`/2015-03-31/functions/${ACCOUNT}%3Afunction%3Areconcile/invocations`)).toBe(fn);
  });

  it("authorizes ReEncrypt as ReEncryptFrom on the source key and ReEncryptTo on the destination key", async () => {
    const key = (id: string) => `arn:aws:kms:us-west-2:${ACCOUNT}:key/${id}`;
    const named = await checksFor(call("TrentService.ReEncrypt", { SourceKeyId: "old", DestinationKeyId: "new", CiphertextBlob: "AA==" }, "kms"), caller, store);
    expect(named.map((c) => [c.action, c.resource])).toEqual([
      ["kms:ReEncryptFrom", key("old")],
      ["kms:ReEncryptTo", key("new")],
    ]);
    const source = "0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5";
    const fromBlob = await checksFor(call("TrentService.ReEncrypt", { DestinationKeyId: "new", CiphertextBlob: blobOf(source) }, "kms"), caller, store);
    expect(fromBlob[0]).toMatchObject({ action: "kms:ReEncryptFrom", resource: key(source) });
  });

  it("authorizes a Decrypt without KeyId on the key its ciphertext names, and refuses one it cannot read", async () => {
    const mrk = "mrk-0123456789abcdef0123456789abcdef";
    const checks = await checksFor(call("TrentService.Decrypt", { CiphertextBlob: blobOf(mrk) }, "kms"), caller, store);
    // With the key's aliases as kms:ResourceAliases, as on every operation on a key.
    expect(checks).toEqual([{ action: "kms:Decrypt", resource: `arn:aws:kms:us-west-2:${ACCOUNT}:key/${mrk}`, resourcePolicy: "kms-key", context: { "kms:CallerAccount": ACCOUNT, "kms:ResourceAliases": ["alias/books"] } }]);
    await expect(checksFor(call("TrentService.Decrypt", { CiphertextBlob: Buffer.from("not a moto blob").toString("base64") }, "kms"), caller, store)).rejects.toBeInstanceOf(UnmappedRequest);
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
