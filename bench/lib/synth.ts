// Synth: wall time and peak RSS of synthesizing every environment (`tsx main.ts`
// in a child with CDKTF_OUTDIR set to a scratch folder). Peak RSS comes from
// `/usr/bin/time -v` when present ("Maximum resident set size" of the whole child
// tree's largest process), else from the child's own process.resourceUsage().maxRSS
// reported at exit through a preloaded hook.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { median, round } from "./stats";

const REPO_ROOT = resolve(__dirname, "..", "..");

export interface SynthResult {
  wallMs: number;
  maxRssMb: number;
  /** CPU time (user + system) of the synth process, from time -v: less sensitive to a busy machine than wall time. */
  cpuMs?: number;
  runs: Array<{ wallMs: number; maxRssMb: number; cpuMs?: number }>;
  stacks: number;
  rssSource: "time -v" | "resourceUsage";
}

function tsxCli(): string {
  const cli = join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  if (!existsSync(cli)) throw new Error("tsx not installed (npm ci)");
  return cli;
}

/** One synth of every environment; median over `runs` (the first run also warms tsx's cache). */
export function benchSynth(opts: { runs: number; log?: (s: string) => void }): SynthResult {
  const log = opts.log ?? (() => {});
  const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const runs: Array<{ wallMs: number; maxRssMb: number; cpuMs?: number }> = [];
  let stacks = 0;
  for (let i = 0; i < opts.runs; i++) {
    const outdir = mkdtempSync(join(tmpdir(), "cdr-bench-synth-"));
    const rssFile = join(outdir, "rss.json");
    const hook = join(outdir, "rss-hook.cjs");
    writeFileSync(hook, `process.on("exit", () => { try { require("fs").writeFileSync(${JSON.stringify(rssFile)}, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })); } catch {} });\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: join(outdir, "out"), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${hook}`.trim() };
    delete env.CDKTF_ENVS;
    const args = [tsxCli(), "main.ts"];
    const started = performance.now();
    const res = timeBin
      ? spawnSync(timeBin, ["-v", process.execPath, ...args], { cwd: REPO_ROOT, env, encoding: "utf8" })
      : spawnSync(process.execPath, args, { cwd: REPO_ROOT, env, encoding: "utf8" });
    const wallMs = performance.now() - started;
    try {
      if (res.status !== 0) throw new Error(`synth failed (exit ${res.status}): ${(res.stderr ?? "").split("\n").slice(-5).join(" ")}`);
      let maxRssKb = 0;
      const fromTime = timeBin ? /Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr ?? "") : null;
      if (fromTime) maxRssKb = Number(fromTime[1]);
      if (existsSync(rssFile)) maxRssKb = Math.max(maxRssKb, (JSON.parse(readFileSync(rssFile, "utf8")) as { maxRssKb: number }).maxRssKb);
      const stacksDir = join(outdir, "out", "stacks");
      stacks = existsSync(stacksDir) ? readdirSync(stacksDir).length : 0;
      const user = /User time \(seconds\): ([\d.]+)/.exec(res.stderr ?? "");
      const sys = /System time \(seconds\): ([\d.]+)/.exec(res.stderr ?? "");
      const cpuMs = user && sys ? round((Number(user[1]) + Number(sys[1])) * 1000, 0) : undefined;
      runs.push({ wallMs: round(wallMs, 0), maxRssMb: round(maxRssKb / 1024, 1), ...(cpuMs === undefined ? {} : { cpuMs }) });
      log(`synth run ${i + 1}/${opts.runs}: ${round(wallMs, 0)} ms, ${round(maxRssKb / 1024, 1)} MB peak RSS, ${stacks} stacks`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  return {
    wallMs: round(median(runs.map((r) => r.wallMs)), 0),
    maxRssMb: round(Math.max(...runs.map((r) => r.maxRssMb)), 1),
    runs,
    stacks,
    rssSource: timeBin ? "time -v" : "resourceUsage",
    ...(runs.every((r) => r.cpuMs !== undefined) ? { cpuMs: round(median(runs.map((r) => r.cpuMs!)), 0) } : {}),
  };
}
