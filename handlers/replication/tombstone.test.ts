// Tombstones in the DR pool: which DR users they touch (only those carrying the canonical id),
// what each deletion policy does, replays, and the sequence a reused email goes through.
import { describe, expect, it } from "vitest";
import { DR_POOL_ID, userRecord } from "../../test/support/events";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { memoryDirectory } from "../../test/support/fake-directory";
import type { DeletionPolicy } from "../contract";
import type { ReplicatedUser } from "./record";
import { replicationConfig } from "./replication-config";
import { applyTombstone } from "./tombstone";
import { upsertDrUser } from "./upsert";

const config = replicationConfig();
const ID = userRecord().canonicalId;
const NEWCOMER = "0c0c0c0c-0000-4000-8000-00000000000c";
const tombstone = (canonicalId = ID): ReplicatedUser => userRecord({ canonicalId, username: canonicalId, attributes: {}, enabled: false, groups: [], deleted: true });
const drUser = (username: string, email: string, canonicalId: string, enabled = true): FakeUser => ({
  username,
  enabled,
  attributes: { sub: username, email, email_verified: "true", "custom:canonical_id": canonicalId },
});

function setup(users: FakeUser[], items: Record<string, string> = {}, deletionPolicy: DeletionPolicy = "delete") {
  const pool = new FakePool(DR_POOL_ID, users, 60, { emailAsUsername: true });
  const directory = memoryDirectory(items);
  return { pool, directory, ctx: { cognito: pool, userPoolId: DR_POOL_ID, config, directory, deletionPolicy } };
}

describe("applyTombstone, policy delete", () => {
  it("deletes the DR user the directory names and forgets its item", async () => {
    const { pool, directory, ctx } = setup([drUser("dr-1", "alice@example.com", ID)], { [ID]: "dr-1" });
    await expect(applyTombstone(ctx, tombstone(), { policy: "delete" })).resolves.toEqual({ action: "deleted", found: 1, changes: ["delete"] });
    expect(pool.users.size).toBe(0);
    expect(directory.items.has(ID)).toBe(false);
  });

  it("finds a DR user made before the directory by the previous email, and a twin under both: all go", async () => {
    const old = setup([drUser("dr-1", "alice@example.com", ID)]);
    await expect(applyTombstone(old.ctx, tombstone(), { policy: "delete", previousEmail: "alice@example.com" })).resolves.toMatchObject({ action: "deleted", found: 1 });
    expect(old.pool.users.size).toBe(0);

    const twins = setup([drUser("dr-1", "new@example.com", ID), drUser("dr-2", "alice@example.com", ID)], { [ID]: "dr-1" });
    await expect(applyTombstone(twins.ctx, tombstone(), { policy: "delete", previousEmail: "alice@example.com" })).resolves.toEqual({ action: "deleted", found: 2, changes: ["delete", "delete"] });
    expect(twins.pool.users.size).toBe(0);
  });

  it("a user under the previous email that carries another canonical id (the email was reused) is not touched", async () => {
    const { pool, ctx } = setup([drUser("dr-new", "alice@example.com", NEWCOMER)]);
    await expect(applyTombstone(ctx, tombstone(), { policy: "delete", previousEmail: "alice@example.com" })).resolves.toEqual({ action: "unchanged", found: 0, changes: [] });
    expect(pool.users.has("dr-new")).toBe(true);
  });

  it("nothing found, or a replay after the deletion: unchanged, and no write call", async () => {
    const { pool, ctx } = setup([drUser("dr-1", "alice@example.com", ID)], { [ID]: "dr-1" });
    await applyTombstone(ctx, tombstone(), { policy: "delete" });
    await expect(applyTombstone(ctx, tombstone(), { policy: "delete", previousEmail: "alice@example.com" })).resolves.toEqual({ action: "unchanged", found: 0, changes: [] });
    expect(pool.calls.filter((c) => c.startsWith("AdminDeleteUser"))).toHaveLength(1);
  });

  it("a stale item (its user deleted by hand) is read, found missing, and nothing else happens", async () => {
    const { pool, ctx } = setup([], { [ID]: "dr-gone" });
    await expect(applyTombstone(ctx, tombstone(), { policy: "delete" })).resolves.toMatchObject({ action: "unchanged", found: 0 });
    expect(pool.calls).toEqual(["AdminGetUser:dr-gone"]);
  });
});

