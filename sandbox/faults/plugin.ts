// Quotas and fault injection. The first plugin in the chain: every request a client sends to the
// gateway passes here; calls the gateway makes itself go to moto directly and never do.
//
// Quotas: per-region token buckets for Cognito's request categories (quotas.ts). An over-quota
// call gets exactly Cognito's answer: HTTP 400,
// {"__type":"TooManyRequestsException","message":"Too many requests"} and the header
// x-amzn-ErrorType: TooManyRequestsException.
//
// Faults: per service (signing name, `*` = all) and region (`*` = all): an error rate with the
// service's own 5xx error, a throttling rate, added latency, and a full outage (HTTP 503).

import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { internalError, throttled, unavailable } from "./answers";
import { Quotas, type CognitoQuotaTable, type QuotaCategory, type QuotaSetting } from "./quotas";
import { faultSpecError, sampledDelayMs } from "./spec";

export interface FaultSpec {
  /** Signing name (`cognito-idp`, `dynamodb`, `sqs`, `lambda`, ...) or `*` (default) for all services. */
  service?: string;
  /** Region or `*` (default) for all regions. */
  region?: string;
  /** Limit to these operations (default: all). */
  operations?: string[];
  /** Probability 0..1 of answering with the service's internal error (HTTP 500). */
  errorRate?: number;
  /** Probability 0..1 of answering with the service's throttling error (HTTP 400). */
  throttleRate?: number;
  /** Added latency in ms before the request proceeds (the median when latencyJitterMs is set). */
  latencyMs?: number;
  /** Each call's delay is uniform in [latencyMs - jitter, latencyMs + jitter]; at most latencyMs. */
  latencyJitterMs?: number;
  /** Full outage: every matching request gets HTTP 503. */
  outage?: boolean;
  /** Only calls made by this sandbox Lambda function (by name); default: every caller. */
  caller?: string;
}

export interface ActiveFault extends FaultSpec {
  id: string;
}

interface Counter {
  accepted: number;
  throttled: number;
}

export interface RegionStats {
  categories: Record<string, Counter>;
  /** Calls per `service:operation`, with how many were throttled / faulted. */
  operations: Record<string, { calls: number; throttled: number; faulted: number }>;
  adminCreateUser: { suppressed: number; notSuppressed: number; invitationsSent: number };
}

export interface SandboxStats {
  regions: Record<string, RegionStats>;
}

/** The sandbox Lambda runtime names the calling function in the session token. */
export function callerOf(req: Pick<AwsRequest, "headers">): string | undefined {
  const token = req.headers["x-amz-security-token"];
  return token?.startsWith("sandbox-lambda:") ? token.slice("sandbox-lambda:".length) : undefined;
}

function matches(f: FaultSpec, service: string, region: string, operation?: string, caller?: string): boolean {
  if (f.caller !== undefined && f.caller !== caller) return false;
  const svc = f.service ?? "*";
  const svcOk = svc === "*" || svc === service || (svc === "cognito" && service === "cognito-idp");
  const regOk = (f.region ?? "*") === "*" || f.region === region;
  const opOk = !f.operations || f.operations.length === 0 || (operation !== undefined && f.operations.includes(operation));
  return svcOk && regOk && opOk;
}

export interface FaultsOptions {
  /** Cognito's categories, rates and per-user operations (the project's table). */
  cognitoQuotas: CognitoQuotaTable;
  /** Per-region overrides: `{ "us-west-2": { UserCreation: 10 } }`; key `*` for every region. */
  quotas?: Record<string, Partial<Record<QuotaCategory, number>>>;
  random?: () => number;
  /** Waits out an injected delay (tests record it instead). */
  sleep?: (ms: number) => Promise<void>;
}

export class FaultsPlugin implements SandboxPlugin {
  readonly name = "faults";
  private faults: ActiveFault[] = [];
  private nextId = 1;
  private readonly quotas: Quotas;
  private stats: SandboxStats = { regions: {} };
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private listeners = new Set<() => void>();

  constructor(opts: FaultsOptions) {
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.quotas = new Quotas(opts.cognitoQuotas, opts.quotas);
  }

  // ---- configuration -------------------------------------------------------------------------

  addFault(spec: FaultSpec): ActiveFault {
    const f = { ...spec, id: `f${this.nextId++}` };
    this.faults.push(f);
    this.notify();
    return f;
  }

  clearFaults(id?: string): void {
    this.faults = id ? this.faults.filter((f) => f.id !== id) : [];
    this.notify();
  }

  listFaults(): ActiveFault[] {
    return [...this.faults];
  }

  setQuota(q: QuotaSetting): void {
    this.quotas.set(q);
  }

