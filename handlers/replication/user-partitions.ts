// Where reconcile keeps the users it listed until it joins them: by canonical id, in partitions the
// join reads one at a time, so a user and its DR copy are always in the same partition. In memory
// (one partition: the whole listing, as the scheduled reconcile holds it) or spilled to files (the
// operator CLI: memory then follows one partition, not the pools). Only what reconcile reads of a
// user is written (userKeeper has already trimmed it); the files hold personal data (emails), so
// they live in a directory only the owner can read, removed when the run ends.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type PoolSide = "primary" | "dr";

/**
 * Partitions the reconcile CLI and the scheduled reconcile spill listings to: at 2 million users a
 * pool, ~31,000 users of each pool in memory at once during the join (~35 MB at the ~1.1 KB a user
 * takes in memory). bench/reconcile-heap/run.ts measures what the join then needs.
 */
export const RECONCILE_PARTITIONS = 64;

const DIR_PREFIX = "cdr-reconcile-";
/** This process's partition directories not yet closed: the only ones of its own that are live. */
const openDirs = new Set<string>();

export interface UserPartitions {
  readonly count: number;
  /** The partition of a canonical id (users without one: partition 0). */
  partitionOf(id: string | undefined): number;
  add(side: PoolSide, id: string | undefined, user: UserType): void;
  /** The users added to this side's partition, in the order added. */
  read(side: PoolSide, partition: number): UserType[];
  /** Removes what the partitions hold (files included). */
  close(): void;
}

/** FNV-1a (32 bit): spreads canonical ids (UUIDs, or any string in two-way mode) evenly. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

abstract class Partitioned implements UserPartitions {
  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`user partitions: count must be a positive integer (got ${count})`);
  }
  partitionOf(id: string | undefined): number {
    return id === undefined || this.count === 1 ? 0 : hash(id) % this.count;
  }
  abstract add(side: PoolSide, id: string | undefined, user: UserType): void;
  abstract read(side: PoolSide, partition: number): UserType[];
  abstract close(): void;
}

/** Everything in memory: one partition by default (today's join over whole listings). */
export class MemoryPartitions extends Partitioned {
  private readonly users = { primary: new Map<number, UserType[]>(), dr: new Map<number, UserType[]>() };
  constructor(count = 1) {
    super(count);
  }
  add(side: PoolSide, id: string | undefined, user: UserType): void {
    const p = this.partitionOf(id);
    const list = this.users[side].get(p);
    if (list) list.push(user);
    else this.users[side].set(p, [user]);
  }
  read(side: PoolSide, partition: number): UserType[] {
    return [...(this.users[side].get(partition) ?? [])];
  }
  close(): void {
    this.users.primary.clear();
    this.users.dr.clear();
  }
}

/** A user as one line: what reconcile reads of it, dates as ISO strings. */
type Line = { u?: string; e?: boolean; s?: string; c?: string; m?: string; a: Array<[string | undefined, string | undefined]> };

const iso = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d).toISOString());

export function userToLine(user: UserType): string {
  const line: Line = { u: user.Username, e: user.Enabled, s: user.UserStatus, c: iso(user.UserCreateDate), m: iso(user.UserLastModifiedDate), a: (user.Attributes ?? []).map((x) => [x.Name, x.Value]) };
  return JSON.stringify(line);
}

export function userFromLine(raw: string): UserType {
  const l = JSON.parse(raw) as Line;
  return {
    Username: l.u,
    Enabled: l.e,
    UserStatus: l.s as UserType["UserStatus"],
    UserCreateDate: l.c === undefined ? undefined : new Date(l.c),
    UserLastModifiedDate: l.m === undefined ? undefined : new Date(l.m),
    // JSON writes an absent value in an array as null: read back as absent, as it was listed.
    Attributes: l.a.map(([Name, Value]) => ({ Name: Name ?? undefined, Value: Value ?? undefined })),
  };
}

/** Bytes a partition buffers before it is written to its file. */
const FLUSH_BYTES = 64 * 1024;

/** Spilled to one file per side and partition, under a fresh directory in the OS's temporary directory. */
export class FilePartitions extends Partitioned {
  readonly dir: string;
  /** Bytes written to the files so far: the room the listings take on disk. */
  bytesWritten = 0;
  private readonly pending = new Map<string, { lines: string[]; bytes: number }>();
  /** Files written: one missing at read was removed under the run (a /tmp cleaner), not empty. */
  private readonly written = new Set<string>();
  private closed = false;

  constructor(count: number, parent = tmpdir()) {
    super(count);
    // mkdtemp makes the directory 0700: only this user reads the emails in it. The owner's pid in
    // the name tells a later run whether the directory can still be in use (removeStalePartitions).
    this.dir = mkdtempSync(join(parent, `${DIR_PREFIX}${process.pid}-`));
    openDirs.add(this.dir);
  }

  private file(side: PoolSide, partition: number): string {
    return join(this.dir, `${side}-${partition}.jsonl`);
  }

  private flush(file: string): void {
    const p = this.pending.get(file);
    if (!p || p.lines.length === 0) return;
    const fd = openSync(file, "a", 0o600);
    try {
      const text = p.lines.join("\n") + "\n";
      writeSync(fd, text);
      this.written.add(file);
      this.bytesWritten += Buffer.byteLength(text);
    } finally {
      closeSync(fd);
    }
    this.pending.delete(file);
  }

  add(side: PoolSide, id: string | undefined, user: UserType): void {
    if (this.closed) throw new Error("user partitions: add after close");
    const file = this.file(side, this.partitionOf(id));
    const line = userToLine(user);
    const p = this.pending.get(file) ?? { lines: [], bytes: 0 };
    p.lines.push(line);
    p.bytes += line.length + 1;
    this.pending.set(file, p);
    if (p.bytes >= FLUSH_BYTES) this.flush(file);
  }

  read(side: PoolSide, partition: number): UserType[] {
    const file = this.file(side, partition);
    this.flush(file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      if (this.written.has(file)) throw new Error(`user partitions: ${file} was written and is gone (removed while reconcile ran?); the comparison would miss its users`);
      return [];
    }
    const users: UserType[] = [];
    for (const raw of text.split("\n")) if (raw) users.push(userFromLine(raw));
    return users;
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    rmSync(this.dir, { recursive: true, force: true });
    openDirs.delete(this.dir);
  }
}

/** Whether a process with this pid exists (one of another user's answers EPERM: it exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes partition directories no live run owns: their owner process is gone (a CLI killed
 * before it cleaned up), or it is this process and the directory is not one it has open (a Lambda
 * invocation that timed out leaves its /tmp to the next one in the container, possibly under the
 * same pid). By owner, not by age: a timed-out invocation's directory is younger than the next tick.
 * Directories without an owner pid in their name (earlier versions) count as stale.
 */
export function removeStalePartitions(parent = tmpdir()): string[] {
  const stale = readdirSync(parent).filter((name) => {
    if (!name.startsWith(DIR_PREFIX)) return false;
    const pid = Number(/^(\d+)-/.exec(name.slice(DIR_PREFIX.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0) return true;
    if (pid === process.pid) return !openDirs.has(join(parent, name));
    return !alive(pid);
  });
  for (const name of stale) rmSync(join(parent, name), { recursive: true, force: true });
  return stale;
}
