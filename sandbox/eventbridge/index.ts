// EventBridge's default event bus for the events CloudTrail hands it, which moto never routes:
// each CloudTrail record becomes the event EventBridge documents for it (EventBridge user guide,
// "AWS service events delivered via AWS CloudTrail", eb-service-event-cloudtrail.html, and
// "Amazon EventBridge events", eb-events.html):
//   {version: "0", id, "detail-type": "AWS API Call via CloudTrail", source: "aws.<service>",
//    account, time, region, resources: [], detail: <the CloudTrail record>}
// on the default bus of the call's region, matched against that bus's rules (rules.ts) and handed
// to each matched rule's targets (targets.ts) after a delivery delay. AWS documents no delivery
// time for these events ("best effort"); the sandbox waits `delayMs` (default 2 s, *assumed*, a
// typical few seconds) between the call and the delivery, 0 allowed.
//
// Delivery is best effort and never reaches the caller: every attempt is recorded for
// `GET /__sandbox/eventbridge/deliveries` (delivered, denied with AWS's message, failed with why).
// A throttled or failed delivery is retried with exponential backoff as the target's RetryPolicy
// allows (EventBridge API reference, RetryPolicy: by default 185 attempts within 24 hours); a
// denial is not retried (a retry cannot change it), and dead-letter queues are not emulated.

import { randomUUID } from "node:crypto";
import { awsError } from "../aws";
import type { CloudTrailRecord } from "../cloudtrail/record";
import { parseEventPattern } from "../lambda/filter";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { Authority, AwsRequest, AwsResponse, Next } from "../types";
import { targetInput } from "./input";
import { defaultBusRules, ruleMatches, type BusEvent, type Rule, type Target } from "./rules";
import { deliverOnce } from "./targets";

export interface Delivery {
  eventId: string;
  eventName: string;
  region: string;
  rule: string;
  targetId: string;
  target: string;
  status: "delivered" | "denied" | "failed";
  reason?: string;
  attempts: number;
  /** When the call was made, and when the delivery ended. */
  eventTime: string;
  at: string;
}

export interface EventBridgeOptions {
  gatewayEndpoint: string;
  motoEndpoint: string;
  authority?: Authority;
  /** Between a call and the delivery of its event (ms). */
  delayMs?: number;
  /** First delay between attempts of a failed delivery (default 1000 ms, doubling). */
  retryDelayMs?: number;
}

export const DEFAULT_DELIVERY_DELAY_MS = 2_000;
const KEPT = 1000;

/** The EventBridge event of a CloudTrail record. */
export function busEvent(r: CloudTrailRecord): BusEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "AWS API Call via CloudTrail",
    source: `aws.${r.eventSource.replace(/\.amazonaws\.com$/, "")}`,
    account: r.recipientAccountId,
    time: r.eventTime,
    region: r.awsRegion,
    resources: [],
    detail: r as unknown as Record<string, unknown>,
  };
}

