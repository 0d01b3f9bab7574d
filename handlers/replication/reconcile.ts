// The reconcile core: lists both pools, joins users by canonical id (DR: custom:canonical_id,
// primary: the user's own sub), reports every kind of drift and, when asked, repairs it through
// the shared upsert (the same code the replicator runs). Primary users in a canonical-id conflict
// (canonical-claims.ts) are reported and never repaired. The operator CLI
// (scripts/operator/reconcile.ts) and the scheduled reconcile Lambda (handlers/reconcile) both
// run this.
import { AdminDeleteUserCommand, type CognitoIdentityProviderClient, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { performance } from "node:perf_hooks";
import { attributeMap } from "./attributes";
import { primaryConflicts } from "./canonical-claims";
import { classifyAwsError } from "../shared/classify";
import { drCanonicalId, drStateFromUser, groupMembership, listAllUsers, primaryCanonicalId, recordFromUser, replicable } from "./pool-users";
import type { ReplicatedUser } from "./record";
import type { ReplicationConfig } from "./replication-config";
import { planUser, upsertDrUser } from "./upsert";

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

export type DriftKind = "missing_in_dr" | "extra_in_dr" | "attributes" | "enabled" | "groups" | "invalid" | "conflict";
export const DRIFT_KINDS: readonly DriftKind[] = ["missing_in_dr", "extra_in_dr", "attributes", "enabled", "groups", "invalid", "conflict"];

export interface DriftItem {
  kind: DriftKind;
  canonicalId?: string;
  primaryUsername?: string;
  drUsername?: string;
  /** Value-free: attribute names, group names, enabled flags. */
  detail: string;
  repaired?: boolean;
  error?: string;
}

export interface ReconcileDeps {
  /** Rate-limited clients. */
  primary: Cognito;
  dr: Cognito;
  primaryPoolId: string;
  drPoolId: string;
  primaryRegion: string;
  config: ReplicationConfig;
  ttlDays: number;
  now?: () => number;
}

export interface ReconcileOptions {
  apply?: boolean;
  allowDelete?: boolean;
  /** ListUsers filter applied to both pools. */
  filter?: string;
  concurrency?: number;
  onListed?: (primary: number, dr: number) => void;
  onRepaired?: (done: number, total: number) => void;
}

/**
 * A primary user whose email is not verified (confirmed by an administrator without proving it, or
 * changed and not verified since). Not drift: DR carries the same state. Listed on its own because
 * on-call should know who may struggle to sign in by EMAIL_OTP in DR. (Cognito's passwordless docs
 * say a correct OTP marks the address verified, so AWS may still send the code; the address itself
 * was never proven to be the user's.)
 */
export interface UnverifiedEmail {
  canonicalId: string;
  primaryUsername?: string;
}

export interface ReconcileResult {
  counts: {
    primaryUsers: number;
    drUsers: number;
    matched: number;
    inSync: number;
    unverifiedEmail: number;
  } & Record<DriftKind, number> & { repaired: number; deleted: number; repairFailed: number };
  drift: DriftItem[];
  unverifiedEmail: UnverifiedEmail[];
  /** Drift still there after this run (everything when not applying). */
  unrepaired: number;
  listSeconds: number;
  seconds: number;
}

function describePlan(plan: ReturnType<typeof planUser>): Array<{ kind: DriftKind; detail: string }> {
  const out: Array<{ kind: DriftKind; detail: string }> = [];
  const attrs = [...plan.update.map((a) => a.Name!), ...plan.delete.map((n) => `-${n}`)];
  if (attrs.length > 0) out.push({ kind: "attributes", detail: attrs.join(",") });
  if (plan.enabled !== undefined) out.push({ kind: "enabled", detail: plan.enabled ? "enabled in primary, disabled in DR" : "disabled in primary, enabled in DR" });
  if (plan.addGroups.length + plan.removeGroups.length > 0) out.push({ kind: "groups", detail: [...plan.addGroups.map((g) => `+${g}`), ...plan.removeGroups.map((g) => `-${g}`)].join(",") });
  return out;
}

export async function reconcilePools(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = performance.now();
  const now = (deps.now ?? Date.now)();
  let pCount = 0;
  let dCount = 0;
  const [pUsers, dUsers, pGroups, dGroups] = await Promise.all([
    listAllUsers(deps.primary, deps.primaryPoolId, { filter: opts.filter, onPage: (c) => opts.onListed?.((pCount = c), dCount) }),
    listAllUsers(deps.dr, deps.drPoolId, { filter: opts.filter, onPage: (c) => opts.onListed?.(pCount, (dCount = c)) }),
    groupMembership(deps.primary, deps.primaryPoolId),
    groupMembership(deps.dr, deps.drPoolId),
  ]);
  const listSeconds = (performance.now() - started) / 1000;

  const drById = new Map<string, UserType>();
  const drift: DriftItem[] = [];
  for (const u of dUsers) {
    const id = drCanonicalId(u, deps.config);
    if (id) drById.set(id, u);
  }
  const primaryIds = new Set<string>();
  const conflicts = primaryConflicts(pUsers, deps.config);
  const unverifiedEmail: UnverifiedEmail[] = [];
  const repairs = new Map<string, { record: ReplicatedUser; drUser?: UserType; items: DriftItem[] }>();
  let matched = 0;
  let inSync = 0;

  for (const u of pUsers) {
    const id = primaryCanonicalId(u);
    if (id) primaryIds.add(id);
    const conflict = conflicts.get(u);
    if (conflict) {
      // Never repaired, unconfirmed users included: whichever side a repair took, it could hand one
      // person's DR account to the other.
      drift.push({ kind: "conflict", canonicalId: conflict.canonicalId, primaryUsername: u.Username, drUsername: id ? drById.get(id)?.Username : undefined, detail: conflict.detail });
      continue;
    }
    if (!replicable(u)) continue;
    let record: ReplicatedUser;
    try {
      // Stryker disable next-line StringLiteral: equivalent, a user without a username is in no group map, whatever key stands in for it
      record = recordFromUser(u, pGroups.get(u.Username ?? "") ?? [], { region: deps.primaryRegion, poolId: deps.primaryPoolId, config: deps.config, ttlDays: deps.ttlDays, now });
    } catch (err) {
      drift.push({ kind: "invalid", canonicalId: id, primaryUsername: u.Username, detail: classifyAwsError(err).message });
      continue;
    }
    if (record.attributes.email_verified !== "true") unverifiedEmail.push({ canonicalId: record.canonicalId, primaryUsername: u.Username });
    const dr = drById.get(record.canonicalId);
    if (!dr) {
      const item: DriftItem = { kind: "missing_in_dr", canonicalId: record.canonicalId, primaryUsername: u.Username, detail: "no DR user with this canonical id" };
      drift.push(item);
      repairs.set(record.canonicalId, { record, items: [item] });
      continue;
    }
    matched++;
    let found: Array<{ kind: DriftKind; detail: string }>;
    try {
      // Stryker disable next-line StringLiteral: equivalent, as above
      found = describePlan(planUser(record, drStateFromUser(dr, dGroups.get(dr.Username ?? "") ?? []), deps.config));
    } catch (err) {
      drift.push({ kind: "invalid", canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: dr.Username, detail: classifyAwsError(err).message });
      continue;
    }
    if (found.length === 0) {
      inSync++;
      continue;
    }
    const items = found.map((f) => ({ ...f, canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: dr.Username }));
    drift.push(...items);
    repairs.set(record.canonicalId, { record, drUser: dr, items });
  }

  const extras: Array<{ user: UserType; item: DriftItem }> = [];
  for (const u of dUsers) {
    const id = drCanonicalId(u, deps.config);
    if (id && primaryIds.has(id)) continue;
    const item: DriftItem = { kind: "extra_in_dr", canonicalId: id, drUsername: u.Username, detail: id ? "canonical id not in the primary pool" : "DR user without a canonical id" };
    drift.push(item);
    extras.push({ user: u, item });
  }

  let repaired = 0;
  let deleted = 0;
  let repairFailed = 0;
  if (opts.apply) {
    const jobs = [...repairs.values()];
    const total = jobs.length + (opts.allowDelete ? extras.length : 0);
    let done = 0;
    await mapLimit(jobs, opts.concurrency ?? 8, async ({ record, drUser, items }) => {
      const previousEmail = drUser ? attributeMap(drUser.Attributes).email : undefined;
      try {
        await upsertDrUser({ cognito: deps.dr, userPoolId: deps.drPoolId, config: deps.config }, record, { previousEmail });
        for (const i of items) i.repaired = true;
        repaired++;
      } catch (err) {
        const e = classifyAwsError(err);
        for (const i of items) {
          i.repaired = false;
          i.error = `${e.reason}: ${e.message}`;
        }
        repairFailed++;
      }
      opts.onRepaired?.(++done, total);
    });
    if (opts.allowDelete) {
      await mapLimit(extras, opts.concurrency ?? 8, async ({ user, item }) => {
        try {
          await deps.dr.send(new AdminDeleteUserCommand({ UserPoolId: deps.drPoolId, Username: user.Username! }));
          item.repaired = true;
          deleted++;
        } catch (err) {
          if ((err as { name?: string }).name === "UserNotFoundException") {
            item.repaired = true;
            deleted++;
          } else {
            item.repaired = false;
            item.error = classifyAwsError(err).message;
            repairFailed++;
          }
        }
        opts.onRepaired?.(++done, total);
      });
    }
  }

  const counts = {
    primaryUsers: pUsers.length,
    drUsers: dUsers.length,
    matched,
    inSync,
    unverifiedEmail: unverifiedEmail.length,
    ...(Object.fromEntries(DRIFT_KINDS.map((k) => [k, drift.filter((d) => d.kind === k).length])) as Record<DriftKind, number>),
    repaired,
    deleted,
    repairFailed,
  };
  return { counts, drift, unverifiedEmail, unrepaired: drift.filter((d) => !d.repaired).length, listSeconds, seconds: (performance.now() - started) / 1000 };
}
