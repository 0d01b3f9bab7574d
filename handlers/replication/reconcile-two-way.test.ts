// Reconcile in two-way mode (D3, D6, D12): a DR user born in DR, or whose latest record originates in
// DR, is missing in the primary (copied there with --apply), not extra in DR; one deleted in the
// primary or by nobody's replicator stays extra; same-email pairs are reported by canonical id and
// region and never merged; one-way mode keeps today's classification.
import { describe, expect, it } from "vitest";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { newRecord, tombstoneRecord, type ReplicatedUser } from "./record";
import { reconcilePools, type ReconcileOptions } from "./reconcile";
import { replicationConfig } from "./replication-config";
// The fixtures' subs are not UUIDs: each pool is listed as one segment (segmented-list.test.ts covers the segments).
import { WHOLE_POOL } from "./segmented-list";
import { inBothPartitionings } from "../../test/support/partitioned-reconcile";

const config = replicationConfig();
const NOW = Date.UTC(2026, 10, 30);
const LONG_AGO = NOW - 86_400_000;
const [P, D] = ["us-east-1", "us-west-2"];

const primaryUser = (sub: string, more: Partial<FakeUser> & { attributes?: Record<string, string> } = {}): FakeUser => ({
  username: `p-${sub}`,
  ...more,
  attributes: { sub, email: `${sub}@example.com`, email_verified: "true", ...more.attributes },
});
/** A DR user born in DR: no canonical id attribute, its sub its canonical id. */
const drBorn = (sub: string, email = `${sub}@example.com`): FakeUser => ({ username: sub, attributes: { sub, email, email_verified: "true", name: `Name ${sub}` }, modifiedAt: LONG_AGO, groups: ["members"] });
const drCopy = (id: string, sub = `dr-${id}`): FakeUser => ({ username: sub, attributes: { sub, email: `${id}@example.com`, email_verified: "true", "custom:canonical_id": id }, modifiedAt: LONG_AGO });
const live = (id: string, region: string): ReplicatedUser =>
  newRecord({ canonicalId: id, username: id, attributes: { email: `${id}@example.com` }, originRegion: region, originPoolId: `${region}_X`, now: LONG_AGO, ttlDays: 30 });
const dead = (id: string, region: string): ReplicatedUser => tombstoneRecord({ canonicalId: id, originRegion: region, originPoolId: `${region}_X`, now: LONG_AGO, ttlDays: 30 });

function setup(primaryUsers: FakeUser[], drUsers: FakeUser[], records: ReplicatedUser[] = [], mode: "one-way" | "two-way" = "two-way") {
  const primary = new FakePool(`${P}_P`, primaryUsers, 60);
  const dr = new FakePool(`${D}_D`, drUsers, 60, { emailAsUsername: true });
  primary.groups.add("members");
  const table = new Map(records.map((r) => [r.canonicalId, r]));
  const reads: string[] = [];
  const run = (opts: ReconcileOptions = {}) =>
    inBothPartitionings((o) => reconcilePools(
      {
        primary,
        dr,
        primaryPoolId: primary.poolId,
        drPoolId: dr.poolId,
        primaryRegion: P,
        drRegion: D,
        mode,
        config,
        ttlDays: 30,
        now: () => NOW,
        records: { read: async (id) => (reads.push(id), table.get(id)) },
      },
      { segments: WHOLE_POOL, ...o },
    ), opts);
  return { primary, dr, run, reads };
}

