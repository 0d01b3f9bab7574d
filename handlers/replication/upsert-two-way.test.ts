// Two-way mode: the same upsert applies DR-born changes to the primary pool. A pool user's canonical
// id is its `custom:canonical_id`, else its own `sub` (D3): a native primary user and a user born in
// DR are owned by their own sub; one email claimed by two live canonical ids is parked, never merged.
// Against an in-memory pool that signs in by email as the project's pools do.
import { describe, expect, it } from "vitest";
import { DR_POOL_ID, DR_REGION, PRIMARY_POOL_ID, userRecord } from "../../test/support/events";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { memoryDirectory } from "../../test/support/fake-directory";
import { UPSERT_COGNITO_ACTIONS, type RegionRole } from "../contract";
import { replicationConfig } from "./replication-config";
import { applyTombstone } from "./tombstone";
import { carriedCanonicalId, upsertDrUser } from "./upsert";

const config = replicationConfig();
/** A user who signed up in DR during a failover: its DR sub is its canonical id. */
const DR_BORN = "d0d0d0d0-0000-4000-8000-0000000000d0";
const NATIVE = "a1a1a1a1-0000-4000-8000-0000000000a1";
const fromDr = (o: Parameters<typeof userRecord>[0] = {}) => userRecord({ canonicalId: DR_BORN, username: DR_BORN, originRegion: DR_REGION, originPoolId: DR_POOL_ID, ...o });
const native = (email = "alice@example.com", extra: Record<string, string> = {}): FakeUser => ({
  username: NATIVE,
  attributes: { sub: NATIVE, email, email_verified: "true", name: "Alice Example", ...extra },
});

function setup(users: FakeUser[] = [], o: { role?: RegionRole; items?: Record<string, string>; subs?: Record<string, string>; live?: string[]; tombstoned?: string[] } = {}) {
  const role = o.role ?? "primary";
  const pool = new FakePool(role === "primary" ? PRIMARY_POOL_ID : DR_POOL_ID, users, 60, { emailAsUsername: true });
  const directory = memoryDirectory(o.items, o.tombstoned, { role, subs: o.subs, live: o.live });
  return { pool, directory, ctx: { cognito: pool, userPoolId: pool.poolId, config, directory, deletionPolicy: "delete" as const } };
}

const actions = (pool: FakePool) => new Set(pool.calls.map((c) => `cognito-idp:${c.split(":")[0]}`));

