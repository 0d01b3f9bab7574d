// One firing of a schedule whose target is a Lambda function, as EventBridge Scheduler does it:
//
// 1. Scheduler assumes the schedule's execution role as scheduler.amazonaws.com. The role's trust
//    policy decides, with `aws:SourceAccount` (the schedule's account) and `aws:SourceArn` (the
//    schedule *group*'s ARN) in the request: Scheduler User Guide, "Setting up Amazon EventBridge
//    Scheduler" > "Set up the execution role" (setting-up.html) and "Confused deputy prevention"
//    (cross-service-confused-deputy-prevention.html: "The value of aws:SourceArn must be your
//    EventBridge Scheduler schedule group ARN"; "Do not scope the aws:SourceArn statement to a
//    specific schedule").
// 2. As that role session it calls Lambda Invoke with InvocationType Event (Lambda developer guide,
//    with-eventbridge-scheduler.html: "EventBridge Scheduler invokes your Lambda function
//    asynchronously"). The call goes through the gateway like any role session's: the authorizer
//    decides lambda:InvokeFunction with the role's policies, its permissions boundary and the
//    function's resource policy, and records the decision; the Lambda plugin then queues the run.
// 3. A failed delivery is retried "with exponential backoff ... until either the maximum number of
//    attempts is made or until the duration of the MaximumEventAgeInSeconds is reached" (Scheduler
//    API reference, RetryPolicy). AWS does not list which failures it retries; the sandbox retries
//    throttling (429) and server errors (5xx) and not a denial or another client error, which a
//    retry cannot change (assumed, README).
//
// The payload is the target's Input with Scheduler's context attributes filled in (Scheduler User
// Guide, "Adding context attributes", managing-schedule-context-attributes.html); without Input,
// "EventBridge Scheduler delivers a default notification" (API reference, Target.Input) whose shape
// AWS does not document: the sandbox sends `{}` (assumed, README).

import { randomUUID } from "node:crypto";
import { fakeSigV4, httpCall, parseArn, parseJsonObject } from "../aws";
import type { Authority } from "../types";
import { groupArnOf, type Schedule } from "./schedules";

export const SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com";

export interface Firing {
  schedule: string;
  target: string;
  executionId: string;
  at: string;
  /** Lambda accepted the invocation (202): the function runs in the background. */
  invoked: boolean;
  /** Scheduler could not assume the role, or the role may not invoke the function. */
  denied: boolean;
  /** AWS's message for a denial, or why the delivery failed. */
  reason?: string;
  attempts: number;
}

export interface FireOptions {
  gatewayEndpoint: string;
  authority?: Authority;
  /** First retry delay; doubles with each attempt (default 1000 ms). */
  retryDelayMs?: number;
}

/** Scheduler's context attributes, replaced in the target's Input on each attempt. */
function payload(input: string | undefined, s: Schedule, executionId: string, scheduledTime: string, attempt: number): string {
  if (input === undefined) return "{}";
  return input
    .replaceAll("<aws.scheduler.schedule-arn>", s.Arn)
    .replaceAll("<aws.scheduler.scheduled-time>", scheduledTime)
    .replaceAll("<aws.scheduler.execution-id>", executionId)
    .replaceAll("<aws.scheduler.attempt-number>", String(attempt));
}

const retryable = (status: number) => status === 429 || status >= 500;

export async function fireSchedule(s: Schedule, o: FireOptions): Promise<Firing> {
  const executionId = randomUUID().replace(/-/g, "").slice(0, 16);
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const firing: Firing = { schedule: s.Arn, target: s.Target.Arn, executionId, at, invoked: false, denied: false, attempts: 0 };
  if (s.State === "DISABLED") return { ...firing, reason: "the schedule is DISABLED: Scheduler does not invoke its target" };
  const fn = parseArn(s.Target.Arn);
  if (fn.service !== "lambda" || !fn.resource.startsWith("function:")) return { ...firing, reason: `the sandbox fires Lambda function targets only, not ${s.Target.Arn}` };

  const account = parseArn(s.Arn).account;
  const trust = o.authority ? await o.authority.canAssume(s.Target.RoleArn, SCHEDULER_PRINCIPAL, { arn: groupArnOf(s.Arn), account }) : { allowed: true };
  if (!trust.allowed) return { ...firing, denied: true, reason: trust.message };
  // AWS does not say which session name Scheduler uses; the schedule's name keeps one principal per schedule.
  const creds = o.authority?.credentials(s.Target.RoleArn, s.Name.slice(0, 64)) ?? { accessKeyId: "sandbox", sessionToken: "" };

  const maxAttempts = 1 + (s.Target.RetryPolicy?.MaximumRetryAttempts ?? 185);
  const deadline = Date.now() + (s.Target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400) * 1000;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    firing.attempts = attempt;
    const body = Buffer.from(payload(s.Target.Input, s, executionId, at, attempt));
    const res = await httpCall(
      o.gatewayEndpoint,
      "POST",
      `/2015-03-31/functions/${encodeURIComponent(s.Target.Arn)}/invocations`,
      {
        "content-type": "application/json",
        "x-amz-invocation-type": "Event",
        authorization: fakeSigV4({ region: fn.region, service: "lambda", accessKeyId: creds.accessKeyId }),
        ...(creds.sessionToken ? { "x-amz-security-token": creds.sessionToken } : {}),
        "content-length": String(body.length),
      },
      body,
    ).catch((e: Error) => ({ status: 503, headers: {}, body: Buffer.from(JSON.stringify({ message: e.message })) }));
    if (res.status === 202) return { ...firing, invoked: true };
    const answer = parseJsonObject(res) ?? {};
    const message = String(answer.Message ?? answer.message ?? res.body.toString());
    if (res.status === 403) return { ...firing, denied: true, reason: message };
    firing.reason = `Lambda answered ${res.status}: ${message}`;
    const wait = (o.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
    if (!retryable(res.status) || Date.now() + wait > deadline) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  return firing;
}
