/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// The rules on a region's default event bus and their targets, read from moto's EventBridge as
// terraform created them (moto stores rules and targets; it matches only the events PutEvents
// sends, never CloudTrail's), and which of them an event reaches:
// - a rule with State DISABLED matches nothing;
// - read-only management events from CloudTrail ("Describe", "Get" and "List" calls) reach only
//   rules whose State is ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge user guide,
//   "Receiving read-only management events from AWS services",
//   eb-service-event-cloudtrail-management.html: an enabled rule matches "except for read-only AWS
//   management events delivered through CloudTrail"; "You may already be receiving read-only
//   management events, if those events don't start with Describe, Get, or List");
// - the pattern decides (../lambda/filter.ts, EventBridge's pattern syntax). A pattern the sandbox
//   cannot parse matches nothing and is reported in the delivery log.

import { motoJson } from "../aws";
import { matchObject, parseEventPattern } from "../lambda/filter";

export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: unknown;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
}

export interface Rule {
  Name: string;
  Arn: string;
  State: string;
  EventPattern?: string;
  targets: Target[];
}

export interface BusEvent {
  "detail-type": string;
  source: string;
  detail: Record<string, unknown>;
  [key: string]: unknown;
}

/** Every rule of the region's default bus, with its targets. */
export async function defaultBusRules(motoEndpoint: string, region: string): Promise<Rule[]> {
  const call = (op: string, body: unknown) => motoJson(motoEndpoint, "events", region, op, body);
  const rules: Rule[] = [];
  let next: string | undefined;
  do {
    const page = await call("ListRules", { EventBusName: "default", NextToken: next });
    for (const r of (page.Rules ?? []) as any[]) {
      const targets: Target[] = [];
      let tnext: string | undefined;
      do {
        const t = await call("ListTargetsByRule", { Rule: r.Name, EventBusName: "default", NextToken: tnext });
        targets.push(...((t.Targets ?? []) as Target[]));
        tnext = t.NextToken;
      } while (tnext);
      rules.push({ Name: r.Name, Arn: r.Arn, State: r.State ?? "ENABLED", EventPattern: r.EventPattern, targets });
    }
    next = page.NextToken;
  } while (next);
  return rules;
}

const READ_ONLY_NAME = /^(Describe|Get|List)/;

/** Whether `event` reaches `rule`; throws when the rule's pattern cannot be parsed. */
export function ruleMatches(rule: Rule, event: BusEvent): boolean {
  if (rule.State === "DISABLED" || !rule.EventPattern) return false;
  const readOnly = event.detail.readOnly === true && READ_ONLY_NAME.test(String(event.detail.eventName ?? ""));
  if (readOnly && rule.State !== "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS") return false;
  return matchObject(parseEventPattern(rule.EventPattern), event);
}
