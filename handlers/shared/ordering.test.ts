import { describe, expect, it } from "vitest";
import { orderByKey, semaphore } from "./ordering";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("semaphore", () => {
  it("never runs more than the limit", async () => {
    const limited = semaphore(2);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limited(async () => {
          peak = Math.max(peak, ++active);
          await tick();
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });
});

describe("orderByKey", () => {
  const recs = [
    { id: 1, k: "a" },
    { id: 2, k: "b" },
    { id: 3, k: "a" },
    { id: 4, k: "a" },
    { id: 5, k: undefined },
  ];

  it("runs one key in order, keys side by side", async () => {
    const run = orderByKey(recs, (r) => r.k, 10);
    const log: string[] = [];
    await Promise.all(
      [...recs].reverse().map((r) =>
        run(r, async () => {
          log.push(`start ${r.id}`);
          await tick();
          log.push(`end ${r.id}`);
        }),
      ),
    );
    const a = log.filter((l) => /[134]$/.test(l));
    expect(a).toEqual(["start 1", "end 1", "start 3", "end 3", "start 4", "end 4"]);
  });

  it("a failure fails the later records of its key without running them", async () => {
    const run = orderByKey(recs, (r) => r.k, 1);
    const ran: number[] = [];
    const results = await Promise.allSettled(
      recs.map((r) =>
        run(r, async () => {
          ran.push(r.id);
          if (r.id === 1) throw new Error("boom");
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ reason: "BLOCKED_BY_EARLIER_FAILURE", retryable: true });
    expect(ran.sort()).toEqual([1, 2, 5]);
  });
});
