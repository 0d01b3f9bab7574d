// The scheduled reconcile leaves users changed during its pass to the next pass (settled.ts). These
// run the reconcile core with that `settle`, in one partition and in several on disk, and check
// what a changed user must not do meanwhile: put another user in conflict by its claim, or be
// compared from an older copy when a listing returned it twice.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { inBothPartitionings } from "../../test/support/partitioned-reconcile";
import { reconcilePools, type ReconcileResult } from "../replication/reconcile";
import { replicationConfig } from "../replication/replication-config";
import { WHOLE_POOL } from "../replication/segmented-list";
import { settledUsers } from "./settled";

const config = replicationConfig();
const PASS_STARTED = Date.UTC(2026, 11, 1, 10);
const NOW = PASS_STARTED + 3_600_000;
const BEFORE = PASS_STARTED - 86_400_000;
const DURING = PASS_STARTED + 600_000;

const primaryUser = (id: string, attributes: Record<string, string> = {}, modifiedAt = BEFORE): FakeUser => ({
  username: `p-${id}`,
  attributes: { sub: id, email: `${id}@example.com`, email_verified: "true", name: `Name ${id}`, ...attributes },
  modifiedAt,
});
const drUser = (id: string, attributes: Record<string, string> = {}): FakeUser => ({
  username: `${id}@example.com`,
  attributes: { sub: `dr-${id}`, email: `${id}@example.com`, email_verified: "true", name: `Name ${id}`, "custom:canonical_id": id, ...attributes },
  modifiedAt: BEFORE,
});

async function reconcileSettled(primary: FakePool, dr: FakePool): Promise<{ result: ReconcileResult; changed: Set<string> }> {
  let changed = new Set<string>();
  const result = await inBothPartitionings((opts) => {
    changed = new Set<string>();
    return reconcilePools(
      { primary, dr, primaryPoolId: primary.poolId, drPoolId: dr.poolId, primaryRegion: "us-east-1", config, ttlDays: 30, now: () => NOW },
      { segments: WHOLE_POOL, ...opts, settle: (p, d) => settledUsers(p, d, PASS_STARTED, config, "one-way", changed) },
    );
  });
  return { result, changed };
}

describe("reconcile with users changed during the pass left out (settledUsers)", () => {
  it("a claimer changed during the pass is left out and puts the user it names in no conflict", async () => {
    const primary = new FakePool("us-east-1_P", [primaryUser("victim"), primaryUser("thief", { "custom:canonical_id": "victim" }, DURING)]);
    const dr = new FakePool("us-west-2_D", [drUser("victim"), drUser("thief")]);
    const { result, changed } = await reconcileSettled(primary, dr);
    expect(result.drift).toEqual([]);
    expect(result.counts).toMatchObject({ primaryUsers: 1, drUsers: 1, matched: 1, inSync: 1, conflict: 0 });
    expect([...changed]).toEqual(["thief"]);
  });

  it("the same claim by a user not changed during the pass is still a conflict (the check above is not just off)", async () => {
    const primary = new FakePool("us-east-1_P", [primaryUser("victim"), primaryUser("thief", { "custom:canonical_id": "victim" })]);
    const dr = new FakePool("us-west-2_D", [drUser("victim"), drUser("thief")]);
    const { result } = await reconcileSettled(primary, dr);
    expect(result.drift.filter((d) => d.kind === "conflict").map((d) => d.canonicalId)).toEqual(["victim", "thief"]);
  });

  it("a user listed twice, changed during the pass between the two copies, is left out, not compared from its older copy", async () => {
    const primary = new FakePool("us-east-1_P", [primaryUser("moved")]);
    const dr = new FakePool("us-west-2_D", [drUser("moved", { name: "New Name" })]);
    // The listing returns the user twice: first as it was (old name), then as changed during the pass.
    const newer: UserType = {
      Username: "p-moved",
      Enabled: true,
      UserStatus: "CONFIRMED",
      Attributes: Object.entries({ sub: "moved", email: "moved@example.com", email_verified: "true", name: "New Name" }).map(([Name, Value]) => ({ Name, Value })),
      UserLastModifiedDate: new Date(DURING),
    };
    const send = primary.send.bind(primary);
    primary.send = async (cmd) => {
      const out = (await send(cmd)) as { Users?: UserType[] };
      return cmd.constructor.name === "ListUsersCommand" ? { ...out, Users: [...(out.Users ?? []), newer] } : out;
    };
    const { result, changed } = await reconcileSettled(primary, dr);
    expect(result.drift).toEqual([]);
    expect(result.counts).toMatchObject({ primaryUsers: 0, drUsers: 0, matched: 0 });
    expect([...changed]).toEqual(["moved"]);
  });
});
