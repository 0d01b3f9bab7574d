// One DR user per canonical id: the upsert finds the DR user through the directory first, then by
// the previous and the current email, remembers what it found or created, and frees an email held
// by a twin or by the DR copy of a user the primary deleted. Against an in-memory pool that signs
// in by email as the project's pools do (generated usernames, emails unique).
import { describe, expect, it } from "vitest";
import { DR_POOL_ID, PRIMARY_POOL_ID, userRecord } from "../../test/support/events";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { memoryDirectory } from "../../test/support/fake-directory";
import type { DeletionPolicy } from "../contract";
import { replicationConfig } from "./replication-config";
import { upsertDrUser } from "./upsert";

const config = replicationConfig();
const ID = userRecord().canonicalId;
const OTHER = "0c0c0c0c-0000-4000-8000-00000000000c";

const drUser = (username: string, email: string, canonicalId: string, extra: { enabled?: boolean; groups?: string[] } = {}) => ({
  username,
  attributes: { sub: username, email, email_verified: "true", name: "Alice Example", "custom:canonical_id": canonicalId },
  ...extra,
});

function setup(users: FakeUser[] = [], items: Record<string, string> = {}, tombstoned: string[] = [], deletionPolicy: DeletionPolicy = "delete", o: Parameters<typeof memoryDirectory>[2] = {}) {
  const pool = new FakePool(o.role === "primary" ? PRIMARY_POOL_ID : DR_POOL_ID, users, 60, { emailAsUsername: true });
  for (const g of ["a", "b"]) pool.groups.add(g);
  const directory = memoryDirectory(items, tombstoned, o);
  return { pool, directory, ctx: { cognito: pool, userPoolId: pool.poolId, config, directory, deletionPolicy } };
}

describe("upsert: found by canonical id", () => {
  it("an email changed in the primary moves the DR user the directory names, with no previous email and no create", async () => {
    const { pool, ctx } = setup([drUser("dr-1", "old@example.com", ID)], { [ID]: "dr-1" });
    const result = await upsertDrUser(ctx, userRecord());
    expect(result).toEqual({ action: "updated", changes: ["attributes:2"] });
    expect(pool.users.get("dr-1")!.attributes.email).toBe("alice@example.com");
    expect(pool.calls.some((c) => c.startsWith("AdminCreateUser"))).toBe(false);
    expect(pool.users.size).toBe(1);
  });

  it("before the directory: the same change created a second DR user with the same canonical id (the twin this prevents)", async () => {
    const { pool, ctx } = setup([drUser("dr-1", "old@example.com", ID)]);
    await upsertDrUser({ ...ctx, directory: undefined }, userRecord());
    const carrying = [...pool.users.values()].filter((u) => u.attributes["custom:canonical_id"] === ID);
    expect(carrying).toHaveLength(2);
  });

  it("an item naming a user that is gone, or that carries another canonical id, is stale: found by email or created, then remembered", async () => {
    const gone = setup([], { [ID]: "dr-gone" });
    await expect(upsertDrUser(gone.ctx, userRecord())).resolves.toMatchObject({ action: "created" });
    const [created] = gone.pool.users.keys();
    expect(gone.directory.items.get(ID)).toBe(created);

    const relabelled = setup([drUser("dr-1", "bob@example.com", OTHER), drUser("dr-2", "alice@example.com", ID)], { [ID]: "dr-1" });
    await expect(upsertDrUser(relabelled.ctx, userRecord())).resolves.toEqual({ action: "unchanged", changes: [] });
    expect(relabelled.pool.users.get("dr-1")!.attributes.email).toBe("bob@example.com");
    expect(relabelled.directory.items.get(ID)).toBe("dr-2");
  });

  it("the DR user is remembered right after a confirmed create, before its groups (a failing group leaves it findable)", async () => {
    const { pool, directory, ctx } = setup();
    await expect(upsertDrUser(ctx, userRecord({ groups: ["ghost"] }))).rejects.toMatchObject({ reason: "GROUP_NOT_FOUND" });
    const [created] = pool.users.keys();
    expect(directory.calls).toEqual([`entryOf:${ID}`, `remember:${ID}:${created}:${created}`]);
  });

  it("found by its email (created before the directory existed) or by the previous email: remembered", async () => {
    const byEmail = setup([drUser("dr-1", "alice@example.com", ID)]);
    await expect(upsertDrUser(byEmail.ctx, userRecord())).resolves.toEqual({ action: "unchanged", changes: [] });
    expect(byEmail.directory.items.get(ID)).toBe("dr-1");

    const byPrevious = setup([drUser("dr-1", "old@example.com", ID)]);
    await expect(upsertDrUser(byPrevious.ctx, userRecord(), { previousEmail: "old@example.com" })).resolves.toEqual({ action: "updated", changes: ["attributes:2"] });
    expect(byPrevious.directory.items.get(ID)).toBe("dr-1");
    expect(byPrevious.pool.users.size).toBe(1);
  });

  it("a FORCE_CHANGE_PASSWORD user found by canonical id is kept disabled", async () => {
    const { pool, ctx } = setup([drUser("dr-1", "alice@example.com", ID)], { [ID]: "dr-1" });
    await expect(upsertDrUser(ctx, userRecord({ forceChangePassword: true }))).resolves.toEqual({ action: "updated", changes: ["disable"] });
    expect(pool.users.get("dr-1")!.enabled).toBe(false);
  });
});

