// The backfill's paging against fake pools: a direct-mode dry run counts what the replicator's
// upsert would do from the upsert's own reads (the DR user and every page of its groups) and
// writes nothing; each page is reported once it is done.
import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../handlers/replication/rate-limit";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { FakePool } from "../../test/support/fake-cognito";
import { backfillPages, type BackfillState } from "./backfill-core";
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
    const state: BackfillState = { pageIndex: 0, counts: zeroCounts(), failures: [] };
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
      { dryRun: true, concurrency: 2, onPage: (s) => pages.push(s.pageIndex) },
    );
    expect(listed).toBe(4);
    expect(state.counts).toMatchObject({ listed: 4, skipped: 1, created: 1, updated: 1, unchanged: 1, failed: 0 });
    expect(pages).toEqual([1, 2]);
    expect(state.token).toBeUndefined();
    expect(dr.calls.filter((c) => !c.startsWith("AdminGet") && !c.startsWith("AdminListGroupsForUser"))).toEqual([]);
  });
});
