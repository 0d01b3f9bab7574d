// `npm run failover -- --env <name> --confirm cdr-<env>-dr [--allow-destroy <addresses>]`
//
// Break-glass: moves sign-in to the DR region while the primary region is down. Uses the DR region
// only: the DR stack's state (in the DR region's bucket), the DR stack, DR-region checks; nothing
// here calls the primary region, so it works during the outage it exists for.
//  1. plan the DR stack from its own state without refreshing it (a refresh reads IAM, whose control
//     plane is in us-east-1), refuse destructive changes, a change that needs IAM or another
//     control plane outside the DR region, and any resource change unless this checkout is the
//     commit the DR stack was deployed from (its promotion reviewed that; failover-plan.ts), then
//     apply that plan (the failover workflow checks the deployed commit out first);
//  2. smoke the DR side (pool, replica stream, replicator mapping);
//  3. switch sign-in to DR (ARC routing controls, or the DNS failover's health check, or say that
//     nothing is configured to switch);
//  4. two-way mode: write the failover control item `failed-over` into the DR replica of the table
//     (failover-state.ts), which opens the DR pool to self sign-ups (the pre-sign-up trigger, D7);
//     after the switch, so sign-ups open only once sign-in is in DR;
//  5. record what it did: <workdir>/failover/<time>.json (and the job summary; drill-record.ts).
import "../lib/quiet-warnings";
import { join } from "node:path";
import { defineCommand } from "../lib/command";
import { currentCommit } from "../lib/commit";
import { PipelineError } from "../lib/errors";
import { failoverRefusal } from "../lib/failover-plan";
import { writeFailoverControl } from "../lib/failover-state";
import { replicationMode } from "../lib/replication-mode";
import { destructiveChanges, unapproved, type PlanJson } from "../lib/plan-guard";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { prepareStacks, requireTarget } from "../lib/stacks";
import { DrillRecord } from "./drill-record";
import { switchSignIn } from "./sign-in-switch";
import { runSmoke } from "./smoke-checks";

export const failover = defineCommand({
  name: "failover",
  kind: "step",
  options: { confirm: { type: "string" }, "allow-destroy": { type: "string" } },
  async run({ env, names, values, clients }) {
    const stack = names.stack("dr");
    if (values.confirm !== stack) throw new PipelineError(`failover moves sign-in to ${env.drRegion}; confirm by naming the DR stack: --confirm ${stack}`);
    await requireTarget(env, { accountSetup: false });
    // As the failover role, its session from the DR region's STS endpoint.
    useSession(await pipelineSession(env, "failover", env.drRegion));
    const drill = new DrillRecord("failover", `Failover of \`${env.name}\` to ${env.drRegion}`);
    const say = (step: string, result: string) => drill.say(step, result);
    const commit = currentCommit();
    const { workDir, dirs, tf } = prepareStacks(env);

    // 1. The DR stack, from the DR region's state only.
    await tf.init(dirs.dr);
    const deployed = (await tf.outputs(dirs.dr).catch(() => ({}) as Record<string, string>)).deployed_commit;
    const planFile = join(workDir, "failover.tfplan");
    // From the state alone (-refresh=false): a refresh would read every role through IAM's control
    // plane in us-east-1 (AWS Fault Isolation Boundaries, Appendix A: "you should not rely on the IAM
    // control plane in your recovery path"). Drift is looked for by the next normal plan.
    const plan = await tf.planToFile(dirs.dr, planFile, { refresh: false });
    const json = (await tf.showPlan(dirs.dr, planFile)) as PlanJson;
    const refusal = failoverRefusal(json, { stack, commit, deployed });
    if (refusal) throw new PipelineError(refusal);
    const refused = unapproved(destructiveChanges(json), (values["allow-destroy"] as string | undefined) ?? process.env.ALLOW_DESTROY);
    if (refused.length) throw new PipelineError(`the DR plan would ${refused.map((d) => `${d.kind} ${d.address}`).join(", ")}; not during a failover (name them with --allow-destroy if you must)`);
    await tf.applyPlan(dirs.dr, planFile);
    const serial = await tf.stateSerial(dirs.dr);
    const outputs = await tf.outputs(dirs.dr);
    say("DR stack", `${plan.changes ? "changes applied" : "no changes"} from ${env.drRegion} state (serial ${serial ?? "?"})`);

    // 2. The DR side works.
    const smoke = await runSmoke(env, ["dr"]);
    if (smoke.failed.length) throw new PipelineError(`the DR side is not ready, sign-in stays where it is:\n${smoke.failed.map((f) => `  - ${f}`).join("\n")}`);
    say("DR smoke", `all ${smoke.total} checks passed`);

    // 3. Sign-in to DR.
    const switched = await switchSignIn(env, "dr", outputs.primary_health_check_id);
    say("sign-in", switched.detail);
    say("clients", `DR pool ${outputs.user_pool_id}, app client ${outputs.app_client_id} (${env.drRegion})`);

    // 4. Two-way: DR sign-ups open. The DR replica only (clients.dr): the primary region may be down.
    const mode = replicationMode(env);
    let control: { state: "failed-over"; changedAt: number; by: string } | undefined;
    if (mode === "two-way") {
      control = { state: "failed-over", changedAt: Date.now(), by: "failover" };
      await writeFailoverControl(clients.dr.dynamodb, names.table, control);
      say("DR sign-ups", `open: control#failover failed-over at ${new Date(control.changedAt).toISOString()} in the ${env.drRegion} replica of ${names.table}; new users sign up in DR, and npm run failback carries them back`);
    }

    // 5. Evidence.
    drill.write(workDir, { env: env.name, commit, drRegion: env.drRegion, mode, stateSerial: serial, switch: switched, ...(control ? { failoverControl: control } : {}) });
    return 0;
  },
});

if (require.main === module) failover.main();
