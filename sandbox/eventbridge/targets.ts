// One delivery attempt of an event to a rule's target, as EventBridge makes it: as the service
// principal events.amazonaws.com, allowed only by the target's resource-based policy (EventBridge
// user guide, "Using resource-based policies for Amazon EventBridge", eb-use-resource-based.html):
// - Lambda: the function's policy must allow lambda:InvokeFunction to events.amazonaws.com; the
//   confused-deputy keys are the rule's ARN (`aws:SourceArn`) and account (`aws:SourceAccount`)
//   (Lambda developer guide, "Invoke a Lambda function on a schedule"/"with EventBridge":
//   `aws lambda add-permission --principal events.amazonaws.com --source-arn <rule ARN>`).
//   EventBridge invokes the function asynchronously (Lambda developer guide, "Invoking a Lambda
//   function asynchronously": EventBridge is among the services that invoke asynchronously); the
//   Lambda plugin then runs it with its own async retries.
// - SQS: the queue policy must allow sqs:SendMessage to events.amazonaws.com (same page, "Amazon
//   SQS permissions"); a queue with SSE-KMS under a customer managed key also needs the key policy
//   to let events.amazonaws.com kms:GenerateDataKey and kms:Decrypt (EventBridge user guide,
//   "Troubleshooting": "the key policy must ... allow EventBridge"); an AWS managed aws/sqs key
//   cannot (its fixed policy allows only the account's principals); SSE-SQS needs nothing.
// The calls themselves go through the gateway with the sandbox's own key (already decided here),
// so injected faults and outages apply to them as to any call.

import { randomUUID } from "node:crypto";
import { AwsCallError, awsJson, fakeSigV4, httpCall, motoJson, parseArn, parseJsonObject } from "../aws";
import { keyArnFor } from "../authz/managed-keys";
import type { Authority, PermissionCheck } from "../types";
import type { Target } from "./rules";

export const EVENTS_PRINCIPAL = "events.amazonaws.com";

export interface Attempt {
  outcome: "delivered" | "denied" | "failed";
  reason?: string;
  /** A throttle or server error: worth another attempt. */
  retryable?: boolean;
}

export interface TargetContext {
  gatewayEndpoint: string;
  motoEndpoint: string;
  authority?: Authority;
  ruleArn: string;
}

async function allowed(ctx: TargetContext, checks: PermissionCheck[]): Promise<string | undefined> {
  if (!ctx.authority) return undefined;
  const source = { arn: ctx.ruleArn, account: parseArn(ctx.ruleArn).account };
  for (const c of checks) {
    const r = await ctx.authority.serviceMay(EVENTS_PRINCIPAL, source, c);
    if (!r.allowed) return r.message ?? `${EVENTS_PRINCIPAL} may not ${c.action} ${c.resource}`;
  }
  return undefined;
}

const retryable = (status: number) => status === 429 || status >= 500;

async function toLambda(ctx: TargetContext, fn: string, payload: string): Promise<Attempt> {
  const denied = await allowed(ctx, [{ action: "lambda:InvokeFunction", resource: fn, resourcePolicy: "lambda-function" }]);
  if (denied) return { outcome: "denied", reason: denied };
  const body = Buffer.from(payload);
  const res = await httpCall(
    ctx.gatewayEndpoint,
    "POST",
    `/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`,
    { "content-type": "application/json", "x-amz-invocation-type": "Event", authorization: fakeSigV4({ region: parseArn(fn).region, service: "lambda" }), "content-length": String(body.length) },
    body,
  ).catch((e: Error) => ({ status: 503, headers: {}, body: Buffer.from(JSON.stringify({ message: e.message })) }));
  if (res.status === 202) return { outcome: "delivered" };
  const answer = parseJsonObject(res) ?? {};
  return { outcome: "failed", reason: `Lambda answered ${res.status}: ${String(answer.Message ?? answer.message ?? res.body.toString())}`, retryable: retryable(res.status) };
}

async function toQueue(ctx: TargetContext, target: Target & { SqsParameters?: { MessageGroupId?: string } }, payload: string): Promise<Attempt> {
  const q = parseArn(target.Arn);
  const url = await motoJson(ctx.motoEndpoint, "sqs", q.region, "GetQueueUrl", { QueueName: q.resource, QueueOwnerAWSAccountId: q.account }).catch(() => undefined);
  if (!url?.QueueUrl) return { outcome: "failed", reason: `no queue ${target.Arn}` };
  const attrs = await motoJson(ctx.motoEndpoint, "sqs", q.region, "GetQueueAttributes", { QueueUrl: url.QueueUrl, AttributeNames: ["KmsMasterKeyId"] }).catch(() => ({}));
  const keyId: string | undefined = attrs.Attributes?.KmsMasterKeyId || undefined;
  const checks: PermissionCheck[] = [{ action: "sqs:SendMessage", resource: target.Arn, resourcePolicy: "sqs-queue" }];
  if (keyId) {
    const key = keyArnFor(keyId, q.region, q.account);
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) checks.push({ action, resource: key, resourcePolicy: "kms-key", context: { "kms:ViaService": `sqs.${q.region}.amazonaws.com` } });
  }
  const denied = await allowed(ctx, checks);
  if (denied) return { outcome: "denied", reason: denied };
  const group = target.SqsParameters?.MessageGroupId;
  try {
    await awsJson({
      endpoint: ctx.gatewayEndpoint,
      service: "sqs",
      region: q.region,
      operation: "SendMessage",
      body: { QueueUrl: url.QueueUrl, MessageBody: payload, ...(group ? { MessageGroupId: group, MessageDeduplicationId: randomUUID() } : {}) },
    });
    return { outcome: "delivered" };
  } catch (e) {
    const status = e instanceof AwsCallError ? e.status : 503;
    return { outcome: "failed", reason: `SQS answered ${status}: ${(e as Error).message}`, retryable: retryable(status) };
  }
}

/** One attempt to hand `payload` to `target`. */
export function deliverOnce(ctx: TargetContext, target: Target, payload: string): Promise<Attempt> {
  const arn = parseArn(target.Arn);
  if (arn.service === "lambda" && arn.resource.startsWith("function:")) return toLambda(ctx, target.Arn, payload);
  if (arn.service === "sqs") return toQueue(ctx, target, payload);
  return Promise.resolve({ outcome: "failed", reason: `the sandbox delivers to Lambda functions and SQS queues only, not ${target.Arn}` });
}
