// `npm run failback -- --env <name> --confirm cdr-<env>-primary [--accept-dr-only-users]`
//
// Moves sign-in back to the primary region once it is healthy again, after checking that nothing
// would be lost by doing so:
//  1. smoke both sides;
//  2. reconcile (report only): replication is one-way today, so users who signed up in DR during
//     the failover exist only there (extra_in_dr) and would be stranded by a failback: refuse unless
//     --accept-dr-only-users says they are handled (copied to the primary by hand) or accepted;
//     missing or differing users are repaired by the replicator's backlog or `reconcile --apply`;
//  3. drift: the two pools' configuration must match;
//  4. switch sign-in back (ARC routing controls, or the DNS failover's health check);
//  5. record what it did: <workdir>/failback/<time>.json (and the job summary).
import "../lib/quiet-warnings";
import { DrillRecord } from "./drill-record";
import { names } from "../../stacks/names";
import type { CliIo } from "../lib/cli";
import { driftMain } from "./drift";
import { currentCommit, parseCommon, PipelineError, requireConfigured, requireSandbox, runMain, runnerFor, synthEnvironment, workDirFor } from "../lib/stacks";
import { reconcileMain, type ReconcileReport } from "./reconcile";
import { switchSignIn } from "./sign-in-switch";
import { runSmoke } from "./smoke-checks";

/** Runs an operator tool's main and returns its exit code and JSON report. */
async function tool<T>(main: (argv: string[], io: CliIo) => Promise<number>, argv: string[]): Promise<{ code: number; json: T | undefined; err: string }> {
  let out = "";
  let err = "";
  const code = await main([...argv, "--json"], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false });
  let json: T | undefined;
  try {
    json = out ? (JSON.parse(out) as T) : undefined;
  } catch {
    json = undefined;
  }
  return { code, json, err };
}

async function main(): Promise<number> {
  const { env, values } = parseCommon(process.argv.slice(2), { confirm: { type: "string" }, "accept-dr-only-users": { type: "boolean" } });
  const stack = names(env).stack("primary");
  if (values.confirm !== stack) throw new PipelineError(`failback moves sign-in back to ${env.primaryRegion}; confirm by naming the primary stack: --confirm ${stack}`);
  requireConfigured(env);
  await requireSandbox(env, { accountSetup: false });
  const drill = new DrillRecord("failback", `Failback of \`${env.name}\` to ${env.primaryRegion}`);
  const say = (step: string, result: string) => drill.say(step, result);

  const smoke = await runSmoke(env, ["primary", "dr"]);
  if (smoke.failed.length) throw new PipelineError(`not failing back: the smoke checks fail:\n${smoke.failed.map((f) => `  - ${f}`).join("\n")}`);
  say("smoke", `all ${smoke.total} checks passed in both regions`);

  const rc = await tool<ReconcileReport>(reconcileMain, ["--env", env.name]);
  if (!rc.json) throw new PipelineError(`not failing back: reconcile could not run (exit ${rc.code}): ${rc.err.trim()}`);
  const c = rc.json.counts;
  const drOnly = c.extra_in_dr;
  if (drOnly > 0 && values["accept-dr-only-users"] !== true) {
    throw new PipelineError(
      `not failing back: ${drOnly} user(s) exist only in the DR pool (signed up during the failover; replication is one-way). ` +
        `Copy them to the primary pool, then run again, or pass --accept-dr-only-users to switch anyway. (npm run reconcile -- --env ${env.name} --json lists them.)`,
    );
  }
  say("reconcile", `${c.primaryUsers} primary, ${c.drUsers} DR users: ${c.missing_in_dr} missing in DR, ${drOnly} only in DR${drOnly ? " (accepted)" : ""}, ${c.attributes + c.enabled + c.groups} differing`);

  const drift = await tool<{ differences: unknown[] }>(driftMain, ["--env", env.name]);
  if (drift.code !== 0) throw new PipelineError(`not failing back: the pools' configuration differs (npm run drift -- --env ${env.name}): ${JSON.stringify(drift.json?.differences ?? drift.err)}`);
  say("drift", "the two pools' configuration matches");

  const workDir = workDirFor(env);
  const dirs = synthEnvironment(env, workDir);
  const tf = runnerFor(env, workDir);
  await tf.init(dirs.dr);
  const outputs = await tf.outputs(dirs.dr);
  const switched = await switchSignIn(env, "primary", outputs.primary_health_check_id);
  say("sign-in", switched.detail);

  drill.write(workDir, { env: env.name, commit: currentCommit(), switch: switched });
  return 0;
}

runMain("failback", main);
