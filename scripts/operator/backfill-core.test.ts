// The backfill's paging against fake pools: a direct-mode dry run counts what the replicator's
// upsert would do from the upsert's own reads (the DR user and every page of its groups) and
// writes nothing; each page is reported once it is done. The pool is listed in sub-prefix segments,
// and a run that stopped part-way resumes every segment after its last processed page.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../handlers/replication/rate-limit";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { FakePool } from "../../test/support/fake-cognito";
import { HEX_SEGMENTS, WHOLE_POOL } from "../../handlers/replication/segmented-list";
import { allDone, backfillPages, type BackfillDeps, type BackfillState } from "./backfill-core";
import { zeroCounts } from "./checkpoint";

describe("backfill pages", () => {
  const config = replicationConfig();
  const attrs = (i: number, given = `G${i}`) => ({ sub: `s${i}`, email: `u${i}@example.com`, email_verified: "true", given_name: given });

  it("a direct dry run reads the DR users and their groups, counts created/updated/unchanged and writes nothing", async () => {
    const primary = new FakePool("us-east-1_P", [
      { username: "u0", attributes: attrs(0) },
      { username: "u1", attributes: attrs(1), groups: ["g1", "g2", "g3"] },
      { username: "u2", attributes: attrs(2) },
      { username: "u3", attributes: attrs(3), status: "UNCONFIRMED" },
    ]);
    // u1 is in DR already with the same groups (three: more than the fake's page of two), u2 with another name.
    const dr = new FakePool("us-west-2_D", [
      { username: "u1@example.com", attributes: { ...attrs(1), "custom:canonical_id": "s1" }, groups: ["g1", "g2", "g3"] },
      { username: "u2@example.com", attributes: { ...attrs(2, "Changed"), "custom:canonical_id": "s2" } },
    ]);
    const memberships = new Map([["u1", ["g1", "g2", "g3"]]]);
    const state: BackfillState = { segments: {}, pageIndex: 0, counts: zeroCounts(), failures: [] };
    const pages: number[] = [];
    const listed = await backfillPages(
      {
        cognito: primary,
        poolId: primary.poolId,
        dynamodb: { send: async () => Promise.reject(new Error("no table in direct mode")) },
        tableName: "unused",
        direct: { cognito: dr, userPoolId: dr.poolId, config },
        writeBucket: new TokenBucket(1000),
        memberships,
        record: { region: "us-east-1", config, ttlDays: 30 },
      },
      state,
      // The fixtures' subs are not UUIDs: one segment, the whole pool.
      { dryRun: true, concurrency: 2, segments: WHOLE_POOL, listRate: 30, onPage: (s) => pages.push(s.pageIndex) },
    );
    expect(listed.users).toBe(4);
    expect(state.counts).toMatchObject({ listed: 4, skipped: 1, created: 1, updated: 1, unchanged: 1, failed: 0 });
    expect(pages).toEqual([1, 2]);
    expect(state.segments).toEqual({ "": { done: true } });
    expect(dr.calls.filter((c) => !c.startsWith("AdminGet") && !c.startsWith("AdminListGroupsForUser"))).toEqual([]);
  });

  describe("in segments", () => {
    const users = Array.from({ length: 300 }, (_, i) => ({ username: `u${i}`, attributes: attrs(i) }));
    for (const u of users) u.attributes.sub = randomUUID();
    const setup = () => {
      const primary = new FakePool("us-east-1_P", users, 10);
      const dr = new FakePool("us-west-2_D", [], 10);
      const deps: BackfillDeps = {
        cognito: primary,
        poolId: primary.poolId,
        dynamodb: { send: async () => Promise.reject(new Error("no table in direct mode")) },
        tableName: "unused",
        direct: { cognito: dr, userPoolId: dr.poolId, config },
        writeBucket: new TokenBucket(1000),
        memberships: new Map(),
        record: { region: "us-east-1", config, ttlDays: 30 },
      };
      return { primary, dr, deps };
    };

    it("lists every user once across the 16 segments, several walked at once, with --concurrency users in flight at most", async () => {
      const { primary, dr, deps } = setup();
      const state: BackfillState = { segments: {}, pageIndex: 0, counts: zeroCounts(), failures: [] };
      const run = await backfillPages(deps, state, { dryRun: true, concurrency: 3, listRate: 30, pageSeconds: 0.15, onPage: () => undefined });
      expect(run.listing).toMatchObject({ segments: 16, concurrency: 6 });
      expect(run.users).toBe(300);
      expect(state.counts).toMatchObject({ listed: 300, created: 300, failed: 0 });
      expect(Object.keys(state.segments).sort()).toEqual([...HEX_SEGMENTS].sort());
      expect(allDone(state)).toBe(true);
      expect(state.pageIndex).toBe(primary.calls.filter((c) => c === "ListUsers").length);
      // The dry run's reads (one at a time per user) across all pages being processed.
      expect(dr.maxInFlight).toBe(3);
    });

    it("a run stopped by one segment's error resumes each segment where it stopped: every user processed exactly once", async () => {
      const { primary, deps } = setup();
      const state: BackfillState = { segments: {}, pageIndex: 0, counts: zeroCounts(), failures: [] };
      const checkpoints: string[] = [];
      const send = primary.send.bind(primary);
      let listCalls = 0;
      primary.send = async (cmd) => {
        // The tenth ListUsers call fails, whichever segment it belongs to.
        if (cmd.constructor.name === "ListUsersCommand" && ++listCalls === 10) throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" });
        return send(cmd);
      };
      const opts = { dryRun: true, concurrency: 4, listRate: 30, onPage: (s: BackfillState) => void checkpoints.push(JSON.stringify(s.segments)) };
      await expect(backfillPages(deps, state, opts)).rejects.toMatchObject({ name: "TooManyRequestsException", message: expect.stringMatching(/^listing pool us-east-1_P, segment sub \^= "[0-9a-f]", page \d+: Rate exceeded$/) });
      expect(allDone(state)).toBe(false);
      const first = state.counts.listed;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(300);
      expect(JSON.parse(checkpoints.at(-1)!)).toEqual(state.segments);
      // Resumed from the saved progress (as a checkpoint file would give it back).
      const resumed: BackfillState = { ...JSON.parse(JSON.stringify(state)), counts: zeroCounts() };
      const rest = await backfillPages(deps, resumed, opts);
      expect(first + rest.users).toBe(300);
      expect(allDone(resumed)).toBe(true);
    });
  });
});
