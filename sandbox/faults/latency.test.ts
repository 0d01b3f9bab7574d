// Injected latency with jitter: the admin API's checks and the delay each call waits, with an
// injected random and a recording sleep (no real waiting).
import { describe, expect, it } from "vitest";
import { UNMETERED } from "../test-support";
import type { AwsRequest, AwsResponse } from "../types";
import { FaultsPlugin } from "./plugin";
import { faultSpecError, sampledDelayMs } from "./spec";

const OK: AwsResponse = { status: 200, headers: {}, body: Buffer.from("{}") };

function call(service: string, region: string, operation: string): AwsRequest {
  return { method: "POST", path: "/", query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), service, region, operation, json: {} };
}

/** A plugin whose random answers `draws` in turn and whose sleep records each delay. */
function plugin(draws: number[]) {
  const slept: number[] = [];
  const faults = new FaultsPlugin({
    cognitoQuotas: UNMETERED,
    random: () => {
      const v = draws.shift();
      if (v === undefined) throw new Error("random drawn more often than the test expects");
      return v;
    },
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  const post = (body: unknown) => faults.admin({ method: "POST", path: "/faults", query: new URLSearchParams(), body });
  return { faults, slept, post };
}

describe("fault latency with jitter", () => {
  it("samples uniformly in [latencyMs - jitter, latencyMs + jitter]", () => {
    const spec = { latencyMs: 100, latencyJitterMs: 50 };
    expect(sampledDelayMs(spec, () => 0)).toBe(50);
    expect(sampledDelayMs(spec, () => 0.5)).toBe(100);
    expect(sampledDelayMs(spec, () => 0.75)).toBe(125);
    expect(sampledDelayMs({ latencyMs: 30 }, () => 0)).toBe(30);
    expect(sampledDelayMs({}, () => 0)).toBe(0);
  });

  it("waits each call's own sample; the largest matching fault's sample wins", async () => {
    const { faults, slept, post } = plugin([0, 0.9, 1 - 1e-9, 0.1]);
    await post([
      { service: "cognito-idp", region: "us-west-2", latencyMs: 100, latencyJitterMs: 50 },
      { service: "cognito-idp", region: "us-west-2", operations: ["ListUsers"], latencyMs: 80, latencyJitterMs: 80 },
    ]);
    const next = async () => OK;
    // AdminGetUser matches the first fault only: 100 + (2*0 - 1) * 50.
    await faults.handle(call("cognito-idp", "us-west-2", "AdminGetUser"), next);
    // ListUsers matches both: samples 100 + 0.8*50 = 140 and 80 + (1 - 2e-9)*80 ~ 160: the larger.
    await faults.handle(call("cognito-idp", "us-west-2", "ListUsers"), next);
    // Another region: no fault, no draw, no wait.
    await faults.handle(call("cognito-idp", "us-east-1", "ListUsers"), next);
    expect(slept[0]).toBe(50);
    expect(slept[1]).toBeCloseTo(160, 5);
    expect(slept).toHaveLength(2);
    // Fixed latency draws nothing, so an error rate's draws are not shifted by it.
    const fixed = plugin([0.4]);
    await fixed.post({ service: "sqs", latencyMs: 20, errorRate: 0.5 });
    expect((await fixed.faults.handle(call("sqs", "us-west-2", "SendMessage"), next)).status).toBe(500);
    expect(fixed.slept).toEqual([20]);
  });

  it("refuses bad latency settings with a 400 naming the field, and adds none of the request's faults", async () => {
    const { faults, post } = plugin([]);
    const cases: [unknown, RegExp][] = [
      [{ latencyMs: -1 }, /faults\[0\]\.latencyMs must be a number >= 0/],
      [{ latencyMs: "100" }, /faults\[0\]\.latencyMs must be a number >= 0 \(got "100"\)/],
      [{ latencyMs: 100, latencyJitterMs: -5 }, /faults\[0\]\.latencyJitterMs must be a number >= 0/],
      [[{ latencyMs: 10 }, { latencyMs: 100, latencyJitterMs: 150 }], /faults\[1\]\.latencyJitterMs \(150\) must not exceed faults\[1\]\.latencyMs \(100\)/],
      [{ latencyJitterMs: 10 }, /latencyJitterMs \(10\) must not exceed faults\[0\]\.latencyMs \(0\)/],
      [{ errorRate: 2 }, /faults\[0\]\.errorRate must be a number 0\.\.1/],
    ];
    for (const [body, error] of cases) {
      const res = await post(body);
      expect(res?.status).toBe(400);
      expect((res?.body as { error: string }).error).toMatch(error);
    }
    expect(faults.listFaults()).toEqual([]);
    expect(faultSpecError({ latencyMs: 100, latencyJitterMs: 100 }, 0)).toBeUndefined();
    expect((await post({ service: "cognito-idp", latencyMs: 100, latencyJitterMs: 50 }))?.status).toBeUndefined();
    expect(faults.listFaults()).toMatchObject([{ latencyMs: 100, latencyJitterMs: 50 }]);
  });
});
