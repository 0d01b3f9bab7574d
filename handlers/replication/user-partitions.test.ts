// Where reconcile keeps listed users until the join: on disk, a user reads back as it was kept
// (dates included), in the order added, from the partition of its canonical id; the directory is
// the owner's only and is gone after close.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
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

  it("reads an attribute listed without a value back without one, not as null", () => {
    const back = userFromLine(userToLine({ Attributes: [{ Name: "sub", Value: "a" }, { Name: "locale" }] }));
    expect(back.Attributes).toEqual([{ Name: "sub", Value: "a" }, { Name: "locale", Value: undefined }]);
    expect(back.Attributes![1].Value).toBeUndefined();
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

  it("fail a read of a partition file that was written and is gone, instead of reading an empty pool", () => {
    const parts = files(1);
    parts.add("dr", "x", user("x"));
    expect(parts.read("dr", 0)).toHaveLength(1);
    rmSync(join(parts.dir, "dr-0.jsonl"));
    expect(() => parts.read("dr", 0)).toThrow(/dr-0\.jsonl was written and is gone/);
    // Never written: empty, as before.
    expect(parts.read("primary", 0)).toEqual([]);
  });

  it("refuse a partition count that is not a positive integer", () => {
    expect(() => new MemoryPartitions(0)).toThrow("count must be a positive integer (got 0)");
    expect(() => new FilePartitions(1.5)).toThrow("count must be a positive integer (got 1.5)");
  });
});

describe("removeStalePartitions", () => {
  it("removes partition directories no live run owns: a dead process's, this process's closed or leaked ones, never a live run's or anything else", () => {
    const parent = mkdtempSync(join(tmpdir(), "stale-test-"));
    try {
      const live = new FilePartitions(2, parent);
      live.add("primary", "x", user("x"));
      live.read("primary", live.partitionOf("x"));
      // A process that has exited: its pid is free (reuse within this test is not expected).
      const deadPid = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
      const dirs = {
        dead: `cdr-reconcile-${deadPid}-aaaaaa`,
        ownLeaked: `cdr-reconcile-${process.pid}-bbbbbb`, // a timed-out invocation's, same pid
        otherLive: `cdr-reconcile-${process.ppid}-cccccc`,
        unowned: "cdr-reconcile-dddddd",
        other: "other-dir",
      };
      for (const d of Object.values(dirs)) mkdirSync(join(parent, d));
      expect(removeStalePartitions(parent).sort()).toEqual([dirs.dead, dirs.ownLeaked, dirs.unowned].sort());
      expect(existsSync(live.dir)).toBe(true);
      expect(existsSync(join(parent, dirs.otherLive))).toBe(true);
      expect(existsSync(join(parent, dirs.other))).toBe(true);
      live.close();
      // Once closed, nothing of this process is live: a directory left under its name is stale.
      mkdirSync(live.dir);
      expect(removeStalePartitions(parent)).toEqual([live.dir.slice(parent.length + 1)]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
