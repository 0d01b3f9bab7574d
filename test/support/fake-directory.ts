// An in-memory DrDirectory (handlers/replication/dr-directory.ts) for tests of the code that uses
// it: canonical id -> DR username, and the canonical ids whose latest record is a tombstone.
import type { DrDirectory } from "../../handlers/replication/dr-directory";

export interface MemoryDirectory extends DrDirectory {
  readonly items: Map<string, string>;
  readonly tombstoned: Set<string>;
  /** Every call, e.g. `remember:c1:dr-user-1`. */
  readonly calls: string[];
}

export function memoryDirectory(items: Record<string, string> = {}, tombstoned: string[] = []): MemoryDirectory {
  const d: MemoryDirectory = {
    items: new Map(Object.entries(items)),
    tombstoned: new Set(tombstoned),
    calls: [],
    usernameOf: async (id) => {
      d.calls.push(`usernameOf:${id}`);
      return d.items.get(id);
    },
    remember: async (id, username) => {
      d.calls.push(`remember:${id}:${username}`);
      d.items.set(id, username);
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
