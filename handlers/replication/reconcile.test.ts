// The reconcile core against two in-memory pools: every kind of drift found with a value-free
// detail, repaired through the upsert when asked, extras deleted only when allowed, a failed
// repair reported with its reason instead of stopping the run, and primary users disputing a
// canonical id reported as conflicts that nothing repairs.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { reconcilePools, type ReconcileOptions } from "./reconcile";
import { replicationConfig } from "./replication-config";
// The fixtures' subs are not UUIDs: each pool is listed as one segment (segmented-list.test.ts covers the segments).
import { WHOLE_POOL } from "./segmented-list";
import { inBothPartitionings } from "../../test/support/partitioned-reconcile";

const config = replicationConfig();
const NOW = Date.UTC(2026, 10, 30);

const primaryUser = (id: string, attributes: Record<string, string> = {}, more: Partial<FakeUser> = {}): FakeUser => ({
  username: `p-${id}`,
  attributes: { sub: id, email: `${id}@example.com`, email_verified: "true", name: `Name ${id}`, ...attributes },
  ...more,
});
const drUser = (id: string, attributes: Record<string, string> = {}, more: Partial<FakeUser> = {}): FakeUser => ({
  username: `${id}@example.com`,
  attributes: { sub: `dr-${id}`, email: `${id}@example.com`, email_verified: "true", name: `Name ${id}`, "custom:canonical_id": id, ...attributes },
  ...more,
});

function pools() {
  const primary = new FakePool("us-east-1_P", [
    primaryUser("same"),
    primaryUser("missing"),
    primaryUser("renamed", { name: "New Name" }),
    primaryUser("off", {}, { enabled: false }),
    primaryUser("on"),
    primaryUser("grouped", {}, { groups: ["admins"] }),
    primaryUser("pending", {}, { status: "UNCONFIRMED" }),
    primaryUser("unverified", { email_verified: "false" }),
    { username: "p-nosub", attributes: { email: "nosub@example.com" } },
  ]);
  const dr = new FakePool("us-west-2_D", [
    drUser("same"),
    drUser("renamed", { locale: "fr" }),
    drUser("off"),
    drUser("on", {}, { enabled: false }),
    drUser("grouped", {}, { groups: ["old"] }),
    drUser("unverified", { email_verified: "false" }),
    drUser("gone"),
    { username: "stranger@example.com", attributes: { sub: "dr-stranger", email: "stranger@example.com" } },
  ]);
  dr.groups.add("admins");
  return { primary, dr };
}

const run = (p: ReturnType<typeof pools>, opts: ReconcileOptions = {}) =>
  inBothPartitionings((o) => reconcilePools({ primary: p.primary, dr: p.dr, primaryPoolId: p.primary.poolId, drPoolId: p.dr.poolId, primaryRegion: "us-east-1", config, ttlDays: 30, now: () => NOW }, { segments: WHOLE_POOL, ...o }), opts);

