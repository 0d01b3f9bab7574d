import { afterEach, expect, it, vi } from "vitest";
import { captureOutput } from "../../test/support/pii-guard";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { addByDimension, count, createMetrics, lag, METRIC } from "./metrics";

afterEach(() => vi.unstubAllEnvs());

it("emits EMF with the namespace from the environment", () => {
  vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "CognitoDr");
  vi.stubEnv("POWERTOOLS_SERVICE_NAME", "replicate-user");
  const metrics = createMetrics();
  const capture = captureOutput();
  try {
    count(metrics, METRIC.Replicated, 2);
    lag(metrics, 1234);
    metrics.publishStoredMetrics();
  } finally {
    capture.restore();
  }
  const emf = JSON.parse(capture.lines.find((l) => l.includes("_aws"))!);
  expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
    Namespace: "CognitoDr",
    Metrics: expect.arrayContaining([
      { Name: "Replicated", Unit: "Count" },
      { Name: "ReplicationLagMs", Unit: "Milliseconds" },
    ]),
  });
  expect(emf).toMatchObject({ Replicated: 2, ReplicationLagMs: 1234, service: "replicate-user" });
});

it("addByDimension: one EMF document per dimension value, holding all its values, with the service kept", () => {
  vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "CognitoDr");
  vi.stubEnv("POWERTOOLS_SERVICE_NAME", "change-capture");
  const metrics = createMetrics();
  const capture = captureOutput();
  try {
    addByDimension(metrics, "kind", METRIC.ChangeToRecordLagMs, MetricUnit.Milliseconds, [
      ["disable", 10],
      ["attributes", 20],
      ["disable", 30],
    ]);
  } finally {
    capture.restore();
  }
  const docs = capture.lines.filter((l) => l.includes("_aws")).map((l) => JSON.parse(l));
  expect(docs).toHaveLength(2);
  expect(docs[0]).toMatchObject({ kind: "disable", service: "change-capture", ChangeToRecordLagMs: [10, 30] });
  expect(docs[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: "CognitoDr", Dimensions: [expect.arrayContaining(["kind", "service"])] });
  expect(docs[1]).toMatchObject({ kind: "attributes", ChangeToRecordLagMs: 20 });
});
