// EventBridge Scheduler, which moto stores but never runs. The plugin
// - checks, when a schedule is created or updated, that Scheduler may assume its execution role,
//   as Scheduler does: CreateSchedule answers `ValidationException: The execution role you provide
//   must allow AWS EventBridge Scheduler to assume the role.` otherwise (the error users meet,
//   aws/aws-sdk-js-v3#6494);
// - fires a schedule on `POST /__sandbox/scheduler/fire` (tests, drills) and, when asked
//   (`fireOnRate`), every rate() schedule on its own rate: fire.ts does what Scheduler does;
// - keeps the last firings for `GET /__sandbox/scheduler/firings`.

import { AwsCallError, awsError, parseArn } from "../aws";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { Authority, AwsRequest, AwsResponse, Next } from "../types";
import { fireSchedule, SCHEDULER_PRINCIPAL, type Firing } from "./fire";
import { rateMs } from "./rate";
import { getSchedule, listSchedules } from "./schedules";

export type { Firing } from "./fire";

export interface SchedulerOptions {
  gatewayEndpoint: string;
  motoEndpoint: string;
  authority?: Authority;
  /** Regions whose rate() schedules fire on their own (with `fireOnRate`). */
  regions: string[];
  /** Fire ENABLED rate() schedules on their rate, from when the sandbox first sees them (default false: tests fire them). */
  fireOnRate?: boolean;
  /** How often the rate clock looks for schedules (default 5 s). */
  clockMs?: number;
  /** First delay between retries of a failed delivery (default 1000 ms, doubling). */
  retryDelayMs?: number;
}

const KEPT_FIRINGS = 200;
const SCHEDULE_PATH = /^\/schedules\/([^/]+)$/;

export class SchedulerPlugin implements SandboxPlugin {
  readonly name = "scheduler";
  private readonly firings: Firing[] = [];
  /** `<region>/<group>/<name>` → when it fired last (or was first seen). */
  private readonly lastFired = new Map<string, number>();
  private clock?: NodeJS.Timeout;
  private ticking = false;

  constructor(private readonly opts: SchedulerOptions) {
    if (opts.fireOnRate) this.clock = setInterval(() => void this.tick(), opts.clockMs ?? 5_000);
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const m = SCHEDULE_PATH.exec(req.path);
    if (req.service !== "scheduler" || !m || !["POST", "PUT"].includes(req.method)) return next(req);
    const body = (req.json ?? {}) as { GroupName?: string; Target?: { RoleArn?: string } };
    const role = body.Target?.RoleArn;
    if (this.opts.authority && typeof role === "string" && role.startsWith("arn:")) {
      const { partition, account } = parseArn(role);
      const group = `arn:${partition}:scheduler:${req.region}:${account}:schedule-group/${body.GroupName ?? "default"}`;
      const trust = await this.opts.authority.canAssume(role, SCHEDULER_PRINCIPAL, { arn: group, account });
      if (!trust.allowed) return awsError(req, 400, "ValidationException", "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.");
    }
    return next(req);
  }

  /** Fires one schedule now, as Scheduler would at its time. */
  async fire(name: string, region: string, group = "default"): Promise<Firing> {
    const schedule = await getSchedule(this.opts.motoEndpoint, region, name, group);
    const firing = await fireSchedule(schedule, this.opts);
    this.lastFired.set(`${region}/${group}/${name}`, Date.now());
    this.firings.push(firing);
    if (this.firings.length > KEPT_FIRINGS) this.firings.shift();
    return firing;
  }

  list(): Firing[] {
    return [...this.firings];
  }

  /** The rate clock: fires each ENABLED rate() schedule one interval after it last fired (or was first seen). */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const region of this.opts.regions) {
        for (const s of await listSchedules(this.opts.motoEndpoint, region).catch(() => [])) {
          const key = `${region}/${s.GroupName}/${s.Name}`;
          const full = await getSchedule(this.opts.motoEndpoint, region, s.Name, s.GroupName).catch(() => undefined);
          const every = full && full.State === "ENABLED" ? rateMs(full.ScheduleExpression) : undefined;
          if (every === undefined) continue;
          const last = this.lastFired.get(key);
          if (last === undefined) this.lastFired.set(key, Date.now());
          else if (Date.now() - last >= every) await this.fire(s.Name, region, s.GroupName).catch(() => undefined);
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    if (req.path === "/scheduler/firings" && req.method === "GET") return { body: { firings: this.list() } };
    if (req.path !== "/scheduler/fire" || req.method !== "POST") return undefined;
    const { name, region, group } = (req.body ?? {}) as { name?: unknown; region?: unknown; group?: unknown };
    if (typeof name !== "string" || typeof region !== "string") return { status: 400, body: { error: "body needs `name` and `region` (and optionally `group`)" } };
    try {
      return { body: await this.fire(name, region, typeof group === "string" ? group : undefined) };
    } catch (e) {
      if (e instanceof AwsCallError) return { status: e.status, body: { error: e.detail } };
      throw e;
    }
  }

  async stop(): Promise<void> {
    if (this.clock) clearInterval(this.clock);
  }
}
