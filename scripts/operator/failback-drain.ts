// What "the DR-originated backlog has drained into the primary" means (D11), kept pure: given the
// table's DR-originated records since the failover, what the primary pool holds for each, and what
// the primary replicator's DLQ holds, which records are not yet there and why. The failback polls
// this (failback-io.ts reads the table, the pool and the DLQ) until nothing is pending or it times out.
// - a live record is drained when the primary has a user of that canonical id and planUser finds
//   nothing to change (attributes, enabled, groups: what the replicator would apply);
// - a tombstone when the primary has no user of it, or (the `disable` policy) only a disabled one;
// - any message in the primary replicator's DLQ blocks: a parked record of DR origin names its user,
//   a Lambda batch record names none (it may hold DR records), so both keep the failback waiting.
import type { DeletionPolicy } from "../../handlers/contract";
import { planUser, type DrUserState } from "../../handlers/replication/plan";
import type { ReplicatedUser } from "../../handlers/replication/record";
import type { ReplicationConfig } from "../../handlers/replication/replication-config";

/** What the DLQ peek gives, per message: its reason, and the record's id and origin when it carries one. */
export interface DlqItem {
  reason: string;
  record?: Pick<ReplicatedUser, "canonicalId" | "originRegion">;
}

export interface Pending {
  canonicalId: string;
  /** Value-free: kinds and attribute names only. */
  why: string;
}

export interface DrainStatus {
  drained: boolean;
  pending: Pending[];
  /** DLQ messages that keep the failback waiting, by reason. */
  dlq: Record<string, number>;
  figures: { records: number; users: number; deletions: number };
}

/** Why the primary does not show `record` yet (undefined: it does). `state` is the primary user of its canonical id, if any. */
export function notDrained(record: ReplicatedUser, state: DrUserState | undefined, policy: DeletionPolicy, config: ReplicationConfig): string | undefined {
  if (record.deleted) {
    if (!state) return undefined;
    if (policy === "disable") return state.enabled ? "deleted in DR, the primary user is still enabled" : undefined;
    return "deleted in DR, the primary user still exists";
  }
  if (!state) return "no primary user with this canonical id yet";
  let plan: ReturnType<typeof planUser>;
  try {
    plan = planUser(record, state, config);
  } catch (err) {
    return `cannot be applied: ${(err as Error).message}`;
  }
  const what = [
    ...(plan.update.length + plan.delete.length > 0 ? [`attributes ${[...plan.update.map((a) => a.Name), ...plan.delete.map((n) => `-${n}`)].join(",")}`] : []),
    ...(plan.enabled !== undefined ? [plan.enabled ? "not yet enabled" : "not yet disabled"] : []),
    ...(plan.addGroups.length + plan.removeGroups.length > 0 ? [`groups ${[...plan.addGroups.map((g) => `+${g}`), ...plan.removeGroups.map((g) => `-${g}`)].join(",")}`] : []),
  ];
  return what.length > 0 ? `differs in the primary: ${what.join("; ")}` : undefined;
}

/**
 * The drain's state. `primaryOf` answers the primary user of a canonical id (already read), `dlq`
 * is the primary replicator's DLQ as peeked now.
 */
export function drainStatus(
  records: readonly ReplicatedUser[],
  primaryOf: (canonicalId: string) => DrUserState | undefined,
  dlq: readonly DlqItem[],
  opts: { drRegion: string; policy: DeletionPolicy; config: ReplicationConfig },
): DrainStatus {
  const pending = new Map<string, string>();
  for (const r of records) {
    const why = notDrained(r, primaryOf(r.canonicalId), opts.policy, opts.config);
    if (why) pending.set(r.canonicalId, why);
  }
  const blocking: Record<string, number> = {};
  for (const m of dlq) {
    // A parked record of primary origin is not this drain's (the primary replicator applies only DR records; none should be there).
    if (m.record && m.record.originRegion !== opts.drRegion) continue;
    blocking[m.reason] = (blocking[m.reason] ?? 0) + 1;
    if (m.record) pending.set(m.record.canonicalId, `parked in the primary replicator's DLQ (${m.reason})`);
  }
  const deletions = records.filter((r) => r.deleted).length;
  return {
    drained: pending.size === 0 && Object.keys(blocking).length === 0,
    pending: [...pending].map(([canonicalId, why]) => ({ canonicalId, why })).sort((a, b) => (a.canonicalId < b.canonicalId ? -1 : 1)),
    dlq: blocking,
    figures: { records: records.length, users: records.length - deletions, deletions },
  };
}

export interface WaitResult {
  status: DrainStatus;
  elapsedMs: number;
  polls: number;
  timedOut: boolean;
}

/** Polls `check` every `intervalMs` until drained or `timeoutMs` has passed (one last check at the deadline). */
export async function waitForDrain(
  check: () => Promise<DrainStatus>,
  opts: { timeoutMs: number; intervalMs: number; now?: () => number; sleep?: (ms: number) => Promise<void>; onPoll?: (s: DrainStatus, elapsedMs: number) => void },
): Promise<WaitResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  for (let polls = 1; ; polls++) {
    const status = await check();
    const elapsedMs = now() - start;
    opts.onPoll?.(status, elapsedMs);
    if (status.drained) return { status, elapsedMs, polls, timedOut: false };
    if (elapsedMs >= opts.timeoutMs) return { status, elapsedMs, polls, timedOut: true };
    await sleep(Math.min(opts.intervalMs, opts.timeoutMs - elapsedMs));
  }
}
