// Per-key ordering with bounded concurrency for one batch: records that share a key
// (a user) run one after another in batch order, different keys run side by side,
// at most `limit` at once. When a record fails, the later records of its key fail
// without running, so a retry replays them in order.
import { BlockedByEarlierFailureError } from "./errors";

export function semaphore(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next(); // hand the slot over directly
      else active--;
    }
  };
}

export type OrderedRun<R> = <T>(record: R, fn: () => Promise<T>) => Promise<T>;

/**
 * Plans `records` (in batch order). `keyOf` returning undefined makes a record
 * independent. Every planned record must be run exactly once, or its successors wait.
 */
export function orderByKey<R extends object>(records: readonly R[], keyOf: (r: R) => string | undefined, limit: number): OrderedRun<R> {
  const limited = semaphore(Math.max(1, limit));
  const previous = new Map<R, Promise<boolean>>();
  const settle = new Map<R, (ok: boolean) => void>();
  const lastOfKey = new Map<string, Promise<boolean>>();
  for (const record of records) {
    const done = new Promise<boolean>((resolve) => settle.set(record, resolve));
    const key = keyOf(record);
    if (key === undefined) continue;
    const before = lastOfKey.get(key);
    if (before) previous.set(record, before);
    lastOfKey.set(key, done);
  }
  return async (record, fn) => {
    const finish = settle.get(record) ?? (() => undefined);
    if ((await previous.get(record)) === false) {
      finish(false);
      throw new BlockedByEarlierFailureError();
    }
    try {
      const result = await limited(fn);
      finish(true);
      return result;
    } catch (err) {
      finish(false);
      throw err;
    }
  };
}
