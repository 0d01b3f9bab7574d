// Where reconcile keeps listed users until the join: on disk, a user reads back as it was kept
// (dates included), in the order added, from the partition of its canonical id; the directory is
// the owner's only and is gone after close.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FilePartitions, MemoryPartitions, removeStalePartitions, userFromLine, userToLine, type UserPartitions } from "./user-partitions";

const user = (sub: string, more: Partial<UserType> = {}): UserType => ({
  Username: `u-${sub}`,
  Enabled: true,
  UserStatus: "CONFIRMED",
  UserCreateDate: new Date("2026-11-01T10:00:00.123Z"),
  UserLastModifiedDate: new Date("2026-11-02T11:30:00Z"),
  Attributes: [
    { Name: "sub", Value: sub },
    { Name: "email", Value: `${sub}@example.com` },
  ],
  ...more,
});

const open: UserPartitions[] = [];
const files = (count: number) => {
  const p = new FilePartitions(count);
  open.push(p);
  return p;
};
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

describe("a user as a line", () => {
  it("reads back equal, with or without its optional fields", () => {
    for (const u of [user("a"), { Attributes: [] }, user("b", { Enabled: false, UserLastModifiedDate: undefined, UserStatus: "UNCONFIRMED" })]) {
      expect(userFromLine(userToLine(u))).toEqual({ Username: undefined, Enabled: undefined, UserStatus: undefined, UserCreateDate: undefined, UserLastModifiedDate: undefined, ...u });
    }
  });
});

describe.each([
  ["in memory", (n: number) => new MemoryPartitions(n)],
  ["on disk", files],
])("partitions %s", (_name, make) => {
  it("give each side's users of a partition back in the order added, a canonical id always in one partition", () => {
    const parts = make(4);
    const ids = Array.from({ length: 200 }, () => randomUUID());
    for (const id of ids) parts.add("primary", id, user(id));
    const reversed = [...ids].reverse();
    for (const id of reversed) parts.add("dr", id, user(`dr-${id}`, { Attributes: [{ Name: "custom:canonical_id", Value: id }] }));
    parts.add("dr", undefined, user("no-id"));
    const seen = { primary: [] as string[], dr: [] as string[] };
    for (let p = 0; p < 4; p++) {
      const primary = parts.read("primary", p).map((u) => u.Attributes![0].Value!);
      expect(primary).toEqual(ids.filter((id) => parts.partitionOf(id) === p));
      const dr = parts.read("dr", p).map((u) => u.Attributes![0].Value!);
      expect(dr).toEqual([...reversed.filter((id) => parts.partitionOf(id) === p), ...(p === 0 ? ["no-id"] : [])]);
      seen.primary.push(...primary);
      seen.dr.push(...dr);
    }
    expect(seen.primary.sort()).toEqual([...ids].sort());
    expect(seen.dr).toHaveLength(201);
    // Read twice: the same (the join reads a partition more than once).
    expect(parts.read("primary", 1)).toEqual(parts.read("primary", 1));
  });

  it("spread UUIDs evenly, and put everything in partition 0 when there is one", () => {
    const parts = make(16);
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[parts.partitionOf(randomUUID())]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
    expect(make(1).partitionOf(randomUUID())).toBe(0);
  });
});

describe("partitions on disk", () => {
  it("live in a directory only the owner can enter, written past the buffer, removed by close", () => {
    const parts = files(2);
    const mode = statSync(parts.dir).mode & 0o777;
    if (process.platform !== "win32") expect(mode).toBe(0o700);
    // Enough users to flush the 64 KB buffers more than once.
    const ids = Array.from({ length: 3_000 }, () => randomUUID());
    for (const id of ids) parts.add("primary", id, user(id));
    expect(readdirSync(parts.dir).length).toBeGreaterThan(0);
    expect(parts.read("primary", 0).length + parts.read("primary", 1).length).toBe(3_000);
    expect(parts.read("dr", 0)).toEqual([]);
    expect(parts.bytesWritten).toBe(readdirSync(parts.dir).reduce((sum, f) => sum + statSync(join(parts.dir, f)).size, 0));
    parts.close();
    expect(existsSync(parts.dir)).toBe(false);
    expect(() => parts.add("primary", "x", user("x"))).toThrow("user partitions: add after close");
  });

  it("refuse a partition count that is not a positive integer", () => {
    expect(() => new MemoryPartitions(0)).toThrow("count must be a positive integer (got 0)");
    expect(() => new FilePartitions(1.5)).toThrow("count must be a positive integer (got 1.5)");
  });
});

describe("removeStalePartitions", () => {
  it("removes only partition directories older than the limit: a dead invocation's, never a live run's or anything else", () => {
    const parent = mkdtempSync(join(tmpdir(), "stale-test-"));
    try {
      const live = new FilePartitions(2, parent);
      const dead = new FilePartitions(2, parent);
      dead.add("primary", "x", user("x"));
      dead.read("primary", dead.partitionOf("x"));
      const hour = new Date(Date.now() - 3_600_000);
      utimesSync(dead.dir, hour, hour);
      mkdirSync(join(parent, "other-old"));
      utimesSync(join(parent, "other-old"), hour, hour);
      expect(removeStalePartitions(20 * 60_000, parent)).toEqual([dead.dir.slice(parent.length + 1)]);
      expect(existsSync(dead.dir)).toBe(false);
      expect(existsSync(live.dir)).toBe(true);
      expect(existsSync(join(parent, "other-old"))).toBe(true);
      live.close();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
