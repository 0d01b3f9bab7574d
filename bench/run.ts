// `npm run bench` (full) / `npm run bench -- --quick`: every benchmark, a table on
// stdout, and bench/results/latest.json (schema: issue 8; extra fields allowed).
//
//   --quick          replicator 500 users at 50/s (2,500 at the raised 250/s), lag 60 samples, change capture 10 users
//                    a kind, backfill/reconcile 4,000 users
//                    (sized to stay under 10 minutes on 2 CPUs: the backfill alone is users ÷ 50/s)
//   --only a,b       run only these: bundles, synth, lag, capture, replicator, backfill, reconcile, cost
//                    (cost prices the functions measured by this run's sandbox stages, else those of
//                    the output file's earlier run; alone it needs no sandbox: `--only cost --merge`
//                    keeps that run's other results in the file)
//   --out <file>     write here instead of bench/results/latest.json
//   --merge          keep the other benchmarks' fields already in the output file (with --only);
//                    run.merged lists which fields came from an earlier run
//   --replicator-users <n>, --replicator-raised-users <n>, --lag-samples <n>, --ops-users <n>, --capture-users <n>
//                    override the sizes (full: replicator 5,000 at 50/s and 10,000 at 250/s, lag 1,000,
//                    capture 100 a kind, backfill/reconcile 100,000)
//   --delivery-delay <ms>  the "realistic" CloudTrail -> EventBridge delay for capture (default 2000)
//   --fault-rate <0..1>   injected DR Cognito error rate for the replicator (default 0.05, the issue's)
//   --replicator-quotas <a>,<b>   the two DR UserCreation quotas the replicator runs at (default 50,250)
//   --cost-users <n>, --cost-churn <0..1>, --cost-changes <per user/month>, --cost-mau-share <0..1>
//                    the cost scenario (default 2,000,000 users, 0.05, 1, 1)
//
// Order: bundles and synth first (no sandbox running), then one sandbox with the real
// `local` stacks deployed once for lag, replicator, backfill and reconcile (see
// bench/lib/world.ts for what "fresh" means between them). The operator benchmarks'
// scratch pools are seeded while the stacks deploy, and finish before any measurement.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { findMoto } from "@cognito-dr/sandbox";
import { findTerraform } from "../scripts/lib/tools";
import { benchBundles, type BundlesBench } from "./lib/bundles";
import { benchBackfill, benchReconcile, seedPools, type BackfillResult, type ReconcileBenchResult } from "./lib/operator";
import { benchCaptureLag, CHANGE_KINDS, type CaptureLagResult } from "./lib/capture";
import { functionDeltas, type StageFunctionStats } from "./lib/cost-inputs";
import { benchCost, earlierMeasurements, type CostResult } from "./lib/cost-stage";
import { benchLag, benchReplicator, type LagResult, type ReplicatorResult } from "./lib/replication";
import { formatTable, round } from "./lib/stats";
import { benchSynth, type SynthResult } from "./lib/synth";
import { environment } from "../stacks/environments";
import { deployBenchWorld, startBenchSandbox, stopBenchSandbox, type BenchWorld } from "./lib/world";

const BENCHES = ["bundles", "synth", "lag", "capture", "replicator", "backfill", "reconcile", "cost"] as const;
type BenchName = (typeof BENCHES)[number];

const SIZES = {
  quick: { replicatorUsers: 500, replicatorRaisedUsers: 2_500, lagSamples: 60, captureUsers: 10, opsUsers: 4_000, bundleRuns: 7, synthRuns: 2 },
  full: { replicatorUsers: 5_000, replicatorRaisedUsers: 10_000, lagSamples: 1_000, captureUsers: 100, opsUsers: 100_000, bundleRuns: 15, synthRuns: 3 },
};

/** DR UserCreation quotas the replicator is measured at: AWS's default and a raised one (requests/s). */
const REPLICATOR_QUOTAS = { default: 50, raised: 250 } as const;
/** Injected on every DR Cognito call in the replicator stages: AdminCreateUser's latency on AWS is ~100 ms (README). */
const AWS_LIKE_LATENCY = { medianMs: 100, jitterMs: 50 };

/** `--replicator-quotas <default>,<raised>`: other UserCreation quotas (e.g. below what the sandbox itself sustains). */
function parseReplicatorQuotas(raw: string | undefined): { default: number; raised: number } {
  if (raw === undefined) return REPLICATOR_QUOTAS;
  const [a, b] = raw.split(",").map(Number);
  if (!(a! > 0 && b! > 0)) throw new Error(`--replicator-quotas must be two positive numbers of requests/s, e.g. 50,250 (got "${raw}")`);
  return { default: a!, raised: b! };
}

