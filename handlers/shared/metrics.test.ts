import { afterEach, expect, it, vi } from "vitest";
import { captureOutput } from "../../test/support/pii-guard";
import { count, createMetrics, lag, METRIC } from "./metrics";

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