describe("applyTombstone, policy disable", () => {
  it("disables the DR users carrying the id and keeps them and their item; an already disabled one is left as it is", async () => {
    const { pool, directory, ctx } = setup([drUser("dr-1", "alice@example.com", ID), drUser("dr-2", "old@example.com", ID, false)], { [ID]: "dr-1" }, "disable");
    await expect(applyTombstone(ctx, tombstone(), { policy: "disable", previousEmail: "old@example.com" })).resolves.toEqual({ action: "disabled", found: 2, changes: ["disable"] });
    expect(pool.users.get("dr-1")!.enabled).toBe(false);
    expect(pool.users.size).toBe(2);
    expect(directory.items.get(ID)).toBe("dr-1");
    expect(pool.calls.filter((c) => c.startsWith("AdminDisableUser"))).toEqual(["AdminDisableUser:dr-1"]);
    await expect(applyTombstone(ctx, tombstone(), { policy: "disable" })).resolves.toEqual({ action: "unchanged", found: 1, changes: [] });
  });
});

describe("applyTombstone errors", () => {
  it("a live record is not a tombstone: INVALID_RECORD, before any call", async () => {
    const { pool, ctx } = setup([]);
    await expect(applyTombstone(ctx, userRecord(), { policy: "delete" })).rejects.toMatchObject({ reason: "INVALID_RECORD", retryable: false });
    expect(pool.calls).toEqual([]);
  });

  it("throttling is retryable, and the item is not forgotten while the user still exists", async () => {
    const { pool, directory, ctx } = setup([drUser("dr-1", "alice@example.com", ID)], { [ID]: "dr-1" });
    pool.fail("AdminDeleteUser", { name: "TooManyRequestsException" });
    await expect(applyTombstone(ctx, tombstone(), { policy: "delete" })).rejects.toMatchObject({ reason: "THROTTLED", retryable: true });
    expect(directory.items.get(ID)).toBe("dr-1");
  });
});

describe("a deleted user's email reused by a newcomer", () => {
  const newcomer = () => userRecord({ canonicalId: NEWCOMER, username: NEWCOMER, attributes: { email: "alice@example.com", email_verified: "true", name: "Someone Else" }, groups: [] });

  it("delete, then a sign-up with the same email: the tombstone removes the old DR user and the newcomer gets a new one with their own canonical id", async () => {
    const { pool, directory, ctx } = setup([]);
    pool.groups.add("admins");
    await upsertDrUser(ctx, userRecord({ groups: ["admins"] }));
    const [oldUsername] = pool.users.keys();

    await applyTombstone(ctx, tombstone(), { policy: "delete", previousEmail: "alice@example.com" });
    await expect(upsertDrUser(ctx, newcomer())).resolves.toEqual({ action: "created", changes: ["create"] });

    const [user] = pool.users.values();
    expect(pool.users.size).toBe(1);
    expect(user.username).not.toBe(oldUsername);
    expect(user.attributes["custom:canonical_id"]).toBe(NEWCOMER);
    expect(user.groups).toEqual([]);
    expect([...directory.items]).toEqual([[NEWCOMER, user.username]]);
  });

  it("the newcomer's record first: a conflict until the old user's tombstone is in the table, then the old DR user goes and the newcomer is created", async () => {
    const { pool, directory, ctx } = setup([]);
    await upsertDrUser(ctx, userRecord());
    await expect(upsertDrUser(ctx, newcomer())).rejects.toMatchObject({ reason: "CONFLICT_SAME_EMAIL" });
    expect(pool.users.size).toBe(1);

    directory.tombstoned.add(ID);
    await expect(upsertDrUser(ctx, newcomer())).resolves.toEqual({ action: "created", changes: ["removed-deleted-holder", "create"] });
    expect([...pool.users.values()].map((u) => u.attributes["custom:canonical_id"])).toEqual([NEWCOMER]);
    // The old user's tombstone arriving afterwards finds nothing left to do.
    await expect(applyTombstone(ctx, tombstone(), { policy: "delete", previousEmail: "alice@example.com" })).resolves.toMatchObject({ action: "unchanged", found: 0 });
    expect(pool.users.size).toBe(1);
  });
});
