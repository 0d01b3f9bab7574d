/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// What AWS authorizes for one API call: the IAM action and resource of the call itself, and the
// permissions the call implies on other resources (the KMS key of an encrypted table, queue or
// topic). Each rule names the AWS page it comes from.

import type { AwsRequest, PermissionCheck } from "../types";
import { parseArn } from "../aws";
import { keyIdOfCiphertext } from "./ciphertext";
import { queueKeyChecks, tableKeyChecks, topicKeyChecks } from "./implied-kms";
import type { PolicyStore } from "./policies";
import type { RolePrincipal } from "./principal";
import { controlPlaneChecks } from "./calls";

export interface Check extends PermissionCheck {
  /** The queue's URL, for reading its policy (SQS addresses queues by URL). */
  queueUrl?: string;
  /** Set for a permission AWS checks on the caller's behalf: `dynamodb:PutItem` for the table's key. */
  impliedBy?: string;
  /** Other actions any one of which also satisfies this check (`logs:TagLogGroup` beside `logs:TagResource`). */
  orActions?: string[];
  /** Whose tags are `aws:ResourceTag/*` (default: the resource), or the tags themselves for a resource not created yet. */
  resourceTags?: string | Record<string, string>;
  /** AWS's answer when this check fails, when it is not the service's access denied error. */
  denial?: { status: number; code: string; message: string };
  /**
   * Not a refusal: when this check fails the call still succeeds, without the answer's `field`, and
   * with `errorField` saying why (GetFunction's Tags without lambda:ListTags: its TagsError).
   */
  withholds?: { field: string; errorField: string };
}

export class UnmappedRequest extends Error {}

const json = (req: AwsRequest): any => (req.json ?? {}) as any;

/** Form (query protocol) parameters, or the JSON body's. */
function params(req: AwsRequest): Record<string, any> {
  if (req.json !== undefined) return req.json as Record<string, any>;
  const form = new URLSearchParams(req.body.toString("utf8"));
  const out: Record<string, string> = {};
  for (const [k, v] of form) out[k] = v;
  for (const [k, v] of req.query) out[k] ??= v;
  return out;
}

// ------------------------------------------------------------------ DynamoDB

/**
 * Operations that read or write items and so need the table key. DynamoDB developer guide,
 * "Encryption at rest: how it works / usage notes" (encryption.usagenotes.html): "When you first
 * access an encrypted table, DynamoDB sends a request to AWS KMS to use the KMS key to decrypt the
 * table key", and its CloudTrail example shows that Decrypt made as "the principal in your AWS
 * account who is accessing the table". Only kms:Decrypt is the caller's: GenerateDataKey (the
 * table key) is made by DynamoDB itself under its grant. The key policy example conditions this
 * on `kms:ViaService` `dynamodb.*.amazonaws.com`.
 */
export const ITEM_OPERATIONS = new Set([
  "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
  "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
]);

function tableArn(region: string, account: string, partition: string, table: string): string {
  return `arn:${partition}:dynamodb:${region}:${account}:table/${table}`;
}

/**
 * A `TableName` (or a `RequestItems` key) is a table's name or its ARN (DynamoDB API reference,
 * e.g. GetItem, TableName: "You can also provide the Amazon Resource Name (ARN) of the table in
 * this parameter."): the table's ARN, and the name and region its key is looked up by.
 */