describe("upsert into the primary pool (two-way)", () => {
  it("a DR-born user gets a primary copy carrying the DR sub as canonical id, remembered with its primary sub", async () => {
    const { pool, directory, ctx } = setup();
    await expect(upsertDrUser(ctx, fromDr())).resolves.toEqual({ action: "created", changes: ["create"] });
    const [copy] = pool.users.values();
    expect(copy.attributes["custom:canonical_id"]).toBe(DR_BORN);
    expect(directory.calls).toEqual([`entryOf:${DR_BORN}`, `remember:${DR_BORN}:${copy.username}:${copy.attributes.sub}`]);
    expect(directory.bySub.get(copy.attributes.sub)).toBe(DR_BORN);
    for (const a of actions(pool)) expect(UPSERT_COGNITO_ACTIONS).toContain(a);
  });

  it("a native primary user changed in DR during a failover is owned by its own sub: updated in place, no attribute written to it", async () => {
    const { pool, directory, ctx } = setup([native()]);
    const record = userRecord({ canonicalId: NATIVE, username: NATIVE, attributes: { email: "alice@example.com", email_verified: "true", name: "Alice Renamed" }, originRegion: DR_REGION, originPoolId: DR_POOL_ID });
    await expect(upsertDrUser(ctx, record)).resolves.toEqual({ action: "updated", changes: ["attributes:1"] });
    const user = pool.users.get(NATIVE)!;
    expect(user.attributes.name).toBe("Alice Renamed");
    expect(user.attributes["custom:canonical_id"]).toBeUndefined();
    expect(pool.users.size).toBe(1);
    expect(directory.items.get(NATIVE)).toBe(NATIVE);
    expect(carriedCanonicalId(user.attributes, config)).toBe(NATIVE);
  });

  it("one email signed up in both regions during a split: the native holder's own sub is a live canonical id, so the DR-born record is parked, never merged", async () => {
    const { pool, ctx } = setup([native()]);
    await expect(upsertDrUser(ctx, fromDr())).rejects.toMatchObject({
      reason: "CONFLICT_SAME_EMAIL",
      retryable: false,
      message: expect.stringContaining(`carries canonical id ${NATIVE}, this record's is ${DR_BORN}`),
    });
    expect(pool.users.get(NATIVE)!.attributes).toEqual(native().attributes);
    expect(pool.users.size).toBe(1);
  });

  it("an email change made in DR moves the primary copy with email_verified in the same call (D8)", async () => {
    const { pool, ctx } = setup([{ username: "p-1", attributes: { sub: "p-1", email: "old@example.com", email_verified: "true", name: "Alice Example", "custom:canonical_id": DR_BORN } }], {
      items: { [DR_BORN]: "p-1" },
      subs: { [DR_BORN]: "p-1" },
    });
    const updates: unknown[] = [];
    const send = pool.send.bind(pool);
    pool.send = async (command) => {
      if (command.constructor.name === "AdminUpdateUserAttributesCommand") updates.push(command.input.UserAttributes);
      return send(command);
    };
    await expect(upsertDrUser(ctx, fromDr())).resolves.toEqual({ action: "updated", changes: ["attributes:2"] });
    expect(updates).toEqual([
      [
        { Name: "email", Value: "alice@example.com" },
        { Name: "email_verified", Value: "true" },
      ],
    ]);
  });

  it("the primary copy of a DR-born user is deleted by its tombstone, found by the directory", async () => {
    const { pool, ctx } = setup([{ username: "p-1", attributes: { sub: "p-1", email: "alice@example.com", "custom:canonical_id": DR_BORN } }], { items: { [DR_BORN]: "p-1" } });
    const tombstone = fromDr({ attributes: {}, enabled: false, deleted: true });
    await expect(applyTombstone(ctx, tombstone, { policy: "delete" })).resolves.toMatchObject({ action: "deleted", found: 1 });
    expect(pool.users.size).toBe(0);
  });

  it("a native primary user deleted in DR (its copy there carried its sub) is deleted here, found by its previous email", async () => {
    const { pool, ctx } = setup([native()]);
    const tombstone = userRecord({ canonicalId: NATIVE, username: NATIVE, attributes: {}, enabled: false, deleted: true, originRegion: DR_REGION, originPoolId: DR_POOL_ID });
    await expect(applyTombstone(ctx, tombstone, { policy: "delete", previousEmail: "alice@example.com" })).resolves.toMatchObject({ action: "deleted", found: 1 });
    expect(pool.users.size).toBe(0);
  });
});

describe("directory items written before the reverse items", () => {
  it("a hit whose item lacks the sub is remembered again with it; one that has it is not", async () => {
    const user = { username: "dr-1", attributes: { sub: "dr-1", email: "alice@example.com", email_verified: "true", name: "Alice Example", "custom:canonical_id": userRecord().canonicalId } };
    const old = setup([user], { role: "dr", items: { [userRecord().canonicalId]: "dr-1" } });
    await expect(upsertDrUser(old.ctx, userRecord())).resolves.toEqual({ action: "unchanged", changes: [] });
    expect(old.directory.calls).toContain(`remember:${userRecord().canonicalId}:dr-1:dr-1`);
    expect(old.directory.bySub.get("dr-1")).toBe(userRecord().canonicalId);

    const healed = setup([user], { role: "dr", items: { [userRecord().canonicalId]: "dr-1" }, subs: { [userRecord().canonicalId]: "dr-1" } });
    await upsertDrUser(healed.ctx, userRecord());
    expect(healed.directory.calls.filter((c) => c.startsWith("remember"))).toEqual([]);
  });
});
