import { afterEach, expect, it, vi } from "vitest";
import { DeadlineExceededError, withDeadline } from "./deadline";

afterEach(() => {
  vi.useRealTimers();
});

it("rejects with a TimeoutError and aborts the call when the budget runs out", async () => {
  let signal: AbortSignal | undefined;
  const never = (s: AbortSignal) => {
    signal = s;
    return new Promise<never>(() => undefined);
  };
  await expect(withDeadline(5, never)).rejects.toMatchObject({ name: "TimeoutError" });
  expect(signal?.aborted).toBe(true);
  await expect(withDeadline(50, async () => 7)).resolves.toBe(7);
});

it("says how long it waited, and the aborted call sees the same error as its reason", async () => {
  let signal: AbortSignal | undefined;
  const err = await withDeadline(5, (s) => {
    signal = s;
    return new Promise<never>(() => undefined);
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeadlineExceededError);
  expect(err).toMatchObject({ message: "no answer within 5 ms", budgetMs: 5 });
  expect(signal?.reason).toBe(err);
});

it("a call that answered in time is not aborted later, and leaves no timer behind", async () => {
  vi.useFakeTimers();
  let signal: AbortSignal | undefined;
  await expect(
    withDeadline(1_000, async (s) => {
      signal = s;
      return "done";
    }),
  ).resolves.toBe("done");
  expect(vi.getTimerCount()).toBe(0);
  await vi.advanceTimersByTimeAsync(5_000);
  expect(signal?.aborted).toBe(false);
});

it("a call that fails in time fails with its own error", async () => {
  const own = new Error("own");
  await expect(withDeadline(1_000, async () => Promise.reject(own))).rejects.toBe(own);
});