function tableOf(ref: string, region: string, account: string, partition: string): { arn: string; name: string; region: string } {
  if (!ref.startsWith("arn:")) return { arn: tableArn(region, account, partition, ref), name: ref, region };
  const a = parseArn(ref);
  return { arn: ref, name: a.resource.replace(/^table\//, ""), region: a.region };
}

/** Table names (or ARNs) an item operation touches. */
function tablesOf(op: string, body: any): string[] {
  if (op === "BatchGetItem" || op === "BatchWriteItem") return Object.keys(body.RequestItems ?? {});
  if (op === "TransactGetItems" || op === "TransactWriteItems") {
    return (body.TransactItems ?? []).map((t: any) => Object.values(t ?? {})[0] as any).map((x: any) => x?.TableName).filter(Boolean);
  }
  return body.TableName ? [String(body.TableName)] : [];
}

async function dynamodb(req: AwsRequest, caller: RolePrincipal, store: PolicyStore): Promise<Check[]> {
  const op = req.operation ?? "";
  const body = json(req);
  const streams = (req.headers["x-amz-target"] ?? "").startsWith("DynamoDBStreams");
  const { region } = req;
  const { accountId: account, partition } = caller;
  if (streams) {
    if (op === "ListStreams") return [{ action: "dynamodb:ListStreams", resource: "*" }];
    const streamArn = op === "GetRecords" ? String(body.ShardIterator ?? "").split("|")[0]! : String(body.StreamArn ?? "");
    if (!streamArn.startsWith("arn:")) throw new UnmappedRequest(`DynamoDB Streams ${op} without a stream ARN`);
    const checks: Check[] = [{ action: `dynamodb:${op}`, resource: streamArn }];
    if (op === "GetRecords") {
      // Streams are encrypted with the table's key (encryption.usagenotes.html: "DynamoDB streams are
      // always encrypted with a table-level encryption key"). AWS does not say whether the reader's
      // own kms:Decrypt is checked; the AWS CDK grants it to stream readers (aws/aws-cdk#22796,
      // fixed by PR #23400), and so does the sandbox: the conservative reading.
      const table = /:table\/([^/]+)\/stream\//.exec(streamArn)?.[1];
      if (table) checks.push(...(await tableKeyChecks(store, parseArn(streamArn).region, account, table, "dynamodb:GetRecords")));
    }
    return checks;
  }
  if (op === "ListTables") return [{ action: "dynamodb:ListTables", resource: "*" }];
  if (op === "ListTagsOfResource" || op === "TagResource" || op === "UntagResource") return [{ action: `dynamodb:${op}`, resource: String(body.ResourceArn) }];
  const tables = tablesOf(op, body);
  if (tables.length === 0) throw new UnmappedRequest(`DynamoDB ${op} names no table`);
  const checks: Check[] = [];
  for (const ref of new Set(tables)) {
    const t = tableOf(ref, region, account, partition);
    if (op === "TransactWriteItems") {
      for (const item of body.TransactItems ?? []) {
        const [kind, v] = Object.entries(item ?? {})[0] ?? [];
        if ((v as any)?.TableName !== ref) continue;
        const action = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" }[kind as string];
        if (action) checks.push({ action: `dynamodb:${action}`, resource: t.arn });
      }
    } else if ((op === "Query" || op === "Scan") && typeof body.IndexName === "string") {
      // A Query or Scan of a secondary index is authorized on the index (Service Authorization
      // Reference, DynamoDB: resource type `index`, `table/${TableName}/index/${IndexName}`; the
      // developer guide's iam-policy-specific-table-indexes.html grants Query and Scan on
      // `table/Books/index/*` next to the table for exactly this).
      checks.push({ action: `dynamodb:${op}`, resource: `${t.arn}/index/${body.IndexName}` });
    } else {
      const action = op === "TransactGetItems" ? "GetItem" : op;
      checks.push({ action: `dynamodb:${action}`, resource: t.arn });
    }
    if (ITEM_OPERATIONS.has(op)) checks.push(...(await tableKeyChecks(store, t.region, account, t.name, `dynamodb:${op}`)));
  }
  return dedupe(checks);
}

// ------------------------------------------------------------------ SQS

const SQS_BATCH: Record<string, string> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or the gateway's host) → queue ARN. */
export function queueArnFromUrl(url: string, region: string, partition: string): string {
  const parts = new URL(url).pathname.split("/").filter(Boolean);
  if (parts.length < 2) throw new UnmappedRequest(`not an SQS queue URL: ${url}`);
  return `arn:${partition}:sqs:${region}:${parts[0]}:${parts[1]}`;
}

async function sqs(req: AwsRequest, caller: RolePrincipal, store: PolicyStore): Promise<Check[]> {
  const op = req.operation ?? "";
  const p = params(req);
  if (op === "ListQueues") return [{ action: "sqs:ListQueues", resource: "*" }];
  let arn: string;
  if (op === "GetQueueUrl" || op === "CreateQueue") {
    arn = `arn:${caller.partition}:sqs:${req.region}:${p.QueueOwnerAWSAccountId ?? caller.accountId}:${p.QueueName}`;
  } else if (typeof p.QueueUrl === "string") {
    arn = queueArnFromUrl(p.QueueUrl, req.region, caller.partition);
  } else {
    throw new UnmappedRequest(`SQS ${op} without a QueueUrl`);
  }
  const action = `sqs:${SQS_BATCH[op] ?? op}`;
  const queueUrl = typeof p.QueueUrl === "string" ? p.QueueUrl : undefined;
  const checks: Check[] = [{ action, resource: arn, resourcePolicy: "sqs-queue", queueUrl }];
  if (typeof p.QueueUrl === "string" && ["SendMessage", "ReceiveMessage"].includes(SQS_BATCH[op] ?? op)) {
    const q = await store.queue(arn, p.QueueUrl).catch(() => undefined);
    if (q?.keyArn) checks.push(...queueKeyChecks(q.keyArn, op.startsWith("Send"), req.region, caller.accountId, action));
  }
  return checks;
}

// ------------------------------------------------------------------ Cognito, KMS, SNS, Lambda

function cognito(req: AwsRequest, caller: RolePrincipal): Check[] {
  const op = req.operation ?? "";
  const body = json(req);
  if (op === "ListUserPools") return [{ action: "cognito-idp:ListUserPools", resource: "*" }];
  const pool = body.UserPoolId;
  if (typeof pool !== "string") throw new UnmappedRequest(`Cognito ${op} names no user pool`);
  return [{ action: `cognito-idp:${op}`, resource: `arn:${caller.partition}:cognito-idp:${req.region}:${caller.accountId}:userpool/${pool}` }];
}

async function kms(req: AwsRequest, caller: RolePrincipal, store: PolicyStore): Promise<Check[]> {
  const op = req.operation ?? "";
  const body = json(req);
  if (["ListKeys", "ListAliases", "CreateKey", "GenerateRandom"].includes(op) && !body.KeyId) return [{ action: `kms:${op}`, resource: "*" }];
  // kms:ResourceAliases on every operation on a key (KMS developer guide, "kms:ResourceAliases":
  // "a key resource operation"); a key without an alias has none.
  const onKey = async (action: string, ref: string) => {
    const resource = await store.keyArn(req.region, ref);
    const aliases = await store.keyAliases(resource).catch(() => [] as string[]);
    return { action, resource, resourcePolicy: "kms-key" as const, context: { "kms:CallerAccount": caller.accountId, ...(aliases.length ? { "kms:ResourceAliases": aliases } : {}) } };
  };
  if (op === "ReEncrypt") {
    // KMS API reference, ReEncrypt, "Required permissions": kms:ReEncryptFrom on the source key and
    // kms:ReEncryptTo on the destination key (there is no kms:ReEncrypt action). The source key is
    // optional for a symmetric ciphertext, which names it (ciphertext.ts).
    const source = body.SourceKeyId ?? keyIdOfCiphertext(body.CiphertextBlob);
    if (typeof source !== "string" || typeof body.DestinationKeyId !== "string") throw new UnmappedRequest("KMS ReEncrypt whose source or destination key the sandbox cannot tell");
    return [await onKey("kms:ReEncryptFrom", source), await onKey("kms:ReEncryptTo", body.DestinationKeyId)];
  }
  // Decrypt may omit KeyId: a symmetric ciphertext carries its key (ciphertext.ts).
  const ref = body.KeyId ?? (op === "Decrypt" ? keyIdOfCiphertext(body.CiphertextBlob) : undefined);
  if (typeof ref !== "string") throw new UnmappedRequest(`KMS ${op} names no key`);
  return [await onKey(`kms:${op}`, ref)];
}

/** SNS API actions authorized as another IAM action (Service Authorization Reference, Amazon SNS: PublishBatch is granted by sns:Publish). */
const SNS_ACTIONS: Record<string, string> = { PublishBatch: "Publish" };

async function sns(req: AwsRequest, caller: RolePrincipal, store: PolicyStore): Promise<Check[]> {
  const op = req.operation ?? "";
  const p = params(req);
  const topic = p.TopicArn ?? p.TargetArn;
  if (op === "ListTopics") return [{ action: "sns:ListTopics", resource: "*" }];
  if (typeof topic !== "string") throw new UnmappedRequest(`SNS ${op} names no topic`);
  const action = `sns:${SNS_ACTIONS[op] ?? op}`;
  const checks: Check[] = [{ action, resource: topic, resourcePolicy: "sns-topic" }];
  if (action === "sns:Publish" && topic.includes(":sns:")) checks.push(...(await topicKeyChecks(store, topic, caller.accountId, action)));
  return checks;
}

/**
 * The function an Invoke names, as IAM sees it: a name, a partial ARN (`<account>:function:<name>`)
 * or an ARN, each optionally with a version or alias, or the `Qualifier` query parameter.
 */
function invokedFunction(ref: string, qualifier: string | null, region: string, caller: RolePrincipal): string {
  const name = decodeURIComponent(ref);
  const base = name.startsWith("arn:") ? name : /^\d{12}:function:/.test(name) ? `arn:${caller.partition}:lambda:${region}:${name}` : `arn:${caller.partition}:lambda:${region}:${caller.accountId}:function:${name}`;
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  return qualifier && base.split(":").length === 7 ? `${base}:${qualifier}` : base;
}

function lambda(req: AwsRequest, caller: RolePrincipal): Check[] {
  const m = /^\/20\d\d-\d\d-\d\d\/functions\/([^/]+)(\/.*)?$/.exec(req.path);
  const fnArn = (ref: string) => invokedFunction(ref, null, req.region, caller);
  if (m && m[2] === "/invocations" && req.method === "POST") {
    // Invoking a version or alias is authorized on its qualified ARN, which a policy naming the
    // unqualified ARN does not match (Lambda developer guide, using-aliases.html: a permission on an
    // alias "allows you to invoke the helloworld function using the alias ARN"; invoked another way
    // "you get a permission error"; lambda-api-permissions-ref.html: function actions can be
    // restricted "by function, version, or alias ARN"). The resource policy read is the qualifier's.
    return [{ action: "lambda:InvokeFunction", resource: invokedFunction(m[1]!, req.query.get("Qualifier"), req.region, caller), resourcePolicy: "lambda-function" }];
  }
  if (m && !m[2] && req.method === "GET") return [{ action: "lambda:GetFunction", resource: fnArn(m[1]!), resourcePolicy: "lambda-function" }];
  if (m && m[2] === "/configuration" && req.method === "GET") return [{ action: "lambda:GetFunctionConfiguration", resource: fnArn(m[1]!), resourcePolicy: "lambda-function" }];
  throw new UnmappedRequest(`Lambda ${req.method} ${req.path}`);
}

function dedupe(checks: Check[]): Check[] {
  const seen = new Set<string>();
  return checks.filter((c) => {
    const k = `${c.action} ${c.resource} ${c.impliedBy ?? ""}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The checks AWS makes for `req` by `caller`. Throws UnmappedRequest for a call the sandbox
 * cannot map yet: failing loudly beats allowing what AWS might deny.
 */
export async function checksFor(req: AwsRequest, caller: RolePrincipal, store: PolicyStore): Promise<Check[]> {
  const control = await controlPlaneChecks({ req, caller, store });
  if (control) return control;
  switch (req.service) {
    case "dynamodb":
      return dynamodb(req, caller, store);
    case "sqs":
      return sqs(req, caller, store);
    case "cognito-idp":
      return cognito(req, caller);
    case "kms":
      return kms(req, caller, store);
    case "sns":
      return sns(req, caller, store);
    case "lambda":
      return lambda(req, caller);
    case "sts":
      // GetCallerIdentity needs no permission (STS API reference); nothing else is mapped.
      if (req.operation === "GetCallerIdentity") return [];
      break;
  }
  throw new UnmappedRequest(`${req.service}:${req.operation ?? req.path}`);
}
