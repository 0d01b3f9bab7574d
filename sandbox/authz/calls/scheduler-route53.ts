// EventBridge Scheduler and Route 53 as terraform and the sign-in switch call them (REST APIs):
// - Scheduler: a schedule is `schedule/<group>/<name>` (group `default` unless `groupName`);
//   CreateSchedule and UpdateSchedule pass the target's execution role to the service, so the
//   caller needs iam:PassRole on it for scheduler.amazonaws.com (EventBridge Scheduler user guide,
//   "Setting up the execution role", and AWS's managed policy AmazonEventBridgeSchedulerFullAccess,
//   which grants iam:PassRole with `iam:PassedToService` scheduler.amazonaws.com).
// - Route 53: health checks, hosted zones and changes are global resources
//   (`arn:aws:route53:::healthcheck/<id>`, Service Authorization Reference, "Actions defined by
//   Amazon Route 53"); its API is versioned `/2013-04-01/`.

import type { Check } from "../requests";
import { passRole } from "./iam";
import { arnOf, params, type CallMapper } from "./common";

const SCHEDULE = /^\/schedules\/([^/]+)$/;
const SCHEDULE_ACTIONS: Record<string, string> = { POST: "CreateSchedule", GET: "GetSchedule", PUT: "UpdateSchedule", DELETE: "DeleteSchedule" };

export const scheduler: CallMapper = async (c) => {
  const { req } = c;
  if (req.path === "/schedules" && req.method === "GET") return [{ action: "scheduler:ListSchedules", resource: "*" }];
  const m = SCHEDULE.exec(req.path);
  const verb = SCHEDULE_ACTIONS[req.method];
  if (!m || !verb) return undefined;
  const group = req.query.get("groupName") ?? "default";
  const schedule = arnOf(c, "scheduler", `schedule/${group}/${decodeURIComponent(m[1]!)}`);
  const checks: Check[] = [{ action: `scheduler:${verb}`, resource: schedule }];
  const role = (params(req).Target as { RoleArn?: string } | undefined)?.RoleArn;
  if ((verb === "CreateSchedule" || verb === "UpdateSchedule") && role) checks.push(passRole(role, "scheduler.amazonaws.com", `scheduler:${verb}`, schedule));
  return checks;
};

const ROUTE53: Array<{ method: string; path: RegExp; action: string; resource?: (id: string) => string }> = [
  { method: "POST", path: /^\/2013-04-01\/healthcheck$/, action: "CreateHealthCheck" },
  { method: "GET", path: /^\/2013-04-01\/healthcheck$/, action: "ListHealthChecks" },
  { method: "GET", path: /^\/2013-04-01\/healthcheck\/([^/]+)$/, action: "GetHealthCheck", resource: (id) => `healthcheck/${id}` },
  { method: "POST", path: /^\/2013-04-01\/healthcheck\/([^/]+)$/, action: "UpdateHealthCheck", resource: (id) => `healthcheck/${id}` },
  { method: "DELETE", path: /^\/2013-04-01\/healthcheck\/([^/]+)$/, action: "DeleteHealthCheck", resource: (id) => `healthcheck/${id}` },
  { method: "GET", path: /^\/2013-04-01\/healthcheck\/([^/]+)\/status$/, action: "GetHealthCheckStatus", resource: (id) => `healthcheck/${id}` },
  { method: "GET", path: /^\/2013-04-01\/tags\/healthcheck\/([^/]+)$/, action: "ListTagsForResource", resource: (id) => `healthcheck/${id}` },
  { method: "POST", path: /^\/2013-04-01\/tags\/healthcheck\/([^/]+)$/, action: "ChangeTagsForResource", resource: (id) => `healthcheck/${id}` },
  { method: "GET", path: /^\/2013-04-01\/hostedzone\/([^/]+)$/, action: "GetHostedZone", resource: (id) => `hostedzone/${id}` },
  { method: "GET", path: /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset$/, action: "ListResourceRecordSets", resource: (id) => `hostedzone/${id}` },
  { method: "POST", path: /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/, action: "ChangeResourceRecordSets", resource: (id) => `hostedzone/${id}` },
  { method: "GET", path: /^\/2013-04-01\/change\/([^/]+)$/, action: "GetChange", resource: (id) => `change/${id}` },
];

export const route53: CallMapper = async (c) => {
  const { req } = c;
  const r = ROUTE53.find((x) => x.method === req.method && x.path.test(req.path));
  if (!r) return undefined;
  const id = r.path.exec(req.path)?.[1];
  return [{ action: `route53:${r.action}`, resource: r.resource && id ? `arn:${c.caller.partition}:route53:::${r.resource(decodeURIComponent(id))}` : "*" }];
};