const TARGETS = {
  replicatorRatio: 0.95,
  replicatorRaisedRatio: 0.9,
  replicatorThrottledShare: 0.02,
  lagP99Ms: 500,
  backfillRatio: 0.95,
  reconcileRatio: 0.9,
  bundleBytes: 250 * 1024,
  bundleInitMs: 60,
  synthWallMs: 3000,
  synthRssMb: 300,
};

interface Results {
  machine: { cpus: number; node: string; cpuModel?: string; memoryGb: number; platform: string; loadAverageStart: number[]; loadAverageEnd?: number[] };
  run: { mode: "quick" | "full"; startedAt: string; sizes: (typeof SIZES)["quick"]; wallSeconds?: number; deploySeconds?: number; seedSeconds?: number; only?: string[]; errors: string[]; merged?: { fields: string[]; from?: string; earlierMachine?: unknown } };
  replicator?: ReplicatorResult;
  replicatorRaised?: ReplicatorResult;
  lag?: LagResult;
  lagRealistic?: LagResult;
  /** Change-to-DR lag per kind through change capture: delivery delay 0, and a realistic one. */
  captureLag?: CaptureLagResult;
  captureLagRealistic?: CaptureLagResult;
  backfill?: BackfillResult;
  reconcile?: ReconcileBenchResult;
  bundles?: BundlesBench["bundles"];
  bundlesSdkExternal?: BundlesBench["bundlesSdkExternal"];
  synth?: SynthResult;
  /** What each deployed function did during each sandbox stage (sandbox Lambda runtime): the cost model's measured inputs. */
  functions?: StageFunctionStats;
  /** Monthly cost estimate (issue 24) with every input and its source, next to native replication's add-on. */
  cost?: CostResult;
  targets: typeof TARGETS;
  loadAverage: Record<string, number[]>;
}

