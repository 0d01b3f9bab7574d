// Reading pools: pages followed to the end, group membership from group walks, and the mapping
// from a listed user to the record and to the DR state the drift checks compare.
import { describe, expect, it } from "vitest";
import { userRecord } from "../../test/support/events";
import { FakePool } from "../../test/support/fake-cognito";
import { bornInPool, drCanonicalId, drStateFromUser, groupMembership, listUsersPage, userKeeper, poolStateFromUser, primaryCanonicalId, recordFromUser, replicable, sameContent } from "./pool-users";
import { replicationConfig } from "./replication-config";
import { listSegmented } from "./segmented-list";

const config = replicationConfig();
const users = Array.from({ length: 5 }, (_, i) => ({ username: `u${i}`, attributes: { sub: `s${i}`, email: `u${i}@example.com` }, groups: i % 2 === 0 ? ["b-team", "a-team"] : [] }));

describe("listing", () => {
  it("asks for Cognito's maximum page of 60 with the filter, and follows every page", async () => {
    const pool = new FakePool("p", users);
    const inputs: Array<Record<string, unknown>> = [];
    const send = pool.send.bind(pool);
    pool.send = async (cmd) => (inputs.push(cmd.input), send(cmd));
    const counts: number[] = [];
    const all: string[] = [];
    await listSegmented(pool, "p", { filter: 'email ^= "u"', targetRate: 30, onPage: (p) => void counts.push(all.push(...p.users.map((u) => u.Username!))) });
    expect(all).toEqual(["u0", "u1", "u2", "u3", "u4"]);
    expect(counts).toEqual([2, 4, 5]);
    expect(inputs[0]).toEqual({ UserPoolId: "p", Limit: 60, PaginationToken: undefined, Filter: 'email ^= "u"' });
    expect(inputs[1]).toMatchObject({ PaginationToken: "2", Filter: 'email ^= "u"' });
    expect((await listUsersPage(pool, "p", { limit: 1 })).users).toHaveLength(1);
  });

  it("maps every member to its groups, sorted, walking every group and every page", async () => {
    const pool = new FakePool("p", users);
    pool.groups.add("c-empty");
    const m = await groupMembership(pool, "p");
    expect(Object.fromEntries(m)).toEqual({ u0: ["a-team", "b-team"], u2: ["a-team", "b-team"], u4: ["a-team", "b-team"] });
    expect(pool.calls.filter((c) => c === "ListUsersInGroup")).toHaveLength(2 + 2 + 1);
  });
});

