// CloudWatch Logs and CloudWatch alarms as terraform manages them (the functions' log groups, the
// alarms), each call to its action and resource (Service Authorization Reference, "Actions defined
// by Amazon CloudWatch Logs" / "... by Amazon CloudWatch"), and tags on create:
// - CreateLogGroup with tags: "you must have either the logs:TagResource or logs:TagLogGroup
//   permission" (CloudWatch Logs API Reference, CreateLogGroup, `tags`);
// - PutMetricAlarm with Tags: "you must be signed on with both the cloudwatch:PutMetricAlarm and
//   cloudwatch:TagResource permissions" (CloudWatch API Reference, PutMetricAlarm, `Tags`; tags of
//   an alarm that exists already are ignored, so only a new alarm needs it).
// Log group ARNs: the Service Authorization Reference's `log-group:<name>`; AWS's own examples also
// grant `log-group:<name>:*`, which the evaluator matches against the same ARN.

import type { Check } from "../requests";
import { arnOf, memberList, params, requestTagContext, stringList, tagMap, type CallMapper } from "./common";

const LOG_GROUP_OPS = new Set(["CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "ListTagsLogGroup", "TagLogGroup", "UntagLogGroup", "AssociateKmsKey", "DisassociateKmsKey", "PutDataProtectionPolicy"]);

export const logs: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  if (op === "DescribeLogGroups") return [{ action: "logs:DescribeLogGroups", resource: "*" }];
  if (op === "ListTagsForResource" || op === "TagResource" || op === "UntagResource") {
    const arn = String(p.resourceArn ?? "").replace(/:\*$/, "");
    return [{ action: `logs:${op}`, resource: arn, context: op === "TagResource" ? requestTagContext(tagMap(p.tags)) : {} }];
  }
  if (!LOG_GROUP_OPS.has(op)) return undefined;
  const group = arnOf(c, "logs", `log-group:${String(p.logGroupName ?? "")}`);
  const tags = tagMap(p.tags);
  const checks: Check[] = [{ action: `logs:${op}`, resource: group, context: op === "CreateLogGroup" || op === "TagLogGroup" ? requestTagContext(tags) : {} }];
  if (op === "CreateLogGroup" && Object.keys(tags).length) {
    checks.push({ action: "logs:TagResource", orActions: ["logs:TagLogGroup"], resource: group, impliedBy: "logs:CreateLogGroup", resourceTags: {}, context: requestTagContext(tags) });
  }
  return checks;
};

export const cloudwatch: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  const alarm = (name: string) => arnOf(c, "cloudwatch", `alarm:${name}`);
  switch (op) {
    case "PutMetricAlarm": {
      const arn = alarm(String(p.AlarmName));
      const tags = tagMap(memberList(p, "Tags"));
      const alarmActions = stringList(p, "AlarmActions");
      const checks: Check[] = [{ action: "cloudwatch:PutMetricAlarm", resource: arn, context: { ...requestTagContext(tags), ...(alarmActions.length ? { "cloudwatch:AlarmActions": alarmActions } : {}) } }];
      const exists = await c.store.alarmExists(c.req.region, String(p.AlarmName));
      if (Object.keys(tags).length && !exists) checks.push({ action: "cloudwatch:TagResource", resource: arn, impliedBy: "cloudwatch:PutMetricAlarm", resourceTags: {}, context: requestTagContext(tags) });
      return checks;
    }
    case "DescribeAlarms": {
      const names = stringList(p, "AlarmNames");
      return names.length ? names.map((n) => ({ action: "cloudwatch:DescribeAlarms", resource: alarm(n) })) : [{ action: "cloudwatch:DescribeAlarms", resource: alarm("*") }];
    }
    case "DeleteAlarms": {
      return stringList(p, "AlarmNames").map((n) => ({ action: "cloudwatch:DeleteAlarms", resource: alarm(n) }));
    }
    case "ListTagsForResource":
    case "TagResource":
    case "UntagResource":
      return [{ action: `cloudwatch:${op}`, resource: String(p.ResourceARN), context: op === "TagResource" ? requestTagContext(tagMap(memberList(p, "Tags"))) : {} }];
    default:
      return undefined;
  }
};
