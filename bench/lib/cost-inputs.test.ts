import type { FunctionStats, LambdaStats } from "@cognito-dr/sandbox";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCENARIO, functionDeltas, gatherCostInputs, itemSizeBytes, sampleDirectoryItemBytes, sampleRecordBytes } from "./cost-inputs";

const fn = (name: string, region: string, n: Partial<FunctionStats>): FunctionStats => ({
  region,
  name,
  arn: `arn:aws:lambda:${region}:123456789012:function:${name}`,
  handler: "index.handler",
  runtime: "nodejs22.x",
  codeSha256: "x",
  warm: 0,
  busy: 0,
  invocations: 0,
  errors: 0,
  timeouts: 0,
  coldStarts: 0,
  queued: 0,
  memoryMb: 256,
  durationMs: 0,
  billedMs: 0,
  logBytes: 0,
  ...n,
});
const stats = (functions: FunctionStats[]): LambdaStats => ({ functions, mappings: [] });

describe("functionDeltas", () => {
  it("is what each function did between two snapshots, leaving out functions that did nothing", () => {
    const before = stats([fn("cdr-local-replicate-user", "us-west-2", { invocations: 10, durationMs: 1000, billedMs: 1010, logBytes: 5000 }), fn("cdr-local-pre-token", "us-east-1", { invocations: 3 })]);
    const after = stats([
      fn("cdr-local-replicate-user", "us-west-2", { invocations: 14, durationMs: 1400.5, billedMs: 1415, logBytes: 7000 }),
      fn("cdr-local-pre-token", "us-east-1", { invocations: 3 }),
      fn("cdr-local-post-confirmation", "us-east-1", { invocations: 2, durationMs: 80, billedMs: 81, logBytes: 900, memoryMb: 512 }),
    ]);
    expect(functionDeltas(before, after)).toEqual({
      "cdr-local-replicate-user": { region: "us-west-2", invocations: 4, durationMs: 400.5, billedMs: 405, logBytes: 2000, memoryMb: 256 },
      "cdr-local-post-confirmation": { region: "us-east-1", invocations: 2, durationMs: 80, billedMs: 81, logBytes: 900, memoryMb: 512 },
    });
  });

  it("takes a restarted function's counters whole", () => {
    const before = stats([fn("f", "us-east-1", { invocations: 50, durationMs: 5000, billedMs: 5050, logBytes: 9000 })]);
    const after = stats([fn("f", "us-east-1", { invocations: 3, durationMs: 30, billedMs: 31, logBytes: 300 })]);
    expect(functionDeltas(before, after).f).toMatchObject({ invocations: 3, billedMs: 31, logBytes: 300 });
  });
});

describe("item sizes", () => {
  it("counts names and values as DynamoDB does", () => {
    // "a"(1)+"xyz"(3) + "bb"(2)+ number 12345 (3 digits pairs -> 3+1) + "c"(1)+bool(1)
    expect(itemSizeBytes({ a: { S: "xyz" }, bb: { N: "12345" }, c: { BOOL: true } })).toBe(4 + 2 + 4 + 2);
    expect(itemSizeBytes({ l: { L: [{ S: "ab" }] }, m: { M: { k: { S: "v" } } } })).toBe(1 + (3 + 1 + 2) + 1 + (3 + 1 + 1 + 1));
  });

  it("sizes a full record and a directory item under 1 KB (one write unit each)", () => {
    const record = sampleRecordBytes();
    expect(record).toBeGreaterThan(200);
    expect(record).toBeLessThan(1024);
    expect(sampleDirectoryItemBytes()).toBeGreaterThan(80);
    expect(sampleDirectoryItemBytes()).toBeLessThan(300);
  });
});

describe("gatherCostInputs", () => {
  it("takes each function's profile from the first stage that ran it, and says which", () => {
    const measured = {
      replicator: { "cdr-local-replicate-user": { region: "us-west-2", invocations: 100, durationMs: 9000, billedMs: 9050, logBytes: 200_000, memoryMb: 256 } },
      lag: { "cdr-local-replicate-user": { region: "us-west-2", invocations: 20, durationMs: 1990, billedMs: 2000, logBytes: 30_000, memoryMb: 256 } },
      captureLag: { "cdr-local-change-capture": { region: "us-east-1", invocations: 4, durationMs: 600, billedMs: 602, logBytes: 6000, memoryMb: 256 } },
    };
    const { inputs, sources } = gatherCostInputs(DEFAULT_SCENARIO, measured, "this run");
    // lag comes before the bulk replicator stage.
    expect(inputs.functions.replicator).toEqual({ avgDurationMs: 100, memoryMb: 256, logBytesPerInvocation: 1500 });
    expect(sources["functions.replicator"]).toMatch(/^measured: 20 invocations of us-west-2's replicate-user in the lag stage \(this run\)/);
    expect(inputs.functions.changeCapture.avgDurationMs).toBe(150.5);
    expect(sources["functions.postConfirmation"]).toMatch(/^assumed \(no stage of this run invoked post-confirmation\)/);
    // prod's schedule and settings.
    expect(inputs.reconcile).toMatchObject({ passesPerMonth: 30, ticksPerMonth: 2880, budgetSeconds: 840, quotaShare: 0.25, userListPerSecond: 30 });
    expect([inputs.users, inputs.monthlyChurn, inputs.changesPerUserPerMonth, inputs.recordTtlDays, inputs.logRetentionDays]).toEqual([2_000_000, 0.05, 1, 30, 90]);
    // Every input has a source.
    for (const key of Object.keys(inputs).filter((k) => k !== "functions")) expect(sources[key], key).toBeTruthy();
    expect(gatherCostInputs(DEFAULT_SCENARIO, undefined, "no run").sources["functions.preToken"]).toBe("assumed (nothing measured: no run): see ASSUMED in bench/lib/cost-inputs.ts");
  });
});
