// Test doubles: a metrics recorder, a debug-level redacting logger, fixed clocks.
import type { Logger } from "@aws-lambda-powertools/logger";
import { createLogger } from "../../handlers/shared/logger";
import type { DimensionedMetrics } from "../../handlers/shared/metrics";
import { FIXED_NOW } from "./events";

export interface MetricEntry {
  name: string;
  unit: string;
  value: number;
  /** The extra dimension of a `withDimension` sink, e.g. `{ kind: "disable" }`. */
  dimensions?: Record<string, string>;
}

export interface RecordingMetrics extends DimensionedMetrics {
  readonly entries: MetricEntry[];
  published: number;
  total(name: string): number;
  values(name: string): number[];
  /** Sum of `name` by the value of `dimension` (entries without it left out). */
  byDimension(name: string, dimension: string): Record<string, number>;
}

export function recordingMetrics(): RecordingMetrics {
  const entries: MetricEntry[] = [];
  const m: RecordingMetrics = {
    entries,
    published: 0,
    addMetric: (name, unit, value) => void entries.push({ name, unit, value }),
    publishStoredMetrics: () => void m.published++,
    withDimension: (dimension, key) => ({
      addMetric: (name, unit, value) => void entries.push({ name, unit, value, dimensions: { [dimension]: key } }),
      publishStoredMetrics: () => undefined,
    }),
    total: (name) => entries.filter((e) => e.name === name).reduce((sum, e) => sum + e.value, 0),
    values: (name) => entries.filter((e) => e.name === name).map((e) => e.value),
    byDimension: (name, dimension) => {
      const out: Record<string, number> = {};
      for (const e of entries) {
        const key = e.dimensions?.[dimension];
        if (e.name === name && key !== undefined) out[key] = (out[key] ?? 0) + e.value;
      }
      return out;
    },
  };
  return m;
}

/** DEBUG so that every log statement is exercised by the PII guard. */
export const testLogger = (): Logger => createLogger({ logLevel: "DEBUG", serviceName: "handlers-test" });

export const fixedClock = (at = FIXED_NOW) => () => at;

export function sequentialIds(prefix = "corr"): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
