// An in-memory DrDirectory (handlers/replication/dr-directory.ts) for tests of the code that uses
// it: canonical id -> username (and sub), sub -> canonical id, and the canonical ids whose latest
// record is live or a tombstone.
import type { RegionRole } from "../../handlers/contract";
import type { DrDirectory } from "../../handlers/replication/dr-directory";

export interface MemoryDirectory extends DrDirectory {
  readonly items: Map<string, string>;
  /** canonical id -> the sub its item records (absent: an item written before the reverse items). */
  readonly subs: Map<string, string>;
  /** sub -> canonical id (the reverse items). */
  readonly bySub: Map<string, string>;
  readonly tombstoned: Set<string>;
  /** Canonical ids with a live record in the table. */
  readonly live: Set<string>;
  /** Every call, e.g. `remember:c1:dr-user-1`. */
  readonly calls: string[];
}

export function memoryDirectory(items: Record<string, string> = {}, tombstoned: string[] = [], o: { live?: string[]; role?: RegionRole; subs?: Record<string, string> } = {}): MemoryDirectory {
  const d: MemoryDirectory = {
    role: o.role ?? "dr",
    items: new Map(Object.entries(items)),
    subs: new Map(Object.entries(o.subs ?? {})),
    bySub: new Map(Object.entries(o.subs ?? {}).map(([id, sub]) => [sub, id])),
    tombstoned: new Set(tombstoned),
    live: new Set(o.live ?? []),
    calls: [],
    usernameOf: async (id) => {
      d.calls.push(`usernameOf:${id}`);
      return d.items.get(id);
    },
    entryOf: async (id) => {
      d.calls.push(`entryOf:${id}`);
      const username = d.items.get(id);
      if (!username) return undefined;
      const sub = d.subs.get(id);
      return sub ? { username, sub } : { username };
    },
    remember: async (id, username, sub) => {
      d.calls.push(sub ? `remember:${id}:${username}:${sub}` : `remember:${id}:${username}`);
      d.items.set(id, username);
      if (sub) {
        d.subs.set(id, sub);
        d.bySub.set(sub, id);
      }
    },
    canonicalIdOfSub: async (sub) => {
      d.calls.push(`canonicalIdOfSub:${sub}`);
      return d.bySub.get(sub);
    },
    recordState: async (id) => {
      d.calls.push(`recordState:${id}`);
      return d.tombstoned.has(id) ? "tombstoned" : d.live.has(id) ? "live" : undefined;
    },
    forget: async (id, username) => {
      d.calls.push(`forget:${id}:${username}`);
      if (d.items.get(id) === username) d.items.delete(id);
    },
    isTombstoned: async (id) => {
      d.calls.push(`isTombstoned:${id}`);
      return d.tombstoned.has(id);
    },
  };
  return d;
}
