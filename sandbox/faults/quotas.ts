// Cognito's request-rate quotas as the sandbox enforces them: a token bucket per region and
// category at AWS's default rates (per account per region), plus the per-user read and write
// quotas (per pool and username, or per access token subject), which AWS enforces at 10/s each
// but the sandbox leaves off unless set, so that test helpers polling one user fast keep working.
// Rates can be overridden per region (`*` = every region) at start or through the admin API.
//
// The categories, their rates and which operation counts against which are Cognito's table, and
// the project keeps that table in one place: startSandbox is handed it (CognitoQuotaTable); the
// sandbox keeps no copy. Its own categories come on top: `Other` (every other operation,
// unmetered), `UserReadPerUser` and `UserWritePerUser` (off unless set).

import type { AwsRequest } from "../types";

/** Cognito's quota table, as the project's core defines it (AWS's "Quotas in Amazon Cognito"). */
export interface CognitoQuotaTable {
  /** AWS's default requests per second per account and Region, per category. */
  readonly rates: Readonly<Record<string, number>>;
  /** The category of an operation (`AdminCreateUser`), or undefined when it is not metered. */
  categoryOf(operation: string): string | undefined;
  /** Operations on one user that count against that user's own read quota. */
  readonly perUserRead: ReadonlySet<string>;
  /** Operations on one user that count against that user's own write quota. */
  readonly perUserWrite: ReadonlySet<string>;
}

/** A category of the table, or one of the sandbox's own (SANDBOX_CATEGORIES). */
export type QuotaCategory = string;

/** Every operation the table does not meter; and the per-user quotas, per pool and username. */
export const SANDBOX_CATEGORIES = ["Other", "UserReadPerUser", "UserWritePerUser"] as const;

/** The per-user category and user key of a Cognito call, if it targets one user. */
export function perUser(table: CognitoQuotaTable, req: Pick<AwsRequest, "operation" | "json" | "region">): { category: QuotaCategory; user: string } | undefined {
  const op = req.operation ?? "";
  const category: QuotaCategory | undefined = table.perUserRead.has(op) ? "UserReadPerUser" : table.perUserWrite.has(op) ? "UserWritePerUser" : undefined;
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

export interface QuotaSetting {
  /** Region, or `*` / omitted for every region. */
  region?: string;
  category: QuotaCategory;
  /** Tokens per second; `null`/Infinity = unmetered. */
  ratePerSecond: number | null;
  /** Bucket size; default = one second's worth (max(1, rate)). */
  burst?: number;
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

export class Quotas {
  private settings = new Map<string, { rate: number; burst: number }>(); // key `${region}|${category}`, region may be `*`
  private buckets = new Map<string, Bucket>();
  /** The table's categories, then the sandbox's own. */
  readonly categories: readonly QuotaCategory[];

  /** `overrides`: `{ "us-west-2": { UserCreation: 10 } }`; key `*` for every region. */
  constructor(
    private readonly table: CognitoQuotaTable,
    overrides: Record<string, Partial<Record<QuotaCategory, number>>> = {},
  ) {
    this.categories = [...Object.keys(table.rates), ...SANDBOX_CATEGORIES];
    for (const [region, cats] of Object.entries(overrides)) {
      for (const [cat, rate] of Object.entries(cats)) {
        if (rate !== undefined) this.set({ region, category: cat as QuotaCategory, ratePerSecond: rate });
      }
    }
  }

  isCategory(category: unknown): category is QuotaCategory {
    return typeof category === "string" && this.categories.includes(category);
  }

  set(q: QuotaSetting): void {
    const region = q.region ?? "*";
    const rate = q.ratePerSecond === null || q.ratePerSecond === undefined ? Infinity : q.ratePerSecond;
    this.settings.set(`${region}|${q.category}`, { rate, burst: q.burst ?? Math.max(1, rate) });
    // Drop buckets built from the old setting.
    for (const k of [...this.buckets.keys()]) {
      const [r, c] = k.split("|");
      if (c === q.category && (region === "*" || r === region)) this.buckets.delete(k);
    }
  }

  reset(): void {
    this.settings.clear();
    this.buckets.clear();
  }

  /** The rate in force: set for the region, else for every region, else the table's (the sandbox's own categories: unmetered). */
  quotaFor(region: string, category: QuotaCategory): { rate: number; burst: number } {
    const rate = Object.hasOwn(this.table.rates, category) ? this.table.rates[category]! : Infinity;
    return this.settings.get(`${region}|${category}`) ?? this.settings.get(`*|${category}`) ?? { rate, burst: Math.max(1, rate) };
  }

  /** Every region with a setting (and `*`), each category's rate (null = unmetered): the admin API's view. */
  view(): Record<string, Record<string, number | null>> {
    const out: Record<string, Record<string, number | null>> = {};
    for (const region of new Set(["*", ...[...this.settings.keys()].map((k) => k.split("|")[0]!)])) {
      out[region] = {};
      for (const c of this.categories) {
        const q = this.quotaFor(region, c);
        out[region][c] = Number.isFinite(q.rate) ? q.rate : null;
      }
    }
    return out;
  }

  /** The categories a Cognito call counts against (its user's first, then its account category), each with its bucket key. */
  checks(req: Pick<AwsRequest, "operation" | "json" | "region">): Array<{ category: QuotaCategory; key: string }> {
    const checks: Array<{ category: QuotaCategory; key: string }> = [];
    const pu = perUser(this.table, req);
    if (pu) checks.push({ category: pu.category, key: `${req.region}|${pu.category}|${pu.user}` });
    const category = (req.operation && this.table.categoryOf(req.operation)) || "Other";
    checks.push({ category, key: `${req.region}|${category}` });
    return checks;
  }

  /** Takes a token from the bucket `key` of `category` in `region`: false when over quota (an unmetered category always has one). */
  take(region: string, category: QuotaCategory, key: string): boolean {
    const { rate, burst } = this.quotaFor(region, category);
    if (!Number.isFinite(rate)) return true;
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(rate, burst);
      this.buckets.set(key, b);
      if (this.buckets.size > 50_000) this.pruneBuckets();
    }
    return b.take();
  }

  /** Drops buckets idle long enough to be full again. */
  private pruneBuckets(): void {
    const now = Date.now();
    for (const [k, b] of this.buckets) if (now - b.last > 10_000) this.buckets.delete(k);
  }
}
