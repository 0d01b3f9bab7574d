// `npm run gameday`: rehearses a primary-region outage on a fresh sandbox with the
// real `local` stacks deployed (see scripts/lib/gameday.ts for what is checked),
// prints a short report, writes it as JSON (default .sandbox/gameday/latest.json,
// or --out <file> / GAMEDAY_OUT), tears everything down, and exits 1 when a check
// failed, above all when RPO > 0 for users confirmed ≥ 2 s before the cut.
// Teardown stops the sandbox, which holds every deployed resource (moto's memory,
// the Lambda child processes, a temp work dir); `--destroy` runs `terraform
// destroy` on both stacks first (about 2-3 min more; the e2e suite covers it).
//
//   npm run gameday [-- --out <file>] [--warmup-s 10] [--outage-s 10] [--delay-ms 1000] [--workers 3] [--destroy]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { startSandbox } from "../../sandbox";
import { findMoto } from "../../sandbox/moto";
import { formatReport, runGameDay, type GameDayOptions } from "./gameday-run";
import { deployLocal } from "../lib/local-deploy";
import { findTerraform, TERRAFORM_MISSING } from "../lib/tools";

const step = (msg: string) => console.log(`• ${msg}`);

function parseArgs(argv: string[]): { out: string; destroy: boolean; options: Partial<GameDayOptions> } {
  const args = new Map<string, string>();
  let destroy = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--destroy") {
      destroy = true;
      continue;
    }
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"`);
    const [k, inline] = a.slice(2).split("=", 2);
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`--${k} needs a value`);
    args.set(k, v);
  }
  const num = (k: string, scale: number): number | undefined => {
    const v = args.get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a non-negative number (got "${v}")`);
    return n * scale;
  };
  for (const k of args.keys()) {
    if (!["out", "warmup-s", "outage-s", "delay-ms", "workers"].includes(k)) throw new Error(`unknown option --${k} (known: --out, --warmup-s, --outage-s, --delay-ms, --workers, --destroy)`);
  }
  const options: Partial<GameDayOptions> = {};
  const warmup = num("warmup-s", 1000);
  const outage = num("outage-s", 1000);
  const delay = num("delay-ms", 1);
  const workers = num("workers", 1);
  if (warmup !== undefined) options.warmupMs = warmup;
  if (outage !== undefined) options.outageMs = outage;
  if (delay !== undefined) options.replicationDelayMs = delay;
  if (workers !== undefined) options.signupConcurrency = Math.max(1, Math.round(workers));
  const out = resolve(args.get("out") ?? process.env.GAMEDAY_OUT ?? join(".sandbox", "gameday", "latest.json"));
  return { out, destroy, options };
}

async function main(): Promise<number> {
  const { out, destroy, options } = parseArgs(process.argv.slice(2));
  const missing = [findTerraform() ? undefined : TERRAFORM_MISSING, findMoto() ? undefined : "moto_server not found (pip install 'moto[server]')"].filter(Boolean);
  if (missing.length) {
    console.error(`✗ the game day cannot run here: ${missing.join("; ")}`);
    return 1;
  }
  const workDir = mkdtempSync(join(tmpdir(), "cdr-gameday-"));
  const started = Date.now();
  step("starting a fresh sandbox (moto_server + gateway)");
  // Authorization as AWS decides it, whatever SANDBOX_AUTHZ says: a rehearsal must fail where AWS would.
  const sandbox = await startSandbox({ port: 0, workDir, authorization: true });
  let deployment: Awaited<ReturnType<typeof deployLocal>> | undefined;
  try {
    step(`sandbox at ${sandbox.endpoint}; deploying the local stacks (primary, then DR)`);
    deployment = await deployLocal({ endpoint: sandbox.endpoint, workDir, log: step });
    const report = await runGameDay(sandbox, deployment, { ...options, log: step });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(formatReport(report));
    console.log(`report: ${out}`);
    return report.pass ? 0 : 1;
  } finally {
    if (deployment && destroy) {
      step("destroying the stacks");
      await deployment.destroy().catch((e: Error) => console.error(`destroy failed: ${e.message}`));
    }
    step("stopping the sandbox (every deployed resource goes with it)");
    await sandbox.stop();
    rmSync(workDir, { recursive: true, force: true });
    step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`✗ game day failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