describe("missing_in_primary (two-way)", () => {
  it("a DR-born user and a DR user whose record originates in DR are missing in the primary; a primary-origin or deleted one is extra", async () => {
    const { run } = setup([], [drBorn("born"), drCopy("dr-origin"), drCopy("primary-origin"), drCopy("deleted"), drCopy("no-record")], [live("dr-origin", D), live("primary-origin", P), dead("deleted", D)]);
    const result = await run();
    expect(result.drift.map((d) => [d.kind, d.canonicalId])).toEqual([
      ["missing_in_primary", "born"],
      ["missing_in_primary", "dr-origin"],
      ["extra_in_dr", "primary-origin"],
      ["extra_in_dr", "deleted"],
      ["extra_in_dr", "no-record"],
    ]);
    expect(result.counts).toMatchObject({ missing_in_primary: 2, extra_in_dr: 3 });
    expect(result.missedByCapture.missing_in_primary).toBe(2);
  });

  it("one-way mode keeps today's classification: the same DR users are all extra in DR, and no record is read", async () => {
    const { run, reads } = setup([], [drBorn("born"), drCopy("dr-origin")], [live("dr-origin", D)], "one-way");
    const result = await run();
    expect(result.drift.map((d) => [d.kind, d.canonicalId, d.detail])).toEqual([
      ["extra_in_dr", undefined, "DR user without a canonical id"],
      ["extra_in_dr", "dr-origin", "canonical id not in the primary pool"],
    ]);
    expect(result.counts).toMatchObject({ missing_in_primary: 0, same_email: 0 });
    expect(reads).toEqual([]);
  });

  it("--apply copies it to the primary with the upsert (canonical id in custom:canonical_id, groups kept); the next run finds both in sync", async () => {
    const { primary, dr, run } = setup([], [drBorn("born")]);
    const result = await run({ apply: true });
    expect(result.counts).toMatchObject({ missing_in_primary: 1, repaired: 1, repairFailed: 0 });
    const copy = [...primary.users.values()].find((u) => u.attributes["custom:canonical_id"] === "born");
    expect(copy).toMatchObject({ enabled: true, groups: ["members"] });
    expect(copy!.attributes).toMatchObject({ email: "born@example.com", name: "Name born" });
    expect(dr.calls.filter((c) => !/^List/.test(c))).toEqual([]); // nothing written in DR
    const again = await run();
    expect(again.drift).toEqual([]);
    expect(again.counts).toMatchObject({ matched: 1, inSync: 1 });
  });

  it("repairInPrimary false (the scheduled reconcile in DR): reported, nothing written to the primary", async () => {
    const { primary, run } = setup([], [drBorn("born")]);
    const result = await run({ apply: true, repairInPrimary: false });
    expect(result.counts).toMatchObject({ missing_in_primary: 1, repaired: 0 });
    expect(result.unrepaired).toBe(1);
    expect(primary.calls.filter((c) => c.startsWith("AdminCreateUser"))).toEqual([]);
  });

  it("an unconfirmed DR sign-up is not replicable yet: not reported", async () => {
    const { run } = setup([], [{ ...drBorn("pending"), status: "UNCONFIRMED" }]);
    expect((await run()).drift).toEqual([]);
  });

  it("a primary user deleted in DR (DR-origin tombstone) is not re-created in DR", async () => {
    const { dr, run } = setup([primaryUser("gone-in-dr", { modifiedAt: LONG_AGO })], [], [dead("gone-in-dr", D)]);
    const result = await run({ apply: true });
    expect(result.drift).toMatchObject([{ kind: "missing_in_dr", canonicalId: "gone-in-dr", detail: expect.stringContaining("deleted in DR") }]);
    expect(dr.users.size).toBe(0);
  });
});

describe("canonical ids in the primary pool (two-way: attribute ?? sub)", () => {
  it("the primary copy of a DR-born user matches it by its custom:canonical_id, in sync and not a conflict; a claim on another primary user's sub still is", async () => {
    const { run } = setup(
      [primaryUser("p-copy-sub", { attributes: { "custom:canonical_id": "born", email: "born@example.com", name: "Name born" }, groups: ["members"] }), primaryUser("victim"), primaryUser("thief", { attributes: { "custom:canonical_id": "victim" } })],
      [drBorn("born"), drCopy("victim")],
    );
    const result = await run();
    // In sync: the DR-born user's missing attribute is its own sub, the id the copy carries (not attribute drift).
    expect(result.drift.filter((d) => d.canonicalId === "born")).toEqual([]);
    expect(result.counts).toMatchObject({ matched: 1, inSync: 1 });
    expect(result.drift.filter((d) => d.kind === "conflict").map((d) => d.canonicalId).sort()).toEqual(["thief", "victim"]);
  });
});

describe("same_email (two-way)", () => {
  it("one email held by a primary user and a DR-born user: both canonical ids and regions, no email anywhere, neither repaired", async () => {
    const { primary, dr, run } = setup([primaryUser("alice-p", { attributes: { email: "alice@example.com" }, modifiedAt: LONG_AGO })], [drBorn("alice-d", "alice@example.com")]);
    const result = await run({ apply: true });
    expect(result.sameEmail).toEqual([
      {
        holders: [
          { canonicalId: "alice-p", region: P, pool: "primary" },
          { canonicalId: "alice-d", region: D, pool: "dr" },
        ],
      },
    ]);
    expect(result.counts).toMatchObject({ same_email: 1, missing_in_dr: 1, missing_in_primary: 1, repaired: 0, repairFailed: 0 });
    expect(result.drift.every((d) => d.detail.includes("same_email"))).toBe(true);
    expect(JSON.stringify({ drift: result.drift, sameEmail: result.sameEmail })).not.toContain("alice@");
    expect(primary.users.size).toBe(1);
    expect(dr.users.size).toBe(1);
  });

  it("a DR copy lagging behind an email change is not a pair (it exists in both pools): the upsert repairs it", async () => {
    const { run } = setup([primaryUser("a", { attributes: { email: "new-a@example.com" } }), primaryUser("c", { attributes: { email: "a@example.com" } })], [drCopy("a")]);
    const result = await run();
    expect(result.sameEmail).toEqual([]);
    expect(result.drift.map((d) => [d.kind, d.canonicalId])).toEqual([["attributes", "a"], ["missing_in_dr", "c"]]);
  });
});
