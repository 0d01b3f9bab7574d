// Cognito's request-rate quotas as the sandbox enforces them: a token bucket per region and
// category at AWS's default rates (per account per region), plus the per-user read and write
// quotas (per pool and username, or per access token subject), which AWS enforces at 10/s each
// but the sandbox leaves off unless set, so that test helpers polling one user fast keep working.
// Rates can be overridden per region (`*` = every region) at start or through the admin API.

import type { AwsRequest } from "../types";

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

  /** `overrides`: `{ "us-west-2": { UserCreation: 10 } }`; key `*` for every region. */
  constructor(overrides: Record<string, Partial<Record<QuotaCategory, number>>> = {}) {
    for (const [region, cats] of Object.entries(overrides)) {
      for (const [cat, rate] of Object.entries(cats)) {
        if (rate !== undefined) this.set({ region, category: cat as QuotaCategory, ratePerSecond: rate });
      }
    }
  }

  isCategory(category: unknown): category is QuotaCategory {
    return QUOTA_CATEGORIES.includes(category as QuotaCategory);
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

  quotaFor(region: string, category: QuotaCategory): { rate: number; burst: number } {
    const rate = DEFAULT_QUOTAS[category];
    return this.settings.get(`${region}|${category}`) ?? this.settings.get(`*|${category}`) ?? { rate, burst: Math.max(1, rate) };
  }

  /** Every region with a setting (and `*`), each category's rate (null = unmetered): the admin API's view. */
  view(): Record<string, Record<string, number | null>> {
    const out: Record<string, Record<string, number | null>> = {};
    for (const region of new Set(["*", ...[...this.settings.keys()].map((k) => k.split("|")[0]!)])) {
      out[region] = {};
      for (const c of QUOTA_CATEGORIES) {
        const q = this.quotaFor(region, c);
        out[region][c] = Number.isFinite(q.rate) ? q.rate : null;
      }
    }
    return out;
  }

  /** The categories a Cognito call counts against (its user's first, then its account category), each with its bucket key. */
  checks(req: Pick<AwsRequest, "operation" | "json" | "region">): Array<{ category: QuotaCategory; key: string }> {
    const checks: Array<{ category: QuotaCategory; key: string }> = [];
    const pu = perUser(req);
    if (pu) checks.push({ category: pu.category, key: `${req.region}|${pu.category}|${pu.user}` });
    const category = cognitoCategory(req.operation);
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
