// Reconcile as the net under change capture: a filter never costs a legitimate DR user, twins are
// found and repaired, deletions free emails before repairs need them, and what capture should have
// carried is counted by kind.
import { describe, expect, it } from "vitest";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { memoryDirectory } from "../../test/support/fake-directory";
import type { DrDirectory } from "./dr-directory";
import { reconcilePools, type ReconcileOptions } from "./reconcile";
import { replicationConfig } from "./replication-config";
// The fixtures' subs are not UUIDs: each pool is listed as one segment (segmented-list.test.ts covers the segments).
import { WHOLE_POOL } from "./segmented-list";
import { inBothPartitionings } from "../../test/support/partitioned-reconcile";

const config = replicationConfig();
const NOW = Date.UTC(2026, 10, 30);
const LONG_AGO = NOW - 86_400_000;

const primaryUser = (id: string, email = `user-${id}@example.com`, more: Partial<FakeUser> = {}): FakeUser => ({
  username: `p-${id}`,
  attributes: { sub: id, email, email_verified: "true" },
  modifiedAt: LONG_AGO,
  ...more,
});
const drUser = (username: string, id: string, email = `user-${id}@example.com`, more: Partial<FakeUser> = {}): FakeUser => ({
  username,
  attributes: { sub: `dr-${username}`, email, email_verified: "true", "custom:canonical_id": id },
  ...more,
});

function setup(primaryUsers: FakeUser[], drUsers: FakeUser[], directory?: DrDirectory) {
  const primary = new FakePool("us-east-1_P", primaryUsers, 60);
  const dr = new FakePool("us-west-2_D", drUsers, 60, { emailAsUsername: true });
  const run = (opts: ReconcileOptions = {}) =>
    inBothPartitionings((o) => reconcilePools({ primary, dr, primaryPoolId: primary.poolId, drPoolId: dr.poolId, primaryRegion: "us-east-1", config, ttlDays: 30, directory, now: () => NOW }, { segments: WHOLE_POOL, ...o }), opts);
  return { primary, dr, run };
}

describe("--filter with --allow-delete never deletes a DR user whose canonical id the primary has", () => {
  it("a user whose primary email left the filter keeps its DR user, which is repaired (moved to the new email) instead", async () => {
    // Before: the primary listing (filtered) lacked the mover, its DR copy (old email) matched the filter, and was deleted.
    const { dr, run } = setup([primaryUser("stay"), primaryUser("mover", "moved-mover@example.com")], [drUser("dr-stay", "stay"), drUser("dr-mover", "mover")]);
    const result = await run({ filter: 'email ^= "user-"', apply: true, allowDelete: true });
    expect(dr.users.has("dr-mover")).toBe(true);
    expect(dr.users.get("dr-mover")!.attributes.email).toBe("moved-mover@example.com");
    expect(result.counts).toMatchObject({ primaryUsers: 1, primaryOutsideList: 1, extra_in_dr: 0, deleted: 0, repaired: 1 });
    expect(result.drift.map((d) => [d.kind, d.canonicalId])).toEqual([["attributes", "mover"]]);
  });

  it("the same without a filter: a primary user the listing missed (created meanwhile) is looked up by sub, its DR user kept", async () => {
    const { primary, dr, run } = setup([primaryUser("late")], [drUser("dr-late", "late")]);
    const send = primary.send.bind(primary);
    primary.send = async (cmd) => (cmd.constructor.name === "ListUsersCommand" && !cmd.input.Filter ? { Users: [] } : send(cmd));
    const result = await run({ apply: true, allowDelete: true });
    expect(dr.users.has("dr-late")).toBe(true);
    expect(result.counts).toMatchObject({ primaryOutsideList: 1, extra_in_dr: 0, deleted: 0, inSync: 1 });
    expect(primary.calls.filter((c) => c === "ListUsers")).toHaveLength(1); // the lookup by sub (the listing went around the fake)
  });

  it("a DR user whose canonical id the primary really lacks is still extra and deleted; one without a canonical id is not looked up", async () => {
    const { primary, dr, run } = setup([], [drUser("dr-gone", "gone"), { username: "dr-x", attributes: { sub: "dr-x", email: "x@example.com" } }]);
    const result = await run({ apply: true, allowDelete: true });
    expect(dr.users.size).toBe(0);
    expect(result.counts).toMatchObject({ extra_in_dr: 2, deleted: 2 });
    expect(primary.calls.filter((c) => c === "ListUsers")).toHaveLength(2); // the listing and one lookup (gone)
  });
});

