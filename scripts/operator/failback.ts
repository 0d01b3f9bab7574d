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
import { defineCommand, type Command } from "../lib/command";
import { currentCommit } from "../lib/commit";
import { PipelineError } from "../lib/errors";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { prepareStacks, requireTarget } from "../lib/stacks";
import { DrillRecord } from "./drill-record";
import { drift } from "./drift";
import { reconcile, type ReconcileReport } from "./reconcile";
import { switchSignIn } from "./sign-in-switch";
import { runSmoke } from "./smoke-checks";

/** Runs an operator tool as one step of the failback and returns its exit code and JSON report. */
async function tool<T>(command: Command, argv: string[]): Promise<{ code: number; json: T | undefined; err: string }> {
  let out = "";
  let err = "";
  const code = await command.execute([...argv, "--json"], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false });
  let json: T | undefined;
  try {
    json = out ? (JSON.parse(out) as T) : undefined;
  } catch {
    json = undefined;
  }
  return { code, json, err };
}

export const failback = defineCommand({
  name: "failback",
  kind: "step",
  options: { confirm: { type: "string" }, "accept-dr-only-users": { type: "boolean" } },
  async run({ env, names, values }) {
    const stack = names.stack("primary");
    if (values.confirm !== stack) throw new PipelineError(`failback moves sign-in back to ${env.primaryRegion}; confirm by naming the primary stack: --confirm ${stack}`);
    await requireTarget(env, { accountSetup: false });
    // As the failback role: it reads both sides and switches, nothing else.
    useSession(await pipelineSession(env, "failback", env.primaryRegion));
    const drill = new DrillRecord("failback", `Failback of \`${env.name}\` to ${env.primaryRegion}`);
    const say = (step: string, result: string) => drill.say(step, result);

    const smoke = await runSmoke(env, ["primary", "dr"]);
    if (smoke.failed.length) throw new PipelineError(`not failing back: the smoke checks fail:\n${smoke.failed.map((f) => `  - ${f}`).join("\n")}`);
    say("smoke", `all ${smoke.total} checks passed in both regions`);

    const rc = await tool<ReconcileReport>(reconcile, ["--env", env.name]);
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

    const diff = await tool<{ differences: unknown[] }>(drift, ["--env", env.name]);
    if (diff.code !== 0) throw new PipelineError(`not failing back: the pools' configuration differs (npm run drift -- --env ${env.name}): ${JSON.stringify(diff.json?.differences ?? diff.err)}`);
    say("drift", "the two pools' configuration matches");

    const { workDir, dirs, tf } = prepareStacks(env);
    await tf.init(dirs.dr);
    const outputs = await tf.outputs(dirs.dr);
    const switched = await switchSignIn(env, "primary", outputs.primary_health_check_id);
    say("sign-in", switched.detail);

    drill.write(workDir, { env: env.name, commit: currentCommit(), switch: switched });
    return 0;
  },
});

if (require.main === module) failback.main();