describe("what reconcile keeps of a listed user", () => {
  it("keeps what the join reads, drops the rest, and shares one copy of each attribute name and status", () => {
    const keep = userKeeper(config);
    // Two users as two parsed responses give them: equal strings, distinct copies.
    const parsed = (i: number) =>
      JSON.parse(
        JSON.stringify({
          Username: `u${i}`,
          Enabled: false,
          UserStatus: "CONFIRMED",
          MFAOptions: [{ DeliveryMedium: "SMS", AttributeName: "phone_number" }],
          Attributes: [
            { Name: "sub", Value: `s${i}` },
            { Name: "email", Value: `u${i}@example.com` },
            { Name: "email_verified", Value: "true" },
            { Name: "given_name", Value: "G" },
            { Name: "custom:canonical_id", Value: "c" },
            { Name: "custom:not_replicated", Value: "x" },
            { Name: "website", Value: "https://example.com" },
          ],
        }),
      );
    const [a, b] = [keep({ ...parsed(1), UserCreateDate: new Date(1), UserLastModifiedDate: new Date(2) }), keep(parsed(2))];
    expect(a).toEqual({
      Username: "u1",
      Enabled: false,
      UserStatus: "CONFIRMED",
      UserCreateDate: new Date(1),
      UserLastModifiedDate: new Date(2),
      Attributes: [
        { Name: "sub", Value: "s1" },
        { Name: "email", Value: "u1@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "given_name", Value: "G" },
        { Name: "custom:canonical_id", Value: "c" },
      ],
    });
    expect(config.replicated.has("website")).toBe(false);
    // The record and DR state reconcile builds are the same from the kept user as from the full one.
    const ctx = { region: "us-east-1", poolId: "us-east-1_P", config, ttlDays: 30, now: 5 };
    expect(recordFromUser(a, [], ctx)).toEqual(recordFromUser({ ...parsed(1), UserCreateDate: new Date(1) }, [], ctx));
    expect(b.Attributes!.map((x) => x.Name)).toEqual(a.Attributes!.map((x) => x.Name));
  });
});

describe("users to records and DR state", () => {
  const ctx = { region: "us-east-1", poolId: "us-east-1_P", config, ttlDays: 30, now: Date.UTC(2026, 10, 30) };

  it("only UNCONFIRMED users wait; a DR user's canonical id is its attribute or nothing", () => {
    expect(["CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED", "UNCONFIRMED"].map((UserStatus) => replicable({ UserStatus } as never))).toEqual([true, true, true, false]);
    expect(drCanonicalId({ Attributes: [{ Name: "custom:canonical_id", Value: "c1" }] }, config)).toBe("c1");
    expect(drCanonicalId({ Attributes: [{ Name: "custom:canonical_id", Value: "" }, { Name: "sub", Value: "s" }] }, config)).toBeUndefined();
  });

  it("two-way (D3): a pool user's canonical id is its attribute, else its own sub, in both pools", () => {
    const attrs = (a: Record<string, string>) => ({ Attributes: Object.entries(a).map(([Name, Value]) => ({ Name, Value })) });
    const copy = attrs({ sub: "p-sub", "custom:canonical_id": "dr-born" });
    const own = attrs({ sub: "s1", "custom:canonical_id": " " });
    expect(primaryCanonicalId(copy, config, "two-way")).toBe("dr-born");
    expect(primaryCanonicalId(copy, config, "one-way")).toBe("p-sub");
    expect(primaryCanonicalId(copy)).toBe("p-sub");
    expect(primaryCanonicalId(own, config, "two-way")).toBe("s1");
    expect(drCanonicalId(own, config, "two-way")).toBe("s1");
    expect(drCanonicalId(own, config, "one-way")).toBeUndefined();
    expect(drCanonicalId(copy, config, "two-way")).toBe("dr-born");
    expect([bornInPool(own, config), bornInPool(copy, config), bornInPool(attrs({ sub: "x", "custom:canonical_id": "x" }), config)]).toEqual([true, false, true]);
  });

  it("poolStateFromUser: a user without the attribute whose sub is the record's id carries it (no drift); any other id does not", () => {
    const u = { Username: "u", Enabled: true, Attributes: [{ Name: "sub", Value: "s1" }] };
    expect(poolStateFromUser(u, [], "s1", config).attributes).toEqual({ sub: "s1", "custom:canonical_id": "s1" });
    expect(poolStateFromUser(u, [], "other", config).attributes).toEqual({ sub: "s1" });
  });

  it("a listed user becomes a record: enabled unless said otherwise, confirmed no later than now", () => {
    const base = { Username: "u", Attributes: [{ Name: "sub", Value: "s1" }, { Name: "email", Value: "u@example.com" }] };
    expect(recordFromUser(base, ["b", "a"], ctx)).toMatchObject({ canonicalId: "s1", enabled: true, groups: ["a", "b"], confirmedAt: ctx.now, version: ctx.now });
    expect(recordFromUser({ ...base, Enabled: false }, [], ctx).enabled).toBe(false);
    const created = new Date(ctx.now - 86_400_000);
    expect(recordFromUser({ ...base, UserCreateDate: created }, [], ctx).confirmedAt).toBe(created.getTime());
    expect(recordFromUser({ ...base, UserCreateDate: new Date(ctx.now + 5_000) }, [], ctx).confirmedAt).toBe(ctx.now);
  });

  it("an admin-created user that never signed in (FORCE_CHANGE_PASSWORD) is marked forceChangePassword; no other status is", () => {
    const base = { Username: "u", Attributes: [{ Name: "sub", Value: "s1" }, { Name: "email", Value: "u@example.com" }] };
    expect(recordFromUser({ ...base, UserStatus: "FORCE_CHANGE_PASSWORD" }, [], ctx).forceChangePassword).toBe(true);
    for (const UserStatus of ["CONFIRMED", "RESET_REQUIRED", "EXTERNAL_PROVIDER", undefined] as const) {
      expect(recordFromUser({ ...base, UserStatus }, [], ctx)).not.toHaveProperty("forceChangePassword");
    }
  });

    it("a record's canonical id is the primary user's sub, never a custom:canonical_id it carries (backfill and reconcile build records here)", () => {
    const claimed = { Username: "u", Attributes: [{ Name: "sub", Value: "s1" }, { Name: "email", Value: "u@example.com" }, { Name: "custom:canonical_id", Value: "someone-else" }] };
    expect(recordFromUser(claimed, [], ctx).canonicalId).toBe("s1");
  });

  it("a DR user's state: enabled unless said otherwise, its groups as given", () => {
    expect(drStateFromUser({ Username: "d", Attributes: [{ Name: "email", Value: "d@example.com" }] }, ["g"])).toEqual({ username: "d", attributes: { email: "d@example.com" }, enabled: true, groups: ["g"] });
    expect(drStateFromUser({ Username: "d", Enabled: false }, []).enabled).toBe(false);
  });

  it("sameContent ignores order, version and origin, and nothing else", () => {
    const a = userRecord({ groups: ["x", "y"], attributes: { email: "a@example.com", name: "A" } });
    expect(sameContent({ ...a, groups: ["y", "x"] }, a)).toBe(true);
    expect(sameContent(a, { ...a, groups: ["y", "x"], attributes: { name: "A", email: "a@example.com" }, version: a.version + 1, originRegion: "eu-west-1" })).toBe(true);
    expect(sameContent(a, { ...a, username: "other" })).toBe(false);
    expect(sameContent(a, { ...a, enabled: false })).toBe(false);
    expect(sameContent(a, { ...a, attributes: { ...a.attributes, name: "B" } })).toBe(false);
    expect(sameContent(a, { ...a, groups: ["x"] })).toBe(false);
    expect(sameContent(a, { ...a, groups: ["x", "z"] })).toBe(false);
    expect(sameContent(a, { ...a, forceChangePassword: true })).toBe(false);
    expect(sameContent({ ...a, forceChangePassword: true }, a)).toBe(false);
    expect(sameContent(a, { ...a, changedAt: 1, changeKinds: ["disable"] })).toBe(true);
    const t = userRecord({ attributes: {}, enabled: false, deleted: true });
    expect(sameContent(t, { ...t, deleted: undefined })).toBe(false);
    expect(sameContent(t, { ...t, version: t.version + 1 })).toBe(true);
  });
});
