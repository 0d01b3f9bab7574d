// Quotas and fault injection. The first plugin in the chain: every request a client sends to the
// gateway passes here; calls the gateway makes itself go to moto directly and never do.
//
// Quotas: per-region token buckets for Cognito's request categories at AWS's default rates
// (per account per region). An over-quota call gets exactly Cognito's answer: HTTP 400,
// {"__type":"TooManyRequestsException","message":"Too many requests"} and the header
// x-amzn-ErrorType: TooManyRequestsException.
//
// Faults: per service (signing name, `*` = all) and region (`*` = all): an error rate with the
// service's own 5xx error, a throttling rate, added latency, and a full outage (HTTP 503).

import { awsError, parseJson } from "./aws";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "./gateway";
import type { AwsRequest, AwsResponse, Next } from "./types";

export type QuotaCategory =
  | "UserCreation"
  | "UserUpdate"
  | "UserRead"
  | "UserList"
  | "UserAccountRecovery"
  | "Other"
  /** Per user (per pool and username), on top of the account-level categories. */
  | "UserReadPerUser"
  | "UserWritePerUser";

export const QUOTA_CATEGORIES: QuotaCategory[] = [
  "UserCreation",
  "UserUpdate",
  "UserRead",
  "UserList",
  "UserAccountRecovery",
  "Other",
  "UserReadPerUser",
  "UserWritePerUser",
];

/** Requests per second per account per region, as AWS sets them by default. `Other`: unmetered. */
export const DEFAULT_QUOTAS: Record<QuotaCategory, number> = {
  UserCreation: 50,
  UserUpdate: 25,
  UserRead: 120,
  UserList: 30,
  UserAccountRecovery: 30,
  Other: Infinity,
  // AWS enforces 10/s per user for each; off by default here so that test helpers polling one user
  // fast keep working. Turn on with quotas { "*": { UserReadPerUser: AWS_PER_USER_QUOTA, ... } }.
  UserReadPerUser: Infinity,
  UserWritePerUser: Infinity,
};

/** AWS's per-user quota (requests per second per user, for reads and for writes). */
export const AWS_PER_USER_QUOTA = 10;

/** Operations on one user that count against that user's own read / write quota (10/s each). */
const PER_USER_READ = new Set(["AdminGetUser", "GetUser", "AdminListGroupsForUser", "AdminListDevices", "ListDevices", "AdminGetDevice", "GetDevice", "AdminListUserAuthEvents"]);
const PER_USER_WRITE = new Set([
  "AdminUpdateUserAttributes",
  "UpdateUserAttributes",
  "AdminDeleteUserAttributes",
  "DeleteUserAttributes",
  "AdminAddUserToGroup",
  "AdminRemoveUserFromGroup",
  "AdminDisableUser",
  "AdminEnableUser",
  "AdminSetUserPassword",
  "AdminResetUserPassword",
  "ChangePassword",
  "AdminSetUserMFAPreference",
  "SetUserMFAPreference",
  "AdminUserGlobalSignOut",
  "AdminDeleteUser",
  "DeleteUser",
]);

