// Pure helpers for the benchmarks: percentiles, medians, rounding. Unit-tested in
// stats.test.ts (the only test under bench/: benchmarks never run in `npm test`).

/** Nearest-rank percentile (p in 0..100) of `values`; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100 (got ${p})`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Median: mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** achieved / bound, 0 when the bound is not positive. */
export function ratio(achieved: number, bound: number): number {
  return bound > 0 ? round(achieved / bound, 3) : 0;
}

/** Count of values and of distinct values: duplicates = count - distinct. */
export function duplicates(values: readonly string[]): number {
  return values.length - new Set(values).size;
}

/** Fixed-width table; numbers right-aligned. */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows
    .map((r) => r.map((c, i) => (typeof c === "number" ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ").trimEnd())
    .join("\n");
}
