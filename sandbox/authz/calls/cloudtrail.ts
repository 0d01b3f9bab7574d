// CloudTrail's control plane as terraform manages a trail (aws_cloudtrail), each call to its
// action on the trail (Service Authorization Reference, "Actions, resources, and condition keys
// for AWS CloudTrail": resource type `trail`, `arn:${Partition}:cloudtrail:${Region}:${Account}:trail/${TrailName}`;
// a call names the trail by name or ARN), and what CloudTrail checks beyond the call:
// - a trail that delivers to CloudWatch Logs passes CloudWatchLogsRoleArn to the service, which
//   needs iam:PassRole for cloudtrail.amazonaws.com (CloudTrail user guide, "Sending events to
//   CloudWatch Logs" and "Identity-based policy examples": "iam:PassRole" for the role CloudTrail
//   assumes to deliver);
// - tags on CreateTrail (TagsList) set `aws:RequestTag` and `aws:TagKeys` on the create action.
//   *Assumed*: no separate cloudtrail:AddTags is required (CloudTrail's pages do not say it is, as
//   SQS's and SNS's do for their create calls).
// CloudTrail's own check of the bucket policy is in ../../cloudtrail/bucket-policy.ts.

import type { Check } from "../requests";
import { passRole } from "./iam";
import { arnOf, params, requestTagContext, stringList, tagMap, type CallContext, type CallMapper } from "./common";

/** A trail's name or ARN → its ARN (a name is in the caller's region). */
function trailArn(c: CallContext, ref: unknown): string {
  const s = String(ref ?? "");
  return s.startsWith("arn:") ? s : arnOf(c, "cloudtrail", `trail/${s}`);
}

/** The member naming the trail, per operation. */
const TRAIL_MEMBER: Record<string, string> = {
  StartLogging: "Name",
  StopLogging: "Name",
  DeleteTrail: "Name",
  GetTrailStatus: "Name",
  GetTrail: "Name",
  UpdateTrail: "Name",
  PutEventSelectors: "TrailName",
  GetEventSelectors: "TrailName",
  PutInsightSelectors: "TrailName",
  GetInsightSelectors: "TrailName",
  AddTags: "ResourceId",
  RemoveTags: "ResourceId",
};

export const cloudtrail: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  const action = `cloudtrail:${op}`;
  if (op === "CreateTrail") {
    const trail = trailArn(c, p.Name);
    const checks: Check[] = [{ action, resource: trail, context: requestTagContext(tagMap(p.TagsList)) }];
    if (typeof p.CloudWatchLogsRoleArn === "string") checks.push(passRole(p.CloudWatchLogsRoleArn, "cloudtrail.amazonaws.com", action, trail));
    return checks;
  }
  // The reference gives these no resource type: they are granted on "*" only.
  if (op === "DescribeTrails" || op === "ListTrails" || op === "LookupEvents") return [{ action, resource: "*" }];
  if (op === "ListTags") return stringList(p, "ResourceIdList").map((id) => ({ action, resource: trailArn(c, id) }));
  const member = TRAIL_MEMBER[op];
  if (!member) return undefined;
  const trail = trailArn(c, p[member]);
  const checks: Check[] = [{ action, resource: trail, context: op === "AddTags" ? requestTagContext(tagMap(p.TagsList)) : {} }];
  if (op === "UpdateTrail" && typeof p.CloudWatchLogsRoleArn === "string" && p.CloudWatchLogsRoleArn) checks.push(passRole(p.CloudWatchLogsRoleArn, "cloudtrail.amazonaws.com", action, trail));
  return checks;
};
