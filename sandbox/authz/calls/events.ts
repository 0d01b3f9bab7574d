// EventBridge's control plane as terraform manages a rule and its targets (aws_cloudwatch_event_rule,
// aws_cloudwatch_event_target), each call to its action on the rule (Service Authorization
// Reference, "Actions, resources, and condition keys for Amazon EventBridge": resource type `rule`,
// `arn:${Partition}:events:${Region}:${Account}:rule/[${EventBusName}/]${RuleName}`, the bus part
// only for a custom bus), with the condition keys it lists for PutRule (`events:source` and
// `events:detail-type`, the values the rule's pattern names; `events:creatorAccount`) and for
// PutTargets (`events:TargetArn`), and what EventBridge checks beyond the call:
// - a target with a RoleArn (one EventBridge assumes to reach it) is passed to the service:
//   iam:PassRole for events.amazonaws.com (EventBridge user guide, "Using identity-based policies
//   for EventBridge": "iam:PassRole" for the role a target uses). Lambda and SQS targets have none:
//   their resource policies let EventBridge in (../../eventbridge/targets.ts).
// - tags on PutRule set `aws:RequestTag` / `aws:TagKeys` on the action itself (*assumed*: no
//   separate events:TagResource, which EventBridge's pages do not ask for).

import type { Check } from "../requests";
import { passRole } from "./iam";
import { arnOf, params, requestTagContext, tagMap, type CallContext, type CallMapper } from "./common";

/** A rule's ARN from its name and bus (a bus may be named by ARN; the default bus adds nothing). */
function ruleArn(c: CallContext, name: unknown, bus: unknown): string {
  const b = typeof bus === "string" && bus ? bus.split("/").pop()! : "default";
  return arnOf(c, "events", `rule/${b === "default" ? "" : `${b}/`}${String(name ?? "")}`);
}

/** `events:source` / `events:detail-type`: the strings the rule's pattern lists for them. */
function patternKeys(pattern: unknown): Record<string, string[]> {
  let p: Record<string, unknown> = {};
  try {
    p = typeof pattern === "string" ? (JSON.parse(pattern) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  const out: Record<string, string[]> = {};
  if (strings(p.source).length) out["events:source"] = strings(p.source);
  if (strings(p["detail-type"]).length) out["events:detail-type"] = strings(p["detail-type"]);
  return out;
}

const ON_RULE = new Set(["DescribeRule", "DeleteRule", "EnableRule", "DisableRule", "ListTargetsByRule", "RemoveTargets"]);

export const events: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  const action = `events:${op}`;
  switch (op) {
    case "PutRule":
      return [{ action, resource: ruleArn(c, p.Name, p.EventBusName), context: { ...patternKeys(p.EventPattern), "events:creatorAccount": c.caller.accountId, ...requestTagContext(tagMap(p.Tags)) } }];
    case "PutTargets": {
      const rule = ruleArn(c, p.Rule, p.EventBusName);
      const targets = Array.isArray(p.Targets) ? (p.Targets as Array<{ Arn?: string; RoleArn?: string }>) : [];
      const checks: Check[] = [{ action, resource: rule, context: { "events:TargetArn": targets.map((t) => String(t.Arn ?? "")) } }];
      for (const t of targets) if (typeof t.RoleArn === "string") checks.push(passRole(t.RoleArn, "events.amazonaws.com", action, rule));
      return checks;
    }
    case "ListRules":
    case "ListEventBuses":
      return [{ action, resource: "*" }];
    case "ListTagsForResource":
    case "TagResource":
    case "UntagResource":
      return [{ action, resource: String(p.ResourceARN ?? ""), context: op === "TagResource" ? requestTagContext(tagMap(p.Tags)) : {} }];
    default:
      return ON_RULE.has(op) ? [{ action, resource: ruleArn(c, op === "ListTargetsByRule" || op === "RemoveTargets" ? p.Rule : p.Name, p.EventBusName) }] : undefined;
  }
};
