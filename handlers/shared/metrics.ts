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
  /** Primary change (CloudTrail eventTime, else the record's version) -> DR user made to match; dimension `kind`. */
  ChangeToDrLagMs: "ChangeToDrLagMs",
  /** Tombstones applied in DR; dimension `action` (deleted, disabled, unchanged). */
  TombstonesApplied: "TombstonesApplied",
  /** change-capture: events accepted, dimension `kind`. */
  CaptureEvents: "CaptureEvents",
  /** change-capture: events dropped, dimension `reason`. */
  CaptureDropped: "CaptureDropped",
  /** change-capture: AdminGetUser + AdminListGroupsForUser (+ ListUsers) for one user. */
  CaptureReReadMs: "CaptureReReadMs",
  /** change-capture: CloudTrail eventTime -> record written; dimension `kind`. */
  ChangeToRecordLagMs: "ChangeToRecordLagMs",
  /** change-capture: records written (users), tombstones among them, and writes a newer version had already superseded. */
  CaptureWritten: "CaptureWritten",
  CaptureTombstones: "CaptureTombstones",
  CaptureSuperseded: "CaptureSuperseded",
  /** change-capture: users re-read whose record in the table already said the same (nothing written). */
  CaptureUnchanged: "CaptureUnchanged",
  /** change-capture: users whose re-read or write failed (their messages are retried by SQS): the alarm's metric. */
  CaptureFailed: "CaptureFailed",
  /** pre-sign-up: self sign-ups refused (the DR pool is closed to them); not an alarm, people try. */
  SignUpsRefused: "SignUpsRefused",
  /** pre-sign-up: the failover state could not be read, so a sign-up was refused that may have been allowed: the alarm's metric. */
  FailoverStateUnreadable: "FailoverStateUnreadable",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricsSink {
  addMetric(name: string, unit: Unit, value: number): void;
  publishStoredMetrics(): void;
}

/** A sink that can also publish metrics under one more dimension (their own EMF document). */
export interface DimensionedMetrics extends MetricsSink {
  withDimension(name: string, value: string): MetricsSink;
}

export const count = (metrics: MetricsSink, name: MetricName, value = 1): void => metrics.addMetric(name, MetricUnit.Count, value);

export const lag = (metrics: MetricsSink, ms: number): void =>
  metrics.addMetric(METRIC.ReplicationLagMs, MetricUnit.Milliseconds, Math.max(0, ms));

/**
 * `values` ([dimension value, metric value] pairs) of one metric, one EMF document per distinct
 * dimension value (all its values in it), so a batch costs a line per kind, not per event.
 */
export function addByDimension(metrics: DimensionedMetrics, dimension: string, name: MetricName | `Reconcile${string}`, unit: Unit, values: ReadonlyArray<readonly [string, number]>): void {
  const byValue = new Map<string, number[]>();
  for (const [key, value] of values) byValue.set(key, [...(byValue.get(key) ?? []), value]);
  for (const [key, list] of byValue) {
    const child = metrics.withDimension(dimension, key);
    for (const v of list) child.addMetric(name, unit, v);
    child.publishStoredMetrics();
  }
}

/** Powertools Metrics whose `withDimension` makes a sibling with the same namespace and service. */
export class AppMetrics extends Metrics implements DimensionedMetrics {
  withDimension(name: string, value: string): MetricsSink {
    return new Metrics({ defaultDimensions: { [name]: value } });
  }
}

export function createMetrics(): AppMetrics {
  return new AppMetrics();
}
