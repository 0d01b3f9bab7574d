import { describe, expect, it } from "vitest";
import { costTable, estimateCost, readUnits, writeUnits, type CostInputs } from "./cost";
import { PRICES } from "./prices";

const profile = { avgDurationMs: 100, memoryMb: 1024, logBytesPerInvocation: 1000 };

/** Small enough to work out by hand (see the first test). */
function example(over: Partial<CostInputs> = {}): CostInputs {
  return {
    users: 1000,
    monthlyChurn: 0.1,
    changesPerUserPerMonth: 0,
    mauShare: 0.5,
    signInsPerMauPerMonth: 2,
    tokensPerMauPerMonth: 4,
    functions: { postConfirmation: profile, changeCapture: profile, replicator: profile, preToken: profile },
    reconcile: { passesPerMonth: 10, ticksPerMonth: 10, budgetSeconds: 840, idleTickMs: 300, quotaShare: 0.5, userListPerSecond: 30, usersPerPage: 60, memoryMb: 1024, logBytesPerPass: 0 },
    recordItemBytes: 500,
    directoryItemBytes: 200,
    recordTtlDays: 30,
    captureEventsPerInvocation: 1,
    replicatorRecordsPerInvocation: 1,
    idleReceivesPerQueueMonth: 0,
    lambdaPolledQueues: 0,
    kmsCallers: 0,
    kmsCallsPerCallerMonth: 0,
    kmsKeys: 0,
    customMetrics: 0,
    alarms: 0,
    logRetentionDays: 0,
    trailIsFirstCopy: true,
    ...over,
  };
}

const line = (e: ReturnType<typeof estimateCost>, startsWith: string) => {
  const l = e.lines.find((x) => x.item.startsWith(startsWith));
  if (!l) throw new Error(`no line "${startsWith}"`);
  return l;
};

