import { expect, it } from "vitest";
import { orElse, quiet } from "./quiet";

it("quiet(): methods that throw return undefined, others answer as before with their own this; values pass", () => {
  const target = {
    level: "INFO",
    calls: 0,
    ok(n: number) {
      this.calls += n;
      return this.calls;
    },
    broken(): number {
      throw new Error("sink down");
    },
  };
  const q = quiet(target);
  expect(q.level).toBe("INFO");
  expect(q.ok(2)).toBe(2);
  expect(target.calls).toBe(2);
  expect(q.broken()).toBeUndefined();
});

it("orElse(): the value, or the fallback when making it throws", () => {
  expect(orElse(() => "id-1", "none")).toBe("id-1");
  expect(orElse(() => { throw new Error("no entropy"); }, "none")).toBe("none");
});
