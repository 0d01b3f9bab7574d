// `npm run gameday`: rehearses a primary-region outage on a fresh sandbox with the
// real `local` stacks deployed (see gameday-run.ts for what is checked),
// prints a short report, writes it as JSON (default .sandbox/gameday/latest.json,
// or --out <file> / GAMEDAY_OUT), tears everything down, and exits 1 when a check
// failed, above all when RPO > 0 for users confirmed ≥ 2 s before the cut.
// Teardown stops the sandbox, which holds every deployed resource (moto's memory,
// the Lambda child processes, a temp work dir); `--destroy` runs `terraform
// destroy` on both stacks first (about 2-3 min more; the e2e suite covers it).
//
// In two-way mode (the default: `--mode one-way` rehearses today's one-way deployments) the
// outage also has a failback phase (gameday-failback.ts): sign-ups and support's changes in DR
// must all reach the primary after the restore. `--mode native` rehearses Cognito's own
// multi-Region replication (gameday-native.ts).
//
//   npm run gameday [-- --out <file>] [--mode two-way|one-way|native] [--warmup-s 10] [--outage-s 10] [--delay-ms 1000] [--workers 3] [--dr-signups 6] [--destroy]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { findMoto, MOTO_MISSING } from "@cognito-dr/sandbox";
import { DEPLOY_MODES, type DeployMode } from "../../stacks/environments";
import { findTerraform, TERRAFORM_MISSING } from "../lib/tools";
import { onFreshStacks, runDrill, step } from "./drill";
import { formatReport, type GameDayOptions } from "./gameday-report";
import { formatNativeReport, runNativeGameDay } from "./gameday-native";
import { runGameDay } from "./gameday-run";

const OPTIONS = {
  out: { type: "string" },
  "warmup-s": { type: "string" },
  "outage-s": { type: "string" },
  "delay-ms": { type: "string" },
  workers: { type: "string" },
  mode: { type: "string" },
  "dr-signups": { type: "string" },
  destroy: { type: "boolean", default: false },
} as const;

/** The flags (node:util parseArgs), with the game day's own words for what is wrong with them. */
function readFlags(argv: string[]): { values: Partial<Record<keyof typeof OPTIONS, string | boolean>> } {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as Error & { code?: string };
    const quoted = /'([^']*)'/.exec(e.message)?.[1] ?? "";
    const flag = quoted.split(" ")[0];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new Error(`unknown option ${flag} (known: ${Object.keys(OPTIONS).map((k) => `--${k}`).join(", ")})`);
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new Error(`unexpected argument "${quoted}"`);
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /argument missing/.test(e.message)) throw new Error(`${flag} needs a value`);
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /ambiguous/.test(e.message)) {
      // A value starting with "-" (parseArgs will not guess): only a negative number is meant that way.
      const value = argv[argv.indexOf(flag) + 1];
      throw new Error(flag === "--out" ? `--out needs a value (got "${value}", which reads as a flag)` : `${flag} must be a non-negative number (got "${value}")`);
    }
    throw err;
  }
}

function readArgs(argv: string[]): { out: string; destroy: boolean; mode: DeployMode; options: Partial<GameDayOptions> } {
  const { values } = readFlags(argv);
  const num = (k: keyof typeof OPTIONS, scale: number): number | undefined => {
    const v = values[k];
    if (typeof v !== "string") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a non-negative number (got "${v}")`);
    return n * scale;
  };
  const options: Partial<GameDayOptions> = {};
  const warmup = num("warmup-s", 1000);
  const outage = num("outage-s", 1000);
  const delay = num("delay-ms", 1);
  const workers = num("workers", 1);
  const drSignUps = num("dr-signups", 1);
  const mode = (values.mode as string | undefined) ?? "two-way";
  if (!(DEPLOY_MODES as readonly string[]).includes(mode)) throw new Error(`--mode must be one of ${DEPLOY_MODES.join(", ")} (got "${mode}")`);
  if (warmup !== undefined) options.warmupMs = warmup;
  if (outage !== undefined) options.outageMs = outage;
  if (delay !== undefined) options.replicationDelayMs = delay;
  if (workers !== undefined) options.signupConcurrency = Math.max(1, Math.round(workers));
  if (drSignUps !== undefined) options.drSignUps = Math.max(1, Math.round(drSignUps));
  const out = resolve((values.out as string | undefined) ?? process.env.GAMEDAY_OUT ?? join(".sandbox", "gameday", "latest.json"));
  return { out, destroy: values.destroy === true, mode: mode as DeployMode, options };
}

async function main(): Promise<number> {
  const { out, destroy, mode, options } = readArgs(process.argv.slice(2));
  // The `local` environment's mode (stacks/environments.ts reads it when the stacks are synthesized).
  process.env.LOCAL_REPLICATION_MODE = mode;
  const missing = [findTerraform() ? undefined : TERRAFORM_MISSING, findMoto() ? undefined : MOTO_MISSING].filter(Boolean);
  if (missing.length) {
    console.error(`✗ the game day cannot run here: ${missing.join("; ")}`);
    return 1;
  }
  const fresh = { name: "gameday", starting: "starting a fresh sandbox (moto_server + gateway)", destroy, stopping: "stopping the sandbox (every deployed resource goes with it)" };
  return onFreshStacks(fresh, async (sandbox, deployment) => {
    const save = <R extends { pass: boolean }>(report: R, text: string) => {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      console.log(text);
      return report;
    };
    // Native: Cognito's replica (gameday-native.ts); otherwise this project's replication.
    const native = mode === "native" ? await runNativeGameDay(sandbox, deployment, { ...options, log: step }) : undefined;
    const report = native ? save(native, formatNativeReport(native)) : await runGameDay(sandbox, deployment, { ...options, log: step }).then((r) => save(r, formatReport(r)));
    console.log(`report: ${out}`);
    return report.pass ? 0 : 1;
  });
}

runDrill("game day", main, (err) => err.stack ?? err.message);