describe("reconcilePools", () => {
  it("finds every kind of drift, by canonical id, with value-free details", async () => {
    const result = await run(pools());
    const found = result.drift.map((d) => [d.kind, d.canonicalId, d.detail]);
    expect(found).toEqual([
      ["missing_in_dr", "missing", "no DR user with this canonical id"],
      ["attributes", "renamed", "name,-locale"],
      ["enabled", "off", "disabled in primary, enabled in DR"],
      ["enabled", "on", "enabled in primary, disabled in DR"],
      ["groups", "grouped", "+admins,-old"],
      ["invalid", undefined, expect.stringContaining("canonicalId")],
      ["extra_in_dr", "gone", "canonical id not in the primary pool"],
      ["extra_in_dr", undefined, "DR user without a canonical id"],
    ]);
    // Names, not values: the new name itself is nowhere in the report.
    expect(JSON.stringify(result.drift)).not.toContain("New Name");
    expect(result.drift.find((d) => d.kind === "attributes")).toMatchObject({ primaryUsername: "p-renamed", drUsername: "renamed@example.com" });
    expect(result.unverifiedEmail).toEqual([{ canonicalId: "unverified", primaryUsername: "p-unverified" }]);
    expect(result.counts).toEqual({
      primaryUsers: 9,
      primaryOutsideList: 0,
      drUsers: 8,
      matched: 6,
      inSync: 2,
      unverifiedEmail: 1,
      same_email: 0,
      missing_in_dr: 1,
      missing_in_primary: 0,
      extra_in_dr: 2,
      twin: 0,
      attributes: 1,
      enabled: 2,
      groups: 1,
      invalid: 1,
      conflict: 0,
      repaired: 0,
      deleted: 0,
      repairFailed: 0,
    });
    expect(result.unrepaired).toBe(8);
    expect(result.seconds).toBeGreaterThanOrEqual(result.listSeconds);
    expect(result.seconds).toBeLessThan(60); // seconds, not milliseconds
  });

  it("reports the DR side of a user it cannot plan as invalid", async () => {
    const p = pools();
    p.primary.put(primaryUser("broken", { email: "" }));
    p.dr.put(drUser("broken"));
    const result = await run(p);
    expect(result.drift.find((d) => d.canonicalId === "broken")).toMatchObject({ kind: "invalid", primaryUsername: "p-broken", drUsername: "broken@example.com", detail: expect.stringContaining("email") });
  });

  it("repairs through the upsert when asked, leaves extras alone, and a second run finds only them", async () => {
    const p = pools();
    const progress: Array<[number, number]> = [];
    const result = await run(p, { apply: true, onRepaired: (done, total) => progress.push([done, total]) });
    expect(result.counts).toMatchObject({ repaired: 5, deleted: 0, repairFailed: 0 });
    expect(result.drift.filter((d) => d.repaired).map((d) => d.kind)).toEqual(["missing_in_dr", "attributes", "enabled", "enabled", "groups"]);
    expect(result.unrepaired).toBe(3);
    expect(progress.map(([d]) => d)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.every(([, t]) => t === 5)).toBe(true);
    expect(p.dr.calls.filter((c) => c.startsWith("AdminDeleteUser:"))).toEqual([]);

    const again = await run(p);
    expect(again.drift.map((d) => d.kind)).toEqual(["invalid", "extra_in_dr", "extra_in_dr"]);
    expect(again.counts.inSync).toBe(7);
    expect(p.dr.users.get("renamed@example.com")!.attributes).not.toHaveProperty("locale");
  });

  it("follows an email change in the primary to the DR user under the old email", async () => {
    const p = pools();
    p.primary.put(primaryUser("mover", { email: "moved@example.com" }));
    p.dr.put(drUser("mover"));
    await run(p, { apply: true });
    expect(p.dr.users.has("mover@example.com")).toBe(true);
    expect(p.dr.users.get("mover@example.com")!.attributes.email).toBe("moved@example.com");
    expect(p.dr.calls).not.toContain("AdminCreateUser:moved@example.com");
  });

  it("deletes extras only with allowDelete; one already gone counts as deleted, another failure is reported", async () => {
    const p = pools();
    p.dr.fail("AdminDeleteUser", { name: "UserNotFoundException" }, "gone@example.com");
    p.dr.fail("AdminDeleteUser", { name: "InternalErrorException", message: "try later" }, "stranger@example.com");
    p.dr.put(drUser("left"));
    const progress: Array<[number, number]> = [];
    const result = await run(p, { apply: true, allowDelete: true, onRepaired: (done, total) => progress.push([done, total]) });
    expect(result.counts).toMatchObject({ repaired: 5, deleted: 2, repairFailed: 1 });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((d) => [d, 8]));
    expect(p.dr.users.has("left@example.com")).toBe(false);
    expect(result.drift.find((d) => d.drUsername === "left@example.com")).toMatchObject({ repaired: true });
    expect(result.drift.find((d) => d.drUsername === "gone@example.com")).toMatchObject({ repaired: true });
    expect(result.drift.find((d) => d.drUsername === "stranger@example.com")).toMatchObject({ repaired: false, error: expect.stringMatching(/.+/) });
    expect(result.unrepaired).toBe(2);
  });

  it("a failed repair is reported with its reason, and the others go on", async () => {
    const p = pools();
    p.dr.fail("AdminCreateUser", { name: "TooManyRequestsException", message: "slow down" }, "missing@example.com");
    const result = await run(p, { apply: true });
    expect(result.drift.find((d) => d.kind === "missing_in_dr")).toMatchObject({ repaired: false, error: expect.stringMatching(/^THROTTLED: /) });
    expect(result.counts).toMatchObject({ repaired: 4, repairFailed: 1 });
  });

  it("lists both pools with the filter, reports listing progress, and repairs at most `concurrency` users at once", async () => {
    const p = pools();
    for (let i = 0; i < 8; i++) p.primary.put(primaryUser(`new${i}`));
    const listed: Array<[number, number]> = [];
    const filterSeen: unknown[] = [];
    for (const pool of [p.primary, p.dr]) {
      const send = pool.send.bind(pool);
      pool.send = async (cmd) => {
        if (cmd.constructor.name === "ListUsersCommand") filterSeen.push(cmd.input.Filter);
        return send(cmd);
      };
    }
    await run(p, { apply: true, concurrency: 3, filter: 'email ^= "n"', onListed: (a, b) => listed.push([a, b]) });
    expect(new Set(filterSeen)).toEqual(new Set(['email ^= "n"']));
    // new0..7 and nosub@ in the primary; no DR user's email starts with n.
    expect(listed.at(-1)).toEqual([9, 0]);
    expect(listed.some(([a]) => a > 0 && a < 9)).toBe(true);
    expect(p.dr.maxInFlight).toBeLessThanOrEqual(3);
    expect(p.dr.maxInFlight).toBeGreaterThan(1);
  });

  it("by default lists each pool in the 16 sub-prefix segments, several at once, and joins them as one listing", async () => {
    // UUID subs, as Cognito gives them: the segments partition both pools.
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const primary = new FakePool("us-east-1_P", ids.map((id) => primaryUser(id)), 60);
    const dr = new FakePool("us-west-2_D", ids.slice(1).map((id, i) => drUser(id, { sub: randomUUID(), ...(i === 0 ? { name: "Old" } : {}) })), 60);
    const result = await reconcilePools({ primary, dr, primaryPoolId: primary.poolId, drPoolId: dr.poolId, primaryRegion: "us-east-1", config, ttlDays: 30, now: () => NOW }, { listRate: 30, pageSeconds: 0.15 });
    expect(result.counts).toMatchObject({ primaryUsers: 200, drUsers: 199, matched: 199, inSync: 198, missing_in_dr: 1, attributes: 1, extra_in_dr: 0 });
    expect(result.drift.map((d) => [d.kind, d.canonicalId])).toEqual(expect.arrayContaining([["missing_in_dr", ids[0]], ["attributes", ids[1]]]));
    expect(result.listing).toMatchObject({ segments: 16, concurrency: 6 });
    expect(result.listing.pages.primary).toBeGreaterThanOrEqual(16);
    const listCalls = primary.calls.filter((c) => c === "ListUsers").length;
    expect(listCalls).toBe(result.listing.pages.primary);
  });

  it("takes a user listed twice (a repeated page) as one user, never as twins to delete", async () => {
    const p = pools();
    const send = p.dr.send.bind(p.dr);
    p.dr.send = async (cmd) => {
      const out = (await send(cmd)) as { Users?: unknown[] };
      return cmd.constructor.name === "ListUsersCommand" ? { ...out, Users: [...(out.Users ?? []), ...(out.Users ?? [])] } : out;
    };
    const result = await run(p, { apply: true, allowDelete: true });
    expect(result.counts).toMatchObject({ drUsers: 8, twin: 0, matched: 6 });
    expect(p.dr.calls.filter((c) => c.startsWith("AdminDeleteUser:"))).toEqual(["AdminDeleteUser:gone@example.com", "AdminDeleteUser:stranger@example.com"]);
  });

  describe("canonical id conflicts", () => {
    /** The issue 20 story: a user set the victim's sub as its own custom:canonical_id. */
    function hijacked() {
      const p = pools();
      p.primary.put(primaryUser("victim"));
      p.primary.put(primaryUser("thief", { "custom:canonical_id": "victim", name: "Thief" }));
      p.dr.put(drUser("victim"));
      p.dr.put(drUser("thief", { name: "Thief" }));
      return p;
    }
    const writes = (p: ReturnType<typeof pools>, who: string[]) => p.dr.calls.filter((c) => who.some((w) => c.endsWith(`:${w}@example.com`)) && !/^Admin(Get|ListGroupsFor)User/.test(c));

    it("reports both users of one claimed canonical id as conflicts, repairs neither side, and exits as drift", async () => {
      const p = hijacked();
      const result = await run(p, { apply: true, allowDelete: true });
      expect(result.drift.filter((d) => d.kind === "conflict")).toEqual([
        { kind: "conflict", canonicalId: "victim", primaryUsername: "p-victim", drUsername: "victim@example.com", detail: "another primary user claims this canonical id in custom:canonical_id (thief)" },
        {
          kind: "conflict",
          canonicalId: "thief",
          primaryUsername: "p-thief",
          drUsername: "thief@example.com",
          detail: "custom:canonical_id claims the canonical id of another primary user (victim); replication never sets it on a primary user",
        },
      ]);
      expect(result.counts.conflict).toBe(2);
      // Neither DR user is written, created or deleted; the victim's DR user keeps its own email and name.
      expect(writes(p, ["victim", "thief"])).toEqual([]);
      expect(p.dr.users.get("victim@example.com")!.attributes).toMatchObject({ email: "victim@example.com", name: "Name victim", "custom:canonical_id": "victim" });
      expect(result.drift.filter((d) => d.kind === "conflict").every((d) => d.repaired === undefined)).toBe(true);
      expect(result.unrepaired).toBeGreaterThanOrEqual(2);
      // The other drift is still repaired around them.
      expect(result.counts.repaired).toBe(5);
    });

    it("matches primary users by sub only: the claim never joins the thief to the victim's DR user", async () => {
      const p = hijacked();
      p.primary.put(primaryUser("thief", { "custom:canonical_id": "victim", name: "Thief", email: "victim@example.com" }));
      const result = await run(p);
      // Before, the thief's email and name were reported as the victim's DR user's drift on every run.
      expect(result.drift.filter((d) => d.drUsername === "victim@example.com").map((d) => d.kind)).toEqual(["conflict"]);
      expect(result.drift.some((d) => d.kind === "extra_in_dr" && (d.canonicalId === "victim" || d.canonicalId === "thief"))).toBe(false);
    });

    it("a claim carried by a primary user found outside the listing still puts the listed user it names in conflict", async () => {
      // The thief's email changed in the primary; its DR copy still matches the filter, so the thief
      // is found by sub after the listing, and only then is its claim on the (listed) victim known.
      const p = pools();
      p.primary.put(primaryUser("victim"));
      p.primary.put(primaryUser("thief", { "custom:canonical_id": "victim", email: "t@example.com" }));
      p.dr.put(drUser("victim"));
      p.dr.put(drUser("thief", { email: "v-thief@example.com" }));
      const result = await run(p, { filter: 'email ^= "v"' });
      expect(result.counts.primaryOutsideList).toBe(1);
      expect(result.drift.filter((d) => d.kind === "conflict").map((d) => [d.canonicalId, d.detail])).toEqual([
        ["victim", "another primary user claims this canonical id in custom:canonical_id (thief)"],
        ["thief", "custom:canonical_id claims the canonical id of another primary user (victim); replication never sets it on a primary user"],
      ]);
    });

    it("a custom:canonical_id naming no user is a conflict without its value; one equal to the user's own sub is not", async () => {
      const p = pools();
      p.primary.put(primaryUser("planted", { "custom:canonical_id": "someone@example.com" }));
      p.primary.put(primaryUser("self", { "custom:canonical_id": "self" }));
      p.dr.put(drUser("planted"));
      p.dr.put(drUser("self"));
      const result = await run(p, { apply: true });
      expect(result.drift.filter((d) => d.kind === "conflict")).toEqual([
        { kind: "conflict", canonicalId: "planted", primaryUsername: "p-planted", drUsername: "planted@example.com", detail: "custom:canonical_id set on a primary user (value not shown); replication never sets it on a primary user" },
      ]);
      expect(JSON.stringify(result)).not.toContain("someone@example.com");
      expect(writes(p, ["planted"])).toEqual([]);
      expect(result.drift.some((d) => d.canonicalId === "self")).toBe(false);
    });
  });
});