const log = (s: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string" },
      merge: { type: "boolean", default: false },
      "replicator-users": { type: "string" },
      "replicator-raised-users": { type: "string" },
      "lag-samples": { type: "string" },
      "ops-users": { type: "string" },
      "capture-users": { type: "string" },
      "delivery-delay": { type: "string" },
      "fault-rate": { type: "string" },
      "replicator-quotas": { type: "string" },
      "cost-users": { type: "string" },
      "cost-churn": { type: "string" },
      "cost-changes": { type: "string" },
      "cost-mau-share": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log("Usage: npm run bench [-- --quick] [-- --only bundles,synth,lag,capture,replicator,backfill,reconcile,cost] [-- --out file]");
    return 0;
  }
  const only = values.only?.split(",").map((s) => s.trim()) as BenchName[] | undefined;
  for (const o of only ?? []) if (!BENCHES.includes(o)) throw new Error(`unknown benchmark "${o}" (${BENCHES.join(", ")})`);
  const want = (b: BenchName) => !only || only.includes(b);
  const mode = values.quick ? "quick" : "full";
  const size = { ...SIZES[mode] };
  const sizeFlag = (
    name: "replicator-users" | "replicator-raised-users" | "lag-samples" | "ops-users" | "capture-users",
    key: "replicatorUsers" | "replicatorRaisedUsers" | "lagSamples" | "opsUsers" | "captureUsers",
  ) => {
    const v = values[name];
    if (v === undefined) return;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got "${v}")`);
    size[key] = n;
  };
  sizeFlag("replicator-users", "replicatorUsers");
  sizeFlag("replicator-raised-users", "replicatorRaisedUsers");
  sizeFlag("lag-samples", "lagSamples");
  sizeFlag("ops-users", "opsUsers");
  sizeFlag("capture-users", "captureUsers");
  // AWS documents no delivery time for CloudTrail events on EventBridge: 2 s is the sandbox's
  // default (README "Change capture" says why), overridable to test a slower assumption.
  const deliveryDelayMs = values["delivery-delay"] === undefined ? 2000 : Number(values["delivery-delay"]);
  if (!(Number.isInteger(deliveryDelayMs) && deliveryDelayMs >= 0)) throw new Error(`--delivery-delay must be a whole number of ms (got "${values["delivery-delay"]}")`);
  const faultRate = values["fault-rate"] === undefined ? 0.05 : Number(values["fault-rate"]);
  if (!(faultRate >= 0 && faultRate <= 1)) throw new Error(`--fault-rate must be between 0 and 1 (got "${values["fault-rate"]}")`);
  const replicatorQuotas = parseReplicatorQuotas(values["replicator-quotas"]);
  const costNumber = (name: "cost-users" | "cost-churn" | "cost-changes" | "cost-mau-share", ok: (n: number) => boolean, what: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!ok(n)) throw new Error(`--${name} must be ${what} (got "${v}")`);
    return n;
  };
  const costScenario = {
    users: costNumber("cost-users", (n) => Number.isInteger(n) && n > 0, "a positive whole number"),
    monthlyChurn: costNumber("cost-churn", (n) => n >= 0 && n <= 1, "between 0 and 1"),
    changesPerUserPerMonth: costNumber("cost-changes", (n) => n >= 0 && Number.isFinite(n), "a number of changes per user per month, 0 or more"),
    mauShare: costNumber("cost-mau-share", (n) => n >= 0 && n <= 1, "between 0 and 1"),
  };
  const out = resolve(values.out ?? resolve(__dirname, "results", "latest.json"));
  const started = Date.now();
  const la = () => loadavg().map((x) => round(x, 2));

  const results: Results = {
    machine: { cpus: cpus().length, node: process.version, cpuModel: cpus()[0]?.model, memoryGb: round(totalmem() / 2 ** 30, 1), platform: `${process.platform}-${process.arch}`, loadAverageStart: la() },
    run: { mode, startedAt: new Date(started).toISOString(), only, sizes: size, errors: [] },
    targets: TARGETS,
    loadAverage: { start: la() },
  };
  log(`${mode} run on ${results.machine.cpus} CPUs, node ${process.version}, load average ${results.machine.loadAverageStart.join(" ")}`);

  const stage = async (name: string, fn: () => Promise<void> | void) => {
    const t = Date.now();
    try {
      await fn();
      log(`${name} done in ${round((Date.now() - t) / 1000, 1)} s`);
    } catch (err) {
      const msg = `${name}: ${(err as Error).message}`;
      results.run.errors.push(msg);
      log(`FAILED ${msg}`);
    }
    results.loadAverage[name] = la();
  };

  if (want("bundles")) {
    await stage("bundles", () => {
      const b = benchBundles({ runs: size.bundleRuns, log });
      results.bundles = b.bundles;
      results.bundlesSdkExternal = b.bundlesSdkExternal;
      if (b.errors) throw new Error(b.errors.join("; "));
    });
  }
  if (want("synth")) await stage("synth", () => void (results.synth = benchSynth({ runs: size.synthRuns, log })));

  const needWorld = (["lag", "capture", "replicator", "backfill", "reconcile"] as const).some(want);
  if (needWorld) {
    const missing = [findTerraform() ? "" : "terraform", findMoto() ? "" : "moto_server"].filter(Boolean);
    if (missing.length > 0) {
      results.run.errors.push(`sandbox benchmarks need ${missing.join(" and ")}`);
    } else {
      const box = await startBenchSandbox();
      try {
        // Seeding the operator benchmarks' scratch pools needs only moto: it overlaps the deploy.
        const env = environment("local", { ...process.env, SANDBOX_ENDPOINT: box.sandbox.endpoint });
        const seeding =
          want("backfill") || want("reconcile")
            ? seedPools({ motoEndpoint: box.sandbox.motoEndpoint, primaryRegion: env.primaryRegion, drRegion: env.drRegion }, size.opsUsers, log).then(
                (s) => {
                  log(`seeded ${s.users} users in each scratch pool in ${s.seedSeconds} s`);
                  return s;
                },
                (err: unknown) => {
                  results.run.errors.push(`seed: ${(err as Error).message}`);
                  return undefined;
                },
              )
            : Promise.resolve(undefined);
        let world: BenchWorld | undefined;
        await stage("deploy", async () => {
          world = await deployBenchWorld(box, log);
          results.run.deploySeconds = round(world.deploySeconds, 1);
        });
        if (world) {
          const w = world;
          // The functions' counters before and after a stage: what each did during it (cost inputs).
          const measuredStage = async (name: string, fn: () => Promise<void>) => {
            const before = await w.sandbox.admin.lambdaStats().catch(() => undefined);
            await stage(name, fn);
            const after = await w.sandbox.admin.lambdaStats().catch(() => undefined);
            if (after) (results.functions ??= {})[name] = functionDeltas(before, after);
          };
          // Seeding is heavy moto work: let it overlap the deploy only, never a measurement.
          if (want("lag") || want("capture") || want("replicator")) {
            const waitFrom = Date.now();
            await seeding;
            if (Date.now() - waitFrom > 1000) log(`waited ${round((Date.now() - waitFrom) / 1000, 0)} s for seeding to finish before measuring`);
          }
          if (want("lag")) {
            await measuredStage("lag", async () => {
              results.lag = await benchLag(w, { samples: size.lagSamples, replicationDelayMs: 0, concurrency: 4, timeoutMs: 30_000, log });
            });
            await measuredStage("lagRealistic", async () => {
              results.lagRealistic = await benchLag(w, { samples: size.lagSamples, replicationDelayMs: 1000, concurrency: 4, timeoutMs: 30_000, log });
            });
          }
          if (want("capture")) {
            const capture = (deliveryDelayMs: number) =>
              benchCaptureLag(w, { usersPerKind: size.captureUsers, deliveryDelayMs, replicationDelayMs: 0, concurrency: 4, timeoutMs: 60_000, log });
            await measuredStage("captureLag", async () => void (results.captureLag = await capture(0)));
            await measuredStage("captureLagRealistic", async () => void (results.captureLagRealistic = await capture(deliveryDelayMs)));
          }
          if (want("replicator")) {
            // At the AWS default quota and at a raised one. The raised run has its own size: at 5× the
            // users it would take minutes more here, where the sandbox (not the quota) sets its pace.
            const replicator = (quotaPerSec: number, users: number) =>
              benchReplicator(w, { users, faultRate, quotaPerSec, quotaShare: 1, latency: AWS_LIKE_LATENCY, timeoutMs: Math.max(300_000, users * 100), log });
            await measuredStage("replicator", async () => void (results.replicator = await replicator(replicatorQuotas.default, size.replicatorUsers)));
            await measuredStage("replicatorRaised", async () => void (results.replicatorRaised = await replicator(replicatorQuotas.raised, size.replicatorRaisedUsers)));
          }
          const seeded = await seeding;
          if (seeded) {
            results.run.seedSeconds = seeded.seedSeconds;
            if (want("backfill")) await stage("backfill", async () => void (results.backfill = await benchBackfill(w, seeded, log)));
            if (want("reconcile")) await stage("reconcile", async () => void (results.reconcile = await benchReconcile(w, seeded, log)));
          }
        } else {
          await seeding;
        }
      } finally {
        await stopBenchSandbox(box);
      }
    }
  }

  if (want("cost")) {
    await stage("cost", () => {
      const here = results.functions && Object.keys(results.functions).length > 0;
      const earlier = here ? undefined : earlierMeasurements(out);
      results.cost = benchCost({
        scenario: Object.fromEntries(Object.entries(costScenario).filter(([, v]) => v !== undefined)),
        measured: here ? results.functions : earlier?.measured,
        measuredIn: here ? "this run" : (earlier?.from ?? "no run (nothing measured on disk)"),
      });
      for (const w of results.cost.estimate.warnings) log(`cost: ${w}`);
    });
  }

  results.machine.loadAverageEnd = la();
  results.run.wallSeconds = round((Date.now() - started) / 1000, 1);
  mkdirSync(dirname(out), { recursive: true });
  if (values.merge && existsSync(out)) {
    const earlier = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    const merged: string[] = [];
    for (const key of ["replicator", "replicatorRaised", "lag", "lagRealistic", "captureLag", "captureLagRealistic", "backfill", "reconcile", "bundles", "bundlesSdkExternal", "synth", "functions", "cost"] as const) {
      if (results[key] === undefined && earlier[key] !== undefined) {
        (results as unknown as Record<string, unknown>)[key] = earlier[key];
        merged.push(key);
      }
    }
    results.run.merged = { fields: merged, from: (earlier.run as { startedAt?: string } | undefined)?.startedAt, earlierMachine: earlier.machine };
  }
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(summary(results));
  console.log(`\nwrote ${out} (${results.run.wallSeconds} s)`);
  if (results.run.errors.length > 0) {
    console.log(`errors:\n  ${results.run.errors.join("\n  ")}`);
    return 1;
  }
  return 0;
}

const mark = (ok: boolean) => (ok ? "ok" : "MISSED");

export function summary(r: Results): string {
  const rows: Array<Array<string | number>> = [["benchmark", "measured", "target", ""]];
  for (const [x, target] of [[r.replicator, TARGETS.replicatorRatio], [r.replicatorRaised, TARGETS.replicatorRaisedRatio]] as const) {
    if (!x) continue;
    rows.push([
      `replicator at ${x.quotaPerSec ?? x.quotaBoundPerSec}/s (${x.users} users, ${x.injectedFaultRate * 100}% faults${x.latency ? `, ${x.latency.medianMs}±${x.latency.jitterMs} ms` : ""})`,
      `${x.achievedPerSec}/s of ${x.faultAdjustedBoundPerSec}/s = ${x.ratio} (end to end ${x.endToEndRatio}); lost ${x.lost}, dup ${x.duplicates}, parked ${x.parked}, throttled ${round((x.throttledShare ?? 0) * 100, 2)}% of calls`,
      `>= ${target}, 0 lost/dup, throttled <= ${TARGETS.replicatorThrottledShare * 100}%`,
      mark(x.ratio >= target && x.lost === 0 && x.duplicates === 0 && (x.throttledShare ?? 0) <= TARGETS.replicatorThrottledShare),
    ]);
  }
  for (const [label, x] of [["lag", r.lag], ["lag (realistic)", r.lagRealistic]] as const) {
    if (!x) continue;
    rows.push([
      `${label} (${x.samples} samples, delay ${x.replicationDelayMs} ms)`,
      `p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms${x.missing ? `, ${x.missing} missing` : ""}`,
      label === "lag" ? `p99 < ${TARGETS.lagP99Ms} ms` : "(shown)",
      label === "lag" ? mark(x.p99Ms < TARGETS.lagP99Ms && x.missing === 0) : "",
    ]);
  }
  for (const x of [r.captureLag, r.captureLagRealistic]) {
    if (!x) continue;
    for (const kind of CHANGE_KINDS) {
      const k = x.kinds[kind];
      rows.push([
        `change-to-DR ${kind} (${k.samples} changes, delivery ${x.deliveryDelayMs} ms)`,
        `p50 ${k.p50Ms} ms, p99 ${k.p99Ms} ms${k.missing ? `, ${k.missing} missing` : ""}`,
        "0 missing",
        mark(k.missing === 0),
      ]);
    }
  }
  if (r.backfill) {
    const x = r.backfill;
    rows.push([`backfill (${x.users} users)`, `${x.achievedPerSec}/s of ${x.boundPerSec}/s = ${x.ratio}; lost ${x.lost}`, `>= ${TARGETS.backfillRatio}`, mark(x.ratio >= TARGETS.backfillRatio && x.lost === 0)]);
  }
  if (r.reconcile) {
    const x = r.reconcile;
    rows.push([`reconcile (${x.users} users)`, `${x.achievedPerSec}/s of ${x.boundPerSec}/s = ${x.ratio}, peak RSS ${x.peakRssMb} MB${x.spilledMb !== undefined ? `, ${x.spilledMb} MB on disk` : ""}`, `>= ${TARGETS.reconcileRatio}`, mark(x.ratio >= TARGETS.reconcileRatio)]);
  }
  for (const b of r.bundles ?? []) {
    const ext = r.bundlesSdkExternal?.find((e) => e.name === b.name);
    rows.push([
      `bundle ${b.name}`,
      `${round(b.bytes / 1024, 1)} KB, load ${b.initMs} ms${ext ? ` (SDK external: ${round(ext.bytes / 1024, 1)} KB, ${ext.initMs} ms)` : ""}`,
      `< 250 KB, < ${TARGETS.bundleInitMs} ms`,
      mark(b.bytes < TARGETS.bundleBytes && b.initMs < TARGETS.bundleInitMs),
    ]);
  }
  if (r.synth) {
    const x = r.synth;
    rows.push([
      `synth (${x.stacks} stacks)`,
      `${x.wallMs} ms wall${x.cpuMs !== undefined ? ` (${x.cpuMs} ms CPU)` : ""}, ${x.maxRssMb} MB peak RSS`,
      `< ${TARGETS.synthWallMs} ms, < ${TARGETS.synthRssMb} MB`,
      mark(x.wallMs < TARGETS.synthWallMs && x.maxRssMb < TARGETS.synthRssMb),
    ]);
  }
  if (r.cost) {
    const x = r.cost;
    const s = x.scenario;
    rows.push([
      `cost (${s.users} users, churn ${s.monthlyChurn}, ${s.changesPerUserPerMonth} changes/user/month)`,
      `$${round(x.estimate.totalUsd, 0)}/month vs native add-on $${round(x.estimate.native.monthlyUsd, 0)} (functions measured in ${x.measuredIn})`,
      "(shown)",
      "",
    ]);
  }
  const m = r.machine;
  return `${formatTable(rows)}\n\nmachine: ${m.cpus} CPUs (${m.cpuModel ?? "?"}), ${m.memoryGb} GB, node ${m.node}; load average at start ${m.loadAverageStart.join(" ")}, at end ${(m.loadAverageEnd ?? []).join(" ")}`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(2);
  },
);