describe("twins", () => {
  const twins = () => [drUser("dr-a", "tw", "old-tw@example.com", { groups: ["old"], modifiedAt: LONG_AGO + 2 }), drUser("dr-b", "tw", "user-tw@example.com", { modifiedAt: LONG_AGO + 1 })];

  it("are reported (one item per extra DR user, value-free) and not repaired without --apply", async () => {
    const { dr, run } = setup([primaryUser("tw")], twins(), memoryDirectory({ tw: "dr-a" }));
    const result = await run();
    expect(result.drift.filter((d) => d.kind === "twin")).toEqual([
      { kind: "twin", canonicalId: "tw", primaryUsername: "p-tw", drUsername: "dr-b", detail: "a second DR user with this canonical id; kept: the DR user the directory names (dr-a)" },
    ]);
    expect(result.counts.twin).toBe(1);
    expect(dr.users.size).toBe(2);
  });

  it("--apply keeps the one the directory names, deletes the other, and repairs the kept one (email, groups)", async () => {
    const directory = memoryDirectory({ tw: "dr-a" });
    const { dr, run } = setup([primaryUser("tw")], twins(), directory);
    dr.groups.add("old");
    const result = await run({ apply: true });
    expect([...dr.users.keys()]).toEqual(["dr-a"]);
    expect(dr.users.get("dr-a")).toMatchObject({ attributes: expect.objectContaining({ email: "user-tw@example.com" }), groups: [] });
    expect(directory.items.get("tw")).toBe("dr-a");
    expect(result.counts).toMatchObject({ twin: 1, deleted: 1, repaired: 1, repairFailed: 0 });
    expect(result.unrepaired).toBe(0);
  });

  it("without a directory item: the one with the primary's email, else the most recently modified", async () => {
    const byEmail = setup([primaryUser("tw")], twins());
    await byEmail.run({ apply: true });
    expect([...byEmail.dr.users.keys()]).toEqual(["dr-b"]);

    const neither = setup([primaryUser("tw", "new-tw@example.com")], twins(), memoryDirectory());
    const result = await neither.run({ apply: true });
    expect(result.drift.find((d) => d.kind === "twin")).toMatchObject({ drUsername: "dr-b", detail: expect.stringContaining("the most recently modified DR user (dr-a)") });
    expect([...neither.dr.users.keys()]).toEqual(["dr-a"]);
    expect(neither.dr.users.get("dr-a")!.attributes.email).toBe("new-tw@example.com");
  });

  it("twins of a canonical id the primary lacks are extras, deleted only with --allow-delete", async () => {
    const { dr, run } = setup([], twins());
    const result = await run({ apply: true });
    expect(result.counts).toMatchObject({ twin: 0, extra_in_dr: 2, deleted: 0 });
    expect(dr.users.size).toBe(2);
  });
});

describe("deletions before repairs", () => {
  it("a deleted user's DR copy holding the email a new primary user now has: deleted first, then the newcomer is created", async () => {
    const { dr, run } = setup([primaryUser("newcomer", "alice@example.com")], [drUser("dr-old", "old", "alice@example.com")]);
    const result = await run({ apply: true, allowDelete: true });
    expect(result.counts).toMatchObject({ deleted: 1, repaired: 1, repairFailed: 0 });
    expect([...dr.users.values()].map((u) => u.attributes["custom:canonical_id"])).toEqual(["newcomer"]);
  });
});

describe("what change capture should have carried", () => {
  const world = () =>
    setup(
      [
        primaryUser("missing"),
        primaryUser("off", undefined, { enabled: false }),
        primaryUser("fresh", undefined, { enabled: false, modifiedAt: NOW - 60_000 }),
        primaryUser("twin"),
        primaryUser("broken", ""),
      ],
      [drUser("dr-off", "off"), drUser("dr-fresh", "fresh"), drUser("dr-t1", "twin"), drUser("dr-t2", "twin", "t2@example.com"), drUser("dr-gone", "gone"), { username: "dr-x", attributes: { sub: "dr-x", email: "x@example.com" } }],
    );

  it("counts by kind the drift of users not modified within the grace period, deletions included; twins, invalid users and strangers are not capture's", async () => {
    const result = await world().run();
    expect(result.drift.find((d) => d.canonicalId === "broken")).toMatchObject({ kind: "invalid", detail: expect.stringContaining("email") });
    expect(result.missedByCapture).toEqual({ missing_in_dr: 1, missing_in_primary: 0, extra_in_dr: 1, attributes: 0, enabled: 1, groups: 0 });
    expect(result.repairedMissedByCapture).toEqual({ missing_in_dr: 0, missing_in_primary: 0, extra_in_dr: 0, attributes: 0, enabled: 0, groups: 0 });
    expect(result.drift.find((d) => d.canonicalId === "fresh")).toMatchObject({ kind: "enabled", missedByCapture: false });
    expect(result.drift.find((d) => d.canonicalId === "off")).toMatchObject({ kind: "enabled", missedByCapture: true });
  });

  it("a shorter grace counts the fresh change too; with --apply what was repaired is counted apart", async () => {
    const result = await world().run({ apply: true, allowDelete: true, captureGraceMs: 30_000 });
    expect(result.missedByCapture).toEqual({ missing_in_dr: 1, missing_in_primary: 0, extra_in_dr: 1, attributes: 0, enabled: 2, groups: 0 });
    expect(result.repairedMissedByCapture).toEqual({ missing_in_dr: 1, missing_in_primary: 0, extra_in_dr: 1, attributes: 0, enabled: 2, groups: 0 });
  });

  it("a user with no modification date counts (nothing says it is recent)", async () => {
    const { run } = setup([primaryUser("m", undefined, { modifiedAt: 0 })], []);
    expect((await run()).missedByCapture.missing_in_dr).toBe(1);
  });
});
