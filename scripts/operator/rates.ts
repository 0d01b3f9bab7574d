// The rate flags of the tools that call Cognito's user APIs (backfill, reconcile): the bound
// per quota category (an explicit flag, else --quota-share of AWS's quota) and the table that
// reports the achieved rate against it. The limiter itself is the core's
// (handlers/replication/rate-limit.ts), shared with the scheduled reconcile.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { COGNITO_QUOTAS, type QuotaCategory } from "../../handlers/replication/cognito-quotas";
import { DEFAULT_PAGE_SECONDS } from "../../handlers/replication/segmented-list";
import { DEFAULT_QUOTA_SHARE, RegionLimiter, round, type RateReport } from "../../handlers/replication/rate-limit";
import type { CommandContext } from "../lib/command";
import { numberFlag, type Options, type Values } from "../lib/flags";
import { table } from "../lib/output";

/** Rate flags for tools that call Cognito user APIs. */
export const RATE_OPTIONS = {
  "quota-share": { type: "string" },
  "list-rate": { type: "string" },
  "create-rate": { type: "string" },
  "update-rate": { type: "string" },
  "read-rate": { type: "string" },
} as const satisfies Options;

/** Flags of the tools that walk every user of the pools (backfill, reconcile): the rates, a ListUsers filter, the work in flight. */
export const USER_WALK_OPTIONS = {
  ...RATE_OPTIONS,
  filter: { type: "string" },
  concurrency: { type: "string" },
  "page-seconds": { type: "string" },
} as const satisfies Options;

/** The listing's sizing: segments walked at once = ceil(--list-rate × --page-seconds) + 1. */
export function pageSeconds(values: Values): number {
  return numberFlag(values, "page-seconds", { min: 0.001, max: 60 }) ?? DEFAULT_PAGE_SECONDS;
}

export const RATE_HELP = `Rate limits (requests/s per region; default: --quota-share of Cognito's quota):
  --quota-share <0..1>     share of each quota to use (default ${DEFAULT_QUOTA_SHARE})
  --list-rate <n>          ListUsers/ListUsersInGroup (quota UserList ${COGNITO_QUOTAS.UserList}/s)
  --create-rate <n>        AdminCreateUser (quota UserCreation ${COGNITO_QUOTAS.UserCreation}/s)
  --update-rate <n>        attribute/group/enable/disable/delete (quota UserUpdate ${COGNITO_QUOTAS.UserUpdate}/s)
  --read-rate <n>          AdminGetUser/AdminListGroupsForUser (quota UserRead ${COGNITO_QUOTAS.UserRead}/s)
  --page-seconds <s>       expected time of one ListUsers page (default ${DEFAULT_PAGE_SECONDS}): a pool is listed
                           in 16 sub-prefix segments, ceil(list rate x s) + 1 of them at once, so
                           enough pages are in flight to reach the list rate (a --filter listing is
                           one sequential walk)`;

/** The categories the tools call (never UserAccountRecovery). */
export type ToolCategory = Exclude<QuotaCategory, "UserAccountRecovery">;

/** Configured rate per category: explicit flag, else share × quota. */
export function rateLimits(values: Values): Record<ToolCategory, number> {
  const share = numberFlag(values, "quota-share", { min: 0.01, max: 1 }) ?? DEFAULT_QUOTA_SHARE;
  const flag = (name: string, category: QuotaCategory) => {
    const v = numberFlag(values, name, { min: 0.1 });
    return v ?? round(COGNITO_QUOTAS[category] * share, 2);
  };
  return {
    UserList: flag("list-rate", "UserList"),
    UserCreation: flag("create-rate", "UserCreation"),
    UserUpdate: flag("update-rate", "UserUpdate"),
    UserRead: flag("read-rate", "UserRead"),
  };
}

export interface LimitedRegion {
  limiter: RegionLimiter;
  cognito: Pick<CognitoIdentityProviderClient, "send">;
}

/** Each region's Cognito behind its own limiter: Cognito's quotas are per account and region. */
export function limitedCognito(ctx: Pick<CommandContext, "env" | "clients">, rates: Record<ToolCategory, number>): { primary: LimitedRegion; dr: LimitedRegion } {
  const limited = (region: string, cognito: CognitoIdentityProviderClient): LimitedRegion => {
    const limiter = new RegionLimiter(region, rates);
    return { limiter, cognito: limiter.limit(cognito) };
  };
  return { primary: limited(ctx.env.primaryRegion, ctx.clients.primary.cognito), dr: limited(ctx.env.drRegion, ctx.clients.dr.cognito) };
}

/** Users per second over `seconds`, against the bound the configured rates allow (every summary prints it). */
export function throughput<E extends object>(users: number, seconds: number, bound: number, what: string, extra: E = {} as E) {
  const usersPerSecond = seconds > 0 ? users / seconds : 0;
  return { usersPerSecond: round(usersPerSecond), boundUsersPerSecond: bound, fractionOfBound: round(usersPerSecond / bound, 3), ...extra, bound: what };
}

export function rateLines(reports: RateReport[]): string {
  if (reports.length === 0) return "";
  return table([
    ["region", "category", "requests", "achieved/s", "bound/s", "of bound", "AWS quota/s"],
    ...reports.map((r) => [r.region, r.category, r.requests, r.achieved, r.bound, `${Math.round(r.fractionOfBound * 100)}%`, r.quota]),
  ]);
}