describe("upsert: an email another DR user holds", () => {
  it("a twin (same canonical id) holding the new email is removed and the one the directory names takes it", async () => {
    const { pool, ctx } = setup([drUser("dr-1", "old@example.com", ID), drUser("dr-2", "alice@example.com", ID)], { [ID]: "dr-1" });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "updated", changes: ["removed-twin", "attributes:2"] });
    expect([...pool.users.keys()]).toEqual(["dr-1"]);
    expect(pool.users.get("dr-1")!.attributes.email).toBe("alice@example.com");
  });

  it("the DR copy of a user the primary deleted (tombstoned), under `delete`: removed, its item forgotten, and the newcomer created with its own canonical id", async () => {
    const { pool, directory, ctx } = setup([drUser("dr-old", "alice@example.com", OTHER)], { [OTHER]: "dr-old" }, [OTHER]);
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "created", changes: ["removed-deleted-holder", "create"] });
    const [only] = pool.users.values();
    expect(only.attributes).toMatchObject({ email: "alice@example.com", "custom:canonical_id": ID });
    expect(only.username).not.toBe("dr-old");
    expect(directory.items.get(OTHER)).toBeUndefined();
    expect(directory.items.get(ID)).toBe(only.username);
  });

  it("the same at an email change: the tombstoned holder goes and the update is made", async () => {
    const { pool, ctx } = setup([drUser("dr-1", "old@example.com", ID), drUser("dr-old", "alice@example.com", OTHER)], { [ID]: "dr-1" }, [OTHER]);
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "updated", changes: ["removed-deleted-holder", "attributes:2"] });
    expect([...pool.users.keys()]).toEqual(["dr-1"]);
  });

  it("under `disable` the deleted user's copy stays and the newcomer is a conflict saying why", async () => {
    const { pool, ctx } = setup([drUser("dr-old", "alice@example.com", OTHER, { enabled: false })], {}, [OTHER], "disable");
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "CANONICAL_ID_CONFLICT", retryable: false, message: expect.stringContaining("kept (disabled) by the deletion policy") });
    expect(pool.users.has("dr-old")).toBe(true);
  });

  it("a holder carrying another live canonical id is a parked same-email conflict naming both ids, and nothing is deleted", async () => {
    const sameEmail = { reason: "CONFLICT_SAME_EMAIL", retryable: false, message: expect.stringContaining(`carries canonical id ${OTHER}, this record's is ${ID}`) };
    const live = setup([drUser("dr-other", "alice@example.com", OTHER)], {}, [], "delete", { live: [OTHER] });
    await expect(upsertDrUser(live.ctx, userRecord())).rejects.toMatchObject(sameEmail);
    expect(live.pool.users.has("dr-other")).toBe(true);
    expect(live.directory.calls).toContain(`recordState:${OTHER}`);

    // No record of it (expired): not known to be deleted, so still another person's.
    const unknown = setup([drUser("dr-other", "alice@example.com", OTHER)]);
    await expect(upsertDrUser(unknown.ctx, userRecord())).rejects.toMatchObject(sameEmail);

    const atUpdate = setup([drUser("dr-1", "old@example.com", ID), drUser("dr-other", "alice@example.com", OTHER)], { [ID]: "dr-1" });
    await expect(upsertDrUser(atUpdate.ctx, userRecord())).rejects.toMatchObject(sameEmail);
    expect(atUpdate.pool.users.size).toBe(2);
  });

  it("a DR holder without the attribute: born in DR (the table knows its sub) is a same-email conflict; unknown to the table, it carries no canonical id", async () => {
    const bornInDr = setup([{ username: "dr-x", attributes: { sub: "dr-x", email: "alice@example.com" } }], {}, [], "delete", { live: ["dr-x"] });
    await expect(upsertDrUser(bornInDr.ctx, userRecord())).rejects.toMatchObject({ reason: "CONFLICT_SAME_EMAIL", message: expect.stringContaining("carries canonical id dr-x") });

    const bare = setup([{ username: "dr-x", attributes: { sub: "dr-x", email: "alice@example.com" } }]);
    await expect(upsertDrUser(bare.ctx, userRecord())).rejects.toMatchObject({ reason: "CANONICAL_ID_CONFLICT", message: "the DR user with this email carries no canonical id" });
    expect(bare.pool.users.has("dr-x")).toBe(true);
  });

  it("a DR-born holder whose own record is a tombstone is released like any deleted user's copy", async () => {
    const { pool, ctx } = setup([{ username: "dr-x", attributes: { sub: "dr-x", email: "alice@example.com" } }], {}, ["dr-x"]);
    await expect(upsertDrUser(ctx, userRecord())).resolves.toMatchObject({ action: "created", changes: ["removed-deleted-holder", "create"] });
    expect(pool.users.has("dr-x")).toBe(false);
  });

  it("without a directory a tombstone cannot be checked, and without a policy (reconcile, backfill) it is not applied: a conflict, and no deletion", async () => {
    const { pool, directory, ctx } = setup([drUser("dr-old", "alice@example.com", OTHER)], {}, [OTHER]);
    await expect(upsertDrUser({ ...ctx, directory: undefined }, userRecord())).rejects.toMatchObject({ reason: "CONFLICT_SAME_EMAIL" });
    await expect(upsertDrUser({ ...ctx, deletionPolicy: undefined }, userRecord())).rejects.toMatchObject({ reason: "CANONICAL_ID_CONFLICT", message: expect.stringContaining("the copy of a deleted user") });
    expect(directory.calls.filter((c) => c.startsWith("forget"))).toEqual([]);
    expect(pool.users.has("dr-old")).toBe(true);
  });

  it("a tombstone is never upserted", async () => {
    const { pool, ctx } = setup();
    await expect(upsertDrUser(ctx, userRecord({ attributes: {}, enabled: false, deleted: true }))).rejects.toMatchObject({ reason: "INVALID_RECORD", retryable: false });
    expect(pool.calls).toEqual([]);
  });
});
