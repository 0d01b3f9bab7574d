// The schedules terraform created, read from moto's EventBridge Scheduler API (REST-JSON) directly:
// moto stores them (create, get, list, update, delete) but never runs one.

import { AwsCallError, fakeSigV4, httpCall, parseJsonObject } from "../aws";

export interface Schedule {
  Arn: string;
  Name: string;
  GroupName: string;
  State: "ENABLED" | "DISABLED";
  ScheduleExpression: string;
  Target: {
    Arn: string;
    RoleArn: string;
    Input?: string;
    RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  };
}

async function call(motoEndpoint: string, region: string, path: string): Promise<Record<string, unknown>> {
  const res = await httpCall(motoEndpoint, "GET", path, { authorization: fakeSigV4({ region, service: "scheduler" }) }, Buffer.alloc(0), { timeoutMs: 10_000 });
  const body = parseJsonObject(res) ?? {};
  if (res.status >= 300) {
    const code = String(body.__type ?? res.headers["x-amzn-errortype"] ?? `HTTP${res.status}`).split(":")[0]!;
    throw new AwsCallError(code, String(body.message ?? body.Message ?? res.body.toString()), res.status);
  }
  return body;
}

/** One schedule (ResourceNotFoundException, 404, when there is none). */
export async function getSchedule(motoEndpoint: string, region: string, name: string, group = "default"): Promise<Schedule> {
  return (await call(motoEndpoint, region, `/schedules/${encodeURIComponent(name)}?groupName=${encodeURIComponent(group)}`)) as unknown as Schedule;
}

/** Every schedule of a region (names and groups; get each for its target). */
export async function listSchedules(motoEndpoint: string, region: string): Promise<Array<Pick<Schedule, "Name" | "GroupName" | "State">>> {
  const out = await call(motoEndpoint, region, "/schedules");
  return ((out.Schedules ?? []) as Array<Pick<Schedule, "Name" | "GroupName" | "State">>).filter((s) => s.Name);
}

/** `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>` → its group's ARN. */
export function groupArnOf(scheduleArn: string): string {
  return scheduleArn.replace(/:schedule\/([^/]+)\/[^/]+$/, ":schedule-group/$1");
}