/** The per-user category and user key of a Cognito call, if it targets one user. */
export function perUser(req: Pick<AwsRequest, "operation" | "json" | "region">): { category: QuotaCategory; user: string } | undefined {
  const op = req.operation ?? "";
  const category: QuotaCategory | undefined = PER_USER_READ.has(op) ? "UserReadPerUser" : PER_USER_WRITE.has(op) ? "UserWritePerUser" : undefined;
  if (!category) return undefined;
  const b = (req.json ?? {}) as { UserPoolId?: unknown; Username?: unknown; AccessToken?: unknown };
  if (typeof b.UserPoolId === "string" && typeof b.Username === "string") return { category, user: `${b.UserPoolId}|${b.Username.toLowerCase()}` };
  if (typeof b.AccessToken === "string") {
    try {
      const claims = JSON.parse(Buffer.from(b.AccessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as { iss?: string; sub?: string };
      if (claims.sub) return { category, user: `${claims.iss ?? ""}|${claims.sub}` };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const CATEGORY_OF: Record<string, QuotaCategory> = {
  AdminCreateUser: "UserCreation",
  SignUp: "UserCreation",
  ConfirmSignUp: "UserCreation",
  AdminConfirmSignUp: "UserCreation",
  AdminUpdateUserAttributes: "UserUpdate",
  AdminAddUserToGroup: "UserUpdate",
  AdminRemoveUserFromGroup: "UserUpdate",
  AdminDisableUser: "UserUpdate",
  AdminEnableUser: "UserUpdate",
  AdminDeleteUser: "UserUpdate",
  AdminDeleteUserAttributes: "UserUpdate",
  AdminGetUser: "UserRead",
  AdminListGroupsForUser: "UserRead",
  ListUsers: "UserList",
  ListUsersInGroup: "UserList",
  AdminSetUserPassword: "UserAccountRecovery",
  AdminResetUserPassword: "UserAccountRecovery",
  ForgotPassword: "UserAccountRecovery",
  ConfirmForgotPassword: "UserAccountRecovery",
};

export function cognitoCategory(operation: string | undefined): QuotaCategory {
  return (operation && CATEGORY_OF[operation]) || "Other";
}

export interface QuotaSetting {
  /** Region, or `*` / omitted for every region. */
  region?: string;
  category: QuotaCategory;
  /** Tokens per second; `null`/Infinity = unmetered. */
  ratePerSecond: number | null;
  /** Bucket size; default = one second's worth (max(1, rate)). */
  burst?: number;
}

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
  /** Added latency in ms before the request proceeds. */
  latencyMs?: number;
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

class Bucket {
  private tokens: number;
  last = Date.now();
  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
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

function internalError(req: AwsRequest): AwsResponse {
  switch (req.service) {
    case "cognito-idp":
      return awsError(req, 500, "InternalErrorException", "Internal error");
    case "dynamodb":
      return awsError(req, 500, "InternalServerError", "Internal server error");
    case "sqs":
      return awsError(req, 500, "InternalError", "We encountered an internal error. Please try again.");
    case "lambda":
      return awsError(req, 500, "ServiceException", "Internal service error");
    default:
      return awsError(req, 500, "InternalFailure", "Internal failure");
  }
}

export function throttled(req: AwsRequest): AwsResponse {
  switch (req.service) {
    case "cognito-idp":
      return awsError(req, 400, "TooManyRequestsException", "Too many requests");
    case "dynamodb":
      return awsError(req, 400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.");
    case "lambda":
      return awsError(req, 429, "TooManyRequestsException", "Rate exceeded");
    default:
      return awsError(req, 400, "ThrottlingException", "Rate exceeded");
  }
}

function unavailable(req: AwsRequest): AwsResponse {
  return awsError(req, 503, "ServiceUnavailable", `Service unavailable (sandbox outage: ${req.service} in ${req.region})`);
}

export interface FaultsOptions {
  /** Per-region overrides: `{ "us-west-2": { UserCreation: 10 } }`; key `*` for every region. */
  quotas?: Record<string, Partial<Record<QuotaCategory, number>>>;
  random?: () => number;
}

export class FaultsPlugin implements SandboxPlugin {
  readonly name = "faults";
  private faults: ActiveFault[] = [];
  private nextId = 1;
  private settings = new Map<string, { rate: number; burst: number }>(); // key `${region}|${category}`, region may be `*`
  private buckets = new Map<string, Bucket>();
  private stats: SandboxStats = { regions: {} };
  private readonly random: () => number;
  private listeners = new Set<() => void>();

  constructor(opts: FaultsOptions = {}) {
    this.random = opts.random ?? Math.random;
    for (const [region, cats] of Object.entries(opts.quotas ?? {})) {
      for (const [cat, rate] of Object.entries(cats)) {
        if (rate !== undefined) this.setQuota({ region, category: cat as QuotaCategory, ratePerSecond: rate });
      }
    }
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
    const region = q.region ?? "*";
    const rate = q.ratePerSecond === null || q.ratePerSecond === undefined ? Infinity : q.ratePerSecond;
    this.settings.set(`${region}|${q.category}`, { rate, burst: q.burst ?? Math.max(1, rate) });
    // Drop buckets built from the old setting.
    for (const k of [...this.buckets.keys()]) {
      const [r, c] = k.split("|");
      if (c === q.category && (region === "*" || r === region)) this.buckets.delete(k);
    }
  }

  /** Drops buckets idle long enough to be full again. */
  private pruneBuckets(): void {
    const now = Date.now();
    for (const [k, b] of this.buckets) if (now - b.last > 10_000) this.buckets.delete(k);
  }

  resetQuotas(): void {
    this.settings.clear();
    this.buckets.clear();
  }

  quotaFor(region: string, category: QuotaCategory): { rate: number; burst: number } {
    const rate = DEFAULT_QUOTAS[category];
    return this.settings.get(`${region}|${category}`) ?? this.settings.get(`*|${category}`) ?? { rate, burst: Math.max(1, rate) };
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
    const latency = active.reduce((m, f) => Math.max(m, f.latencyMs ?? 0), 0);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));

    if (req.service === "cognito-idp") {
      const checks: Array<{ category: QuotaCategory; key: string }> = [];
      const pu = perUser(req);
      if (pu) checks.push({ category: pu.category, key: `${req.region}|${pu.category}|${pu.user}` });
      const category = cognitoCategory(req.operation);
      checks.push({ category, key: `${req.region}|${category}` });
      for (const c of checks) {
        const { rate, burst } = this.quotaFor(req.region, c.category);
        const counter = (this.regionStats(req.region).categories[c.category] ??= { accepted: 0, throttled: 0 });
        if (Number.isFinite(rate)) {
          let b = this.buckets.get(c.key);
          if (!b) {
            b = new Bucket(rate, burst);
            this.buckets.set(c.key, b);
            if (this.buckets.size > 50_000) this.pruneBuckets();
          }
          if (!b.take()) {
            counter.throttled += 1;
            op.throttled += 1;
            return throttled(req);
          }
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
        for (const s of specs) {
          for (const k of ["errorRate", "throttleRate"] as const) {
            const v = s[k];
            if (v !== undefined && (typeof v !== "number" || v < 0 || v > 1)) return { status: 400, body: { error: `${k} must be 0..1` } };
          }
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
      if (method === "GET") {
        const out: Record<string, Record<string, number | null>> = {};
        for (const region of new Set(["*", ...[...this.settings.keys()].map((k) => k.split("|")[0]!)])) {
          out[region] = {};
          for (const c of QUOTA_CATEGORIES) {
            const q = this.quotaFor(region, c);
            out[region][c] = Number.isFinite(q.rate) ? q.rate : null;
          }
        }
        return { body: { quotas: out } };
      }
      if (method === "POST") {
        if (body.reset) this.resetQuotas();
        const list: QuotaSetting[] = Array.isArray(body) ? body : Array.isArray(body.quotas) ? body.quotas : body.category ? [body] : [];
        for (const q of list) {
          if (!QUOTA_CATEGORIES.includes(q.category)) return { status: 400, body: { error: `unknown category ${String(q.category)}` } };
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

/** Reads an error code out of a JSON error answer (for plugins). */
export function errorCode(res: AwsResponse): string | undefined {
  if (res.status < 300) return undefined;
  const j = parseJson(res);
  const t = String(j?.__type ?? res.headers["x-amzn-errortype"] ?? "");
  return t.includes("#") ? t.slice(t.indexOf("#") + 1) : t || undefined;
}
