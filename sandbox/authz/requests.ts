/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// What AWS authorizes for one API call: the IAM action and resource of the call itself, and the
// permissions the call implies on other resources (the KMS key of an encrypted table, queue or
// topic). Each rule names the AWS page it comes from.

import type { AwsRequest, PermissionCheck } from "../types";
import { parseArn } from "../aws";
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
  /** The resource policy to evaluate instead of the resource's own: a key policy not created yet. */
  resourcePolicyDocument?: unknown;
  /** Whose tags are `aws:ResourceTag/*` (default: the resource), or the tags themselves for a resource not created yet. */
  resourceTags?: string | Record<string, string>;
  /** AWS's answer when this check fails, when it is not the service's access denied error. */
  denial?: { status: number; code: string; message: string };
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

/** Table names an item operation touches. */
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
  for (const t of new Set(tables)) {
    if (op === "TransactWriteItems") {
      for (const item of body.TransactItems ?? []) {
        const [kind, v] = Object.entries(item ?? {})[0] ?? [];
        if ((v as any)?.TableName !== t) continue;
        const action = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" }[kind as string];
        if (action) checks.push({ action: `dynamodb:${action}`, resource: tableArn(region, account, partition, t) });
      }
    } else {
      const action = op === "TransactGetItems" ? "GetItem" : op;
      checks.push({ action: `dynamodb:${action}`, resource: tableArn(region, account, partition, t) });
    }
    if (ITEM_OPERATIONS.has(op)) checks.push(...(await tableKeyChecks(store, region, account, t, `dynamodb:${op}`)));
  }
  return dedupe(checks);
}

async function tableKeyChecks(store: PolicyStore, region: string, account: string, table: string, impliedBy: string): Promise<Check[]> {
  const key = await store.tableKey(region, table).catch(() => undefined);
  if (!key) return [];
  const aliases = await store.keyAliases(key).catch(() => [] as string[]);
  return [
    {
      action: "kms:Decrypt",
      resource: key,
      resourcePolicy: "kms-key",
      impliedBy,
      context: {
        "kms:ViaService": `dynamodb.${region}.amazonaws.com`,
        "kms:CallerAccount": account,
        "kms:EncryptionContext:aws:dynamodb:tableName": table,
        "kms:EncryptionContext:aws:dynamodb:subscriberId": account,
        "aws:CalledVia": ["dynamodb.amazonaws.com"],
        ...(aliases.length ? { "kms:ResourceAliases": aliases } : {}),
      },
    },
  ];
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
    if (q?.keyArn) {
      // SQS developer guide, "Key management" (sqs-key-management.html): producers need
      // kms:GenerateDataKey and kms:Decrypt, consumers kms:Decrypt, on the queue's key.
      const actions = op.startsWith("Send") ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:Decrypt"];
      for (const a of actions) {
        checks.push({
          action: a,
          resource: q.keyArn,
          resourcePolicy: "kms-key",
          impliedBy: action,
          context: { "kms:ViaService": `sqs.${req.region}.amazonaws.com`, "kms:CallerAccount": caller.accountId, "aws:CalledVia": ["sqs.amazonaws.com"] },
        });
      }
    }
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
  const ref = body.KeyId ?? body.DestinationKeyId;
  if (typeof ref !== "string") throw new UnmappedRequest(`KMS ${op} names no key`);
  const key = await store.keyArn(req.region, ref);
  return [{ action: `kms:${op}`, resource: key, resourcePolicy: "kms-key", context: { "kms:CallerAccount": caller.accountId } }];
}

function sns(req: AwsRequest): Check[] {
  const op = req.operation ?? "";
  const p = params(req);
  const topic = p.TopicArn ?? p.TargetArn;
  if (op === "ListTopics") return [{ action: "sns:ListTopics", resource: "*" }];
  if (typeof topic !== "string") throw new UnmappedRequest(`SNS ${op} names no topic`);
  return [{ action: `sns:${op}`, resource: topic, resourcePolicy: "sns-topic" }];
}

function lambda(req: AwsRequest, caller: RolePrincipal): Check[] {
  const m = /^\/20\d\d-\d\d-\d\d\/functions\/([^/]+)(\/.*)?$/.exec(req.path);
  const fnArn = (ref: string) => {
    const name = decodeURIComponent(ref);
    return name.startsWith("arn:") ? name : `arn:${caller.partition}:lambda:${req.region}:${caller.accountId}:function:${name}`;
  };
  if (m && m[2] === "/invocations" && req.method === "POST") return [{ action: "lambda:InvokeFunction", resource: fnArn(m[1]!), resourcePolicy: "lambda-function" }];
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
      return sns(req);
    case "lambda":
      return lambda(req, caller);
    case "sts":
      // GetCallerIdentity needs no permission (STS API reference); nothing else is mapped.
      if (req.operation === "GetCallerIdentity") return [];
      break;
  }
  throw new UnmappedRequest(`${req.service}:${req.operation ?? req.path}`);
}
