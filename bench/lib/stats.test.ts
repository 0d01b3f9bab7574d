import { describe, expect, it } from "vitest";
import { duplicates, formatTable, median, percentile, ratio, round } from "./stats";

describe("bench stats helpers", () => {
  it("percentile uses the nearest rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it("median averages the middle pair", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("ratio, round, duplicates, table", () => {
    expect(ratio(47.5, 50)).toBe(0.95);
    expect(ratio(1, 0)).toBe(0);
    expect(round(1.23456, 2)).toBe(1.23);
    expect(duplicates(["a", "b", "a", "a"])).toBe(2);
    expect(formatTable([["a", "bb"], ["ccc", 1]])).toBe("a    bb\nccc   1");
  });
});