export class EventBridgePlugin implements SandboxPlugin {
  readonly name = "eventbridge";
  delayMs: number;
  private readonly deliveries: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly opts: EventBridgeOptions) {
    this.delayMs = opts.delayMs ?? DEFAULT_DELIVERY_DELAY_MS;
  }

  /**
   * moto's PutRule checks only that a pattern's leaves are arrays; EventBridge refuses a pattern it
   * cannot read (InvalidEventPatternException, "Event pattern is not valid. Reason: ..."), and so
   * does the sandbox, with the matcher that will match it.
   */
  handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const pattern = (req.json as { EventPattern?: unknown } | undefined)?.EventPattern;
    if (req.service === "events" && req.operation === "PutRule" && typeof pattern === "string") {
      try {
        parseEventPattern(pattern);
      } catch (e) {
        return Promise.resolve(awsError(req, 400, "InvalidEventPatternException", `Event pattern is not valid. Reason: ${(e as Error).message}`));
      }
    }
    return next(req);
  }

  /** Puts a CloudTrail record on its region's default bus; it is routed after the delay. */
  publish(record: CloudTrailRecord): void {
    if (this.stopped) return;
    const event = busEvent(record);
    let release!: () => void;
    const job = new Promise<void>((r) => (release = r));
    this.inFlight.add(job);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.route(event)
        .catch((e: Error) => this.record(event, { Name: "?", Arn: "?", State: "?", targets: [] }, { Id: "?", Arn: "?" }, { status: "failed", reason: `the sandbox could not route the event: ${e.message}`, attempts: 0 }))
        .finally(() => {
          this.inFlight.delete(job);
          release();
        });
    }, this.delayMs);
    this.timers.add(timer);
  }

  private async route(event: BusEvent): Promise<void> {
    const rules = await defaultBusRules(this.opts.motoEndpoint, String(event.region));
    const sends: Array<Promise<void>> = [];
    for (const rule of rules) {
      let matched: boolean;
      try {
        matched = ruleMatches(rule, event);
      } catch (e) {
        this.record(event, rule, { Id: "-", Arn: "-" }, { status: "failed", reason: `the rule's pattern cannot be read: ${(e as Error).message}`, attempts: 0 });
        continue;
      }
      if (matched) for (const target of rule.targets) sends.push(this.send(event, rule, target));
    }
    await Promise.all(sends);
  }

  /** Every attempt for one target, as its RetryPolicy allows. */
  private async send(event: BusEvent, rule: Rule, target: Target): Promise<void> {
    const input = targetInput(target, event);
    if ("error" in input) return this.record(event, rule, target, { status: "failed", reason: input.error, attempts: 0 });
    const maxAttempts = 1 + (target.RetryPolicy?.MaximumRetryAttempts ?? 185);
    const deadline = Date.parse(String(event.time)) + (target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400) * 1000;
    const ctx = { gatewayEndpoint: this.opts.gatewayEndpoint, motoEndpoint: this.opts.motoEndpoint, authority: this.opts.authority, ruleArn: rule.Arn };
    for (let attempt = 1; ; attempt++) {
      const a = await deliverOnce(ctx, target, input.payload);
      const wait = (this.opts.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
      if (a.outcome !== "failed" || !a.retryable || attempt >= maxAttempts || Date.now() + wait > deadline || this.stopped) {
        return this.record(event, rule, target, { status: a.outcome, reason: a.reason, attempts: attempt });
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private record(event: BusEvent, rule: Rule, target: Target, d: Pick<Delivery, "status" | "reason" | "attempts">): void {
    this.deliveries.push({
      eventId: String(event.id),
      eventName: String(event.detail.eventName ?? ""),
      region: String(event.region),
      rule: rule.Arn,
      targetId: target.Id,
      target: target.Arn,
      eventTime: String(event.time),
      at: new Date().toISOString(),
      ...d,
    });
    if (this.deliveries.length > KEPT) this.deliveries.shift();
  }

  list(): Delivery[] {
    return [...this.deliveries];
  }

  /** Waits until every event published so far is routed and every delivery attempt ended. */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      const left = until - Date.now();
      if (left <= 0) return false;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, left))]);
    }
    return true;
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    const b = (req.body ?? {}) as { delayMs?: unknown; timeoutMs?: unknown };
    if (req.path === "/eventbridge/delay") {
      if (req.method === "POST") {
        if (typeof b.delayMs !== "number" || b.delayMs < 0) return { status: 400, body: { error: "delayMs (a number of ms, 0 or more) is required" } };
        this.delayMs = b.delayMs;
      }
      if (req.method === "POST" || req.method === "GET") return { body: { delayMs: this.delayMs } };
    }
    if (req.path === "/eventbridge/deliveries" && req.method === "GET") return { body: { deliveries: this.list(), pending: this.inFlight.size } };
    if (req.path === "/eventbridge/deliveries" && req.method === "DELETE") {
      this.deliveries.length = 0;
      return { body: { ok: true } };
    }
    if (req.path === "/eventbridge/flush" && req.method === "POST") {
      const drained = await this.flush(typeof b.timeoutMs === "number" ? b.timeoutMs : undefined);
      return { body: { drained, pending: this.inFlight.size } };
    }
    return undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
