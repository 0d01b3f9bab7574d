// `npm run plan -- --env <name> [--stack primary|dr|all] [--out <dir>]`: the
// diff (terraform plan) of one environment's stacks. Writes each plan's text to
// `<out>/<stack>.plan.txt` (default out: cdktf.out/deploy/<env>/plans) and,
// under GitHub Actions, a table to $GITHUB_STEP_SUMMARY. Changes are not a
// failure; a plan that cannot run is. The DR plan before the primary stack
// exists is reported as skipped (it reads the primary's table by name).
import "./lib/quiet-warnings";
import { appendFileSync, copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { names } from "../stacks/names";
import {
  parseCommon,
  PipelineError,
  requirePrimaryApplied,
  requireSandbox,
  requireConfigured,
  runMain,
  runnerFor,
  summaryLine,
  synthEnvironment,
  workDirFor,
} from "./lib/pipeline";

interface Row {
  stack: string;
  result: string;
  file?: string;
}

async function main(): Promise<number> {
  const { env, roles, values } = parseCommon(process.argv.slice(2), { out: { type: "string" } });
  requireConfigured(env);
  await requireSandbox(env);
  const workDir = workDirFor(env);
  const out = resolve((values.out as string | undefined) ?? join(workDir, "plans"));
  mkdirSync(out, { recursive: true });
  const dirs = synthEnvironment(env, workDir);
  const tf = runnerFor(env, workDir);
  const rows: Row[] = [];
  let failed = 0;
  for (const role of roles) {
    const stack = names(env).stack(role);
    if (role === "dr") {
      try {
        await requirePrimaryApplied(env);
      } catch (e) {
        if (!(e instanceof PipelineError)) throw e;
        rows.push({ stack, result: `skipped: ${e.message}` });
        console.log(`- ${stack}: skipped — ${e.message}`);
        continue;
      }
    }
    try {
      await tf.init(dirs[role]);
      const plan = await tf.plan(dirs[role]);
      const file = join(out, `${stack}.plan.txt`);
      copyFileSync(plan.log, file);
      const line = summaryLine(plan.log) ?? (plan.changes ? "changes" : "no changes");
      rows.push({ stack, result: line, file });
      console.log(`${plan.changes ? "~" : "="} ${stack}: ${line} (plan text: ${file})`);
    } catch (e) {
      failed++;
      const msg = (e as Error).message;
      rows.push({ stack, result: `plan failed: ${msg.split("\n")[0]}` });
      console.error(`✗ ${stack}: ${msg}`);
    }
  }
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    const table = rows.map((r) => `| \`${r.stack}\` | ${r.result.replace(/\|/g, "\\|")} |`).join("\n");
    appendFileSync(summary, `### Plan of \`${env.name}\`\n\n| stack | result |\n|---|---|\n${table}\n\nFull plan text: the \`plan-${env.name}\` artifact.\n\n`);
  }
  return failed ? 1 : 0;
}

runMain("plan", main);
