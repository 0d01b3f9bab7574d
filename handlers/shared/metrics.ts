// Metric names and the small slice of Powertools Metrics the handlers use, so tests
// can pass a recorder. Namespace and service come from POWERTOOLS_METRICS_NAMESPACE
// and POWERTOOLS_SERVICE_NAME, which the stack sets.
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

export const METRIC = {
  Replicated: "Replicated",
  Skipped: "Skipped",
  Failed: "Failed",
  Parked: "Parked",
  FallbackQueued: "FallbackQueued",
  Lost: "Lost",
  ReplicationLagMs: "ReplicationLagMs",
  Written: "Written",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void;
  publishStoredMetrics(): void;
}

export const count = (metrics: MetricsSink, name: MetricName, value = 1): void => metrics.addMetric(name, MetricUnit.Count, value);

export const lag = (metrics: MetricsSink, ms: number): void =>
  metrics.addMetric(METRIC.ReplicationLagMs, MetricUnit.Milliseconds, Math.max(0, ms));

export function createMetrics(): Metrics {
  return new Metrics();
}