  resetQuotas(): void {
    this.quotas.reset();
  }

  /** True while `service` (or the whole region) is in an injected outage. */
  isDown(region: string, service: string): boolean {
    return this.faults.some(
      (f) =>
        f.outage === true &&
        ((f.region ?? "*") === "*" || f.region === region) &&
        ((f.service ?? "*") === "*" || f.service === service || (f.service === "cognito" && service === "cognito-idp")) &&
        !(f.operations && f.operations.length > 0) &&
        f.caller === undefined,
    );
  }

  /** Called whenever faults change (replication resumes on restore). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  getStats(): SandboxStats {
    return JSON.parse(JSON.stringify(this.stats)) as SandboxStats;
  }

  resetStats(): void {
    this.stats = { regions: {} };
  }

  private regionStats(region: string): RegionStats {
    let s = this.stats.regions[region];
    if (!s) {
      s = { categories: {}, operations: {}, adminCreateUser: { suppressed: 0, notSuppressed: 0, invitationsSent: 0 } };
      this.stats.regions[region] = s;
    }
    return s;
  }

  private opStats(req: AwsRequest) {
    const s = this.regionStats(req.region);
    const key = `${req.service}:${req.operation ?? `${req.method} ${req.path}`}`;
    return (s.operations[key] ??= { calls: 0, throttled: 0, faulted: 0 });
  }

  // ---- request path --------------------------------------------------------------------------

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const op = this.opStats(req);
    op.calls += 1;
    const active = this.faults.filter((f) => matches(f, req.service, req.region, req.operation, callerOf(req)));
    if (active.some((f) => f.outage)) {
      op.faulted += 1;
      return unavailable(req);
    }
    // Several matching faults do not add up: the largest of their (sampled) delays wins.
    const latency = active.reduce((m, f) => Math.max(m, sampledDelayMs(f, this.random)), 0);
    if (latency > 0) await this.sleep(latency);

    if (req.service === "cognito-idp") {
      for (const c of this.quotas.checks(req)) {
        const counter = (this.regionStats(req.region).categories[c.category] ??= { accepted: 0, throttled: 0 });
        if (!this.quotas.take(req.region, c.category, c.key)) {
          counter.throttled += 1;
          op.throttled += 1;
          return throttled(req);
        }
        counter.accepted += 1;
      }
    }

    for (const f of active) {
      if (f.throttleRate && this.random() < f.throttleRate) {
        op.throttled += 1;
        return throttled(req);
      }
      if (f.errorRate && this.random() < f.errorRate) {
        op.faulted += 1;
        return internalError(req);
      }
    }

    const res = await next(req);

    if (req.service === "cognito-idp" && req.operation === "AdminCreateUser") {
      const s = this.regionStats(req.region).adminCreateUser;
      const action = (req.json as { MessageAction?: string } | undefined)?.MessageAction;
      if (action === "SUPPRESS") s.suppressed += 1;
      else {
        s.notSuppressed += 1;
        if (res.status < 300) s.invitationsSent += 1;
      }
    }
    return res;
  }

  // ---- admin API -----------------------------------------------------------------------------

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    const { method, path, body } = req;
    if (path === "/faults") {
      if (method === "GET") return { body: { faults: this.listFaults() } };
      if (method === "POST") {
        const specs: FaultSpec[] = Array.isArray(body) ? body : Array.isArray(body.faults) ? body.faults : [body];
        // All or nothing: one bad fault refuses the whole request.
        for (const [i, s] of specs.entries()) {
          const error = faultSpecError(s, i);
          if (error) return { status: 400, body: { error } };
        }
        const added = specs.map((s) => this.addFault(s));
        return { body: { faults: added } };
      }
      if (method === "DELETE") {
        this.clearFaults(typeof body.id === "string" ? body.id : (req.query.get("id") ?? undefined));
        return { body: { faults: this.listFaults() } };
      }
    }
    if (path === "/quotas") {
      if (method === "GET") return { body: { quotas: this.quotas.view() } };
      if (method === "POST") {
        if (body.reset) this.resetQuotas();
        const list: QuotaSetting[] = Array.isArray(body) ? body : Array.isArray(body.quotas) ? body.quotas : body.category ? [body] : [];
        for (const q of list) {
          if (!this.quotas.isCategory(q.category)) return { status: 400, body: { error: `unknown category ${String(q.category)}` } };
          this.setQuota(q);
        }
        return { body: { ok: true } };
      }
    }
    if (path === "/stats") {
      if (method === "GET") return { body: this.getStats() };
      if (method === "DELETE") {
        this.resetStats();
        return { body: { ok: true } };
      }
    }
    return undefined;
  }
}
