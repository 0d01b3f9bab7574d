// Test doubles: a metrics recorder, a debug-level redacting logger, fixed clocks.
import type { Logger } from "@aws-lambda-powertools/logger";
import { createLogger } from "../../handlers/shared/logger";
import type { MetricsSink } from "../../handlers/shared/metrics";
import { FIXED_NOW } from "./events";

export interface RecordingMetrics extends MetricsSink {
  readonly entries: { name: string; unit: string; value: number }[];
  published: number;
  total(name: string): number;
  values(name: string): number[];
}

export function recordingMetrics(): RecordingMetrics {
  const entries: { name: string; unit: string; value: number }[] = [];
  const m: RecordingMetrics = {
    entries,
    published: 0,
    addMetric: (name, unit, value) => void entries.push({ name, unit, value }),
    publishStoredMetrics: () => void m.published++,
    total: (name) => entries.filter((e) => e.name === name).reduce((sum, e) => sum + e.value, 0),
    values: (name) => entries.filter((e) => e.name === name).map((e) => e.value),
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
