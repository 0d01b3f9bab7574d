// The `cost` benchmark: the cost model on this run's measurements (the per-stage function stats
// the sandbox stages recorded), or on an earlier run's from its results file, with every input and
// its source, the breakdown, native's add-on, and a few other change rates and MAU shares.
import { existsSync, readFileSync } from "node:fs";
import { costTable, estimateCost, type CostEstimate, type CostInputs } from "./cost";
import { DEFAULT_SCENARIO, gatherCostInputs, type ScenarioOptions, type StageFunctionStats } from "./cost-inputs";
import { PRICES } from "./prices";

export interface CostResult {
  scenario: ScenarioOptions;
  /** Where the function measurements came from: this run, an earlier run (its start time), or none. */
  measuredIn: string;
  inputs: CostInputs;
  sources: Record<string, string>;
  estimate: CostEstimate;
  prices: typeof PRICES;
  /** Total and native's add-on for other change rates and MAU shares, the rest unchanged. */
  sensitivity: Array<{ changesPerUserPerMonth: number; mauShare: number; totalUsd: number; nativeUsd: number; drPoolMauUsd: number }>;
  /** The breakdown as a markdown table (README "Cost"). */
  table: string;
}

/** Per-stage function stats of an earlier run, from its results file (undefined when it has none). */
export function earlierMeasurements(resultsFile: string): { measured: StageFunctionStats; from: string } | undefined {
  if (!existsSync(resultsFile)) return undefined;
  const earlier = JSON.parse(readFileSync(resultsFile, "utf8")) as { functions?: StageFunctionStats; run?: { startedAt?: string } };
  if (!earlier.functions || Object.keys(earlier.functions).length === 0) return undefined;
  return { measured: earlier.functions, from: `the run started ${earlier.run?.startedAt ?? "at an unknown time"} (${resultsFile})` };
}

export function benchCost(opts: { scenario?: Partial<ScenarioOptions>; measured?: StageFunctionStats; measuredIn: string }): CostResult {
  const scenario = { ...DEFAULT_SCENARIO, ...opts.scenario };
  const { inputs, sources } = gatherCostInputs(scenario, opts.measured, opts.measuredIn);
  const estimate = estimateCost(inputs);
  const sensitivity = [
    { changesPerUserPerMonth: scenario.changesPerUserPerMonth, mauShare: scenario.mauShare },
    { changesPerUserPerMonth: 0.1, mauShare: scenario.mauShare },
    { changesPerUserPerMonth: scenario.changesPerUserPerMonth, mauShare: 0.3 },
    { changesPerUserPerMonth: 0.1, mauShare: 0.3 },
  ].map((s) => {
    const e = estimateCost({ ...inputs, ...s });
    const dr = e.lines.find((l) => l.price === "cognitoEssentialsMau")?.monthlyUsd ?? 0;
    return { ...s, totalUsd: round2(e.totalUsd), nativeUsd: round2(e.native.monthlyUsd), drPoolMauUsd: round2(dr) };
  });
  return { scenario, measuredIn: opts.measuredIn, inputs, sources, estimate, prices: PRICES, sensitivity, table: costTable(estimate) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