describe("estimateCost", () => {
  it("adds up a worked example", () => {
    const e = estimateCost(example());
    // 100 sign-ups and 100 deletions, no changes, 500 MAU signing in twice: 2*100 + 100 + 1000 captured events.
    expect(e.volumes).toMatchObject({ signUps: 100, deletions: 100, changes: 0, maus: 500, capturedEvents: 1300, recordWrites: 200, expiries: 200 });
    expect(line(e, "Lambda requests: post-confirmation").quantity).toBe(100);
    expect(line(e, "Lambda requests: change-capture").quantity).toBe(1300);
    // 200 records plus one invocation per new user's directory pair.
    expect(line(e, "Lambda requests: replicate-user").quantity).toBe(300);
    expect(line(e, "Lambda requests: pre-token").quantity).toBe(2000);
    // 100 ms at 1 GB: 0.1 GB-s an invocation.
    expect(line(e, "Lambda compute: replicate-user").quantity).toBeCloseTo(30, 9);
    // 1000 users / (30/s * 0.5 * 60 a page) = 1.11 s a pass, 10 passes at 1 GB.
    expect(line(e, "Lambda compute: reconcile").quantity).toBeCloseTo(100 / 9, 9);
    // Writes in both regions: 200 records + 200 directory puts + 100 directory deletes, 1 unit each.
    expect(line(e, "DynamoDB replicated writes").quantity).toBe(1000);
    expect(line(e, "DynamoDB replicated TTL deletes").quantity).toBe(200);
    // Capture: sign-up 1, deletion 2 reads; replicator: 1 per record.
    expect(line(e, "DynamoDB strongly consistent reads").quantity).toBe(500);
    // Send per event, receive and delete per one-message batch.
    expect(line(e, "SQS requests").quantity).toBe(3900);
    expect(line(e, "CloudTrail").monthlyUsd).toBe(0);
    expect(line(e, "CloudWatch Logs ingestion").quantity).toBeCloseTo((3700 * 1000) / 1024 ** 3, 12);
    // DR MAU: the 100 created and the 100 deleted (no changes).
    expect(e.drPoolMaus).toBe(200);
    expect(line(e, "DR pool MAU").monthlyUsd).toBeCloseTo(200 * PRICES.cognitoEssentialsMau.usd, 9);
    expect(line(e, "DynamoDB replicated writes").monthlyUsd).toBeCloseTo(1000 * 0.625e-6, 12);
    expect(e.totalUsd).toBeCloseTo(
      e.lines.reduce((s, l) => s + l.quantity * l.unitPriceUsd, 0),
      12,
    );
    expect(e.native).toEqual({ maus: 500, unitPriceUsd: 0.0045, monthlyUsd: 500 * 0.0045 });
    expect(e.warnings).toEqual([]);
  });

  it("charges a second copy of management events when another trail already logs them", () => {
    const e = estimateCost(example({ trailIsFirstCopy: false }));
    expect(line(e, "CloudTrail").monthlyUsd).toBeCloseTo(1300 * (2 / 1e5), 9);
  });

  it("grows with users and with the change rate", () => {
    const base = example({ changesPerUserPerMonth: 0.5 });
    const a = estimateCost(base).totalUsd;
    expect(estimateCost({ ...base, users: 2000 }).totalUsd).toBeGreaterThan(a);
    expect(estimateCost({ ...base, changesPerUserPerMonth: 1 }).totalUsd).toBeGreaterThan(a);
    expect(estimateCost({ ...base, monthlyChurn: 0.2 }).totalUsd).toBeGreaterThan(a);
  });

  it("counts item sizes in DynamoDB's units", () => {
    expect([writeUnits(1), writeUnits(1024), writeUnits(1025), readUnits(4096), readUnits(4097)]).toEqual([1, 1, 2, 1, 2]);
    const e = estimateCost(example({ recordItemBytes: 1500 }));
    expect(line(e, "DynamoDB replicated writes").quantity).toBe(2 * (200 * 2 + 300));
  });

  it("bills a pass longer than one invocation whole (it is carried across ticks), and the idle ticks", () => {
    const reconcile = { ...example().reconcile, quotaShare: 0.25, ticksPerMonth: 2880 };
    const e = estimateCost(example({ users: 2_000_000, reconcile }));
    expect(e.volumes.reconcilePassSeconds).toBeCloseTo(2_000_000 / 450, 6);
    expect(e.warnings).toEqual([]);
    // 10 passes of 4,444 s (6 invocations each at 840 s) and 2,820 idle ticks of 0.3 s, at 1 GB.
    expect(line(e, "Lambda compute: reconcile").quantity).toBeCloseTo(10 * (2_000_000 / 450) + 2820 * 0.3, 6);
    expect(line(e, "Lambda requests: reconcile").quantity).toBe(2880);
  });

  it("warns when the ticks cannot carry the passes", () => {
    const e = estimateCost(example({ users: 2_000_000, reconcile: { ...example().reconcile, quotaShare: 0.25, ticksPerMonth: 30 } }));
    expect(e.warnings.join()).toMatch(/reconcile passes need 60 invocations a month .* more than the schedule's 30 ticks/);
  });

  it("refuses bad inputs with an error naming the input", () => {
    expect(() => estimateCost(example({ users: Number.NaN }))).toThrow(/cost input users must be a finite number/);
    expect(() => estimateCost(example({ changesPerUserPerMonth: -1 }))).toThrow(/changesPerUserPerMonth must be zero or more/);
    expect(() => estimateCost(example({ mauShare: 1.5 }))).toThrow(/mauShare must be at most 1/);
    expect(() => estimateCost(example({ users: 10.5 }))).toThrow(/users must be a whole number/);
    const { replicator: _, ...noReplicator } = example().functions;
    expect(() => estimateCost(example({ functions: noReplicator as CostInputs["functions"] }))).toThrow(/functions.replicator is missing/);
    expect(() => estimateCost(example({ functions: { ...example().functions, preToken: { ...profile, memoryMb: 0 } } }))).toThrow(/functions.preToken.memoryMb must be positive/);
    expect(() => estimateCost(example({ reconcile: { ...example().reconcile, quotaShare: Number.POSITIVE_INFINITY } }))).toThrow(/reconcile.quotaShare/);
    expect(() => estimateCost(example({ trailIsFirstCopy: "yes" as unknown as boolean }))).toThrow(/trailIsFirstCopy/);
  });

  it("renders a table with the total and native's add-on", () => {
    const t = costTable(estimateCost(example()));
    expect(t).toMatch(/\| \*\*total, custom path\*\*/);
    // The same total less the DR pool's 200 MAU.
    const e = estimateCost(example());
    expect(t).toContain(`| subtotal without the DR pool's MAU (AWS resources only) | | | ${(e.totalUsd - 200 * 0.015).toFixed(4)} |`);
    expect(t).toMatch(/native replication add-on \(500 MAU x 1 replica region\) \| \| 0.0045 \| \*\*2.25\*\*/);
  });
});

describe("PRICES", () => {
  it("dates and sources every price", () => {
    for (const [name, p] of Object.entries(PRICES)) {
      expect(p.read, name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.source.length, name).toBeGreaterThan(10);
      expect(p.usd, name).toBeGreaterThanOrEqual(0);
    }
  });
});
