// What counts as drained into the primary (D11): a live record when the primary user of its
// canonical id matches it, a tombstone when the user is gone (or disabled under `disable`), and
// nothing DR-originated in the primary replicator's DLQ; and the wait: polls until drained, or
// times out at the deadline with what is still pending.
import { describe, expect, it } from "vitest";
import { newRecord, tombstoneRecord, type ReplicatedUser } from "../../handlers/replication/record";
import { replicationConfig } from "../../handlers/replication/replication-config";
import type { DrUserState } from "../../handlers/replication/plan";
import { drainStatus, notDrained, waitForDrain, type DrainStatus } from "./failback-drain";

const config = replicationConfig();
const DR = "us-west-2";
const T = Date.UTC(2026, 0, 31);
const live = (id: string, more: Partial<ReplicatedUser> = {}): ReplicatedUser => ({
  ...newRecord({ canonicalId: id, username: id, attributes: { email: `${id}@example.com`, email_verified: "true" }, originRegion: DR, originPoolId: `${DR}_D`, now: T, ttlDays: 30 }),
  ...more,
});
const dead = (id: string) => tombstoneRecord({ canonicalId: id, originRegion: DR, originPoolId: `${DR}_D`, now: T, ttlDays: 30 });
const state = (id: string, more: Partial<DrUserState> = {}): DrUserState => ({
  username: `p-${id}`,
  attributes: { sub: `p-sub-${id}`, email: `${id}@example.com`, email_verified: "true", "custom:canonical_id": id },
  enabled: true,
  groups: [],
  ...more,
});

describe("notDrained", () => {
  it("a live record: drained only when the primary user matches it", () => {
    expect(notDrained(live("a"), state("a"), "delete", config)).toBeUndefined();
    expect(notDrained(live("a"), undefined, "delete", config)).toBe("no primary user with this canonical id yet");
    expect(notDrained(live("a", { groups: ["vip"] }), state("a"), "delete", config)).toBe("differs in the primary: groups +vip");
    expect(notDrained(live("a", { enabled: false }), state("a"), "delete", config)).toBe("differs in the primary: not yet disabled");
    const old = state("a", { attributes: { ...state("a").attributes, email: "old@example.com" } });
    expect(notDrained(live("a"), old, "delete", config)).toBe("differs in the primary: attributes email,email_verified");
    expect(notDrained(live("a"), old, "delete", config)).not.toContain("a@example.com"); // names, never values
  });

  it("a tombstone: drained when the user is gone; under `disable`, also when it is disabled", () => {
    expect(notDrained(dead("d"), undefined, "delete", config)).toBeUndefined();
    expect(notDrained(dead("d"), state("d", { enabled: false }), "delete", config)).toBe("deleted in DR, the primary user still exists");
    expect(notDrained(dead("d"), state("d", { enabled: false }), "disable", config)).toBeUndefined();
    expect(notDrained(dead("d"), state("d"), "disable", config)).toBe("deleted in DR, the primary user is still enabled");
  });
});

describe("drainStatus", () => {
  const opts = { drRegion: DR, policy: "delete" as const, config };

  it("lists what is pending by canonical id, and counts users and deletions", () => {
    const s = drainStatus([live("b"), live("a"), dead("d")], (id) => (id === "a" ? state("a") : undefined), [], opts);
    expect(s).toEqual({ drained: false, pending: [{ canonicalId: "b", why: "no primary user with this canonical id yet" }], dlq: {}, figures: { records: 3, users: 2, deletions: 1 } });
    expect(drainStatus([live("a")], () => state("a"), [], opts).drained).toBe(true);
  });

  it("the DLQ blocks: a parked DR record names its user, a batch record (no record) blocks by reason; a primary-origin parked record does not", () => {
    const dlq = [
      { reason: "CONFLICT_SAME_EMAIL", record: { canonicalId: "a", originRegion: DR } },
      { reason: "BATCH_RetryAttemptsExhausted" },
      { reason: "CONFLICT_SAME_EMAIL", record: { canonicalId: "x", originRegion: "us-east-1" } },
    ];
    const s = drainStatus([live("a")], () => state("a"), dlq, opts);
    expect(s.drained).toBe(false);
    expect(s.dlq).toEqual({ CONFLICT_SAME_EMAIL: 1, BATCH_RetryAttemptsExhausted: 1 });
    expect(s.pending).toEqual([{ canonicalId: "a", why: "parked in the primary replicator's DLQ (CONFLICT_SAME_EMAIL)" }]);
    expect(drainStatus([], () => undefined, [{ reason: "BATCH_X" }], opts).drained).toBe(false);
  });
});

describe("waitForDrain", () => {
  const status = (drained: boolean): DrainStatus => ({ drained, pending: drained ? [] : [{ canonicalId: "a", why: "x" }], dlq: {}, figures: { records: 1, users: 1, deletions: 0 } });
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms), slept: () => t };
  };

  it("polls every interval until drained and reports the time it took", async () => {
    const c = clock();
    const answers = [false, false, true];
    const r = await waitForDrain(async () => status(answers.shift()!), { timeoutMs: 60_000, intervalMs: 5_000, ...c });
    expect(r).toMatchObject({ timedOut: false, polls: 3, elapsedMs: 10_000 });
  });

  it("times out at the deadline (one last check there) with what is still pending", async () => {
    const c = clock();
    const r = await waitForDrain(async () => status(false), { timeoutMs: 12_000, intervalMs: 5_000, ...c });
    expect(r).toMatchObject({ timedOut: true, polls: 4, elapsedMs: 12_000 });
    expect(r.status.pending.map((p) => p.canonicalId)).toEqual(["a"]);
  });
});
