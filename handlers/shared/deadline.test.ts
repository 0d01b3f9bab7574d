import { expect, it } from "vitest";
import { withDeadline } from "./deadline";

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
