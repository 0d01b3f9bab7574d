// `npm run plan -- --env <name> [--stack primary|dr|all] [--out <dir>] [--read-only] [--rollback]
//                  [--no-order-check] [--allow-destroy <address,...>] [--fail-on-changes]`
//
// The plan a reviewer approves and `npm run apply` applies, nothing else. For each stack it writes
// to <out> (default cdktf.out/deploy/<env>/plans):
//   <stack>.tfplan      the saved plan (`terraform plan -out`); apply refuses it once the state moved
//   <stack>.plan.json   `terraform show -json` of it
//   <stack>.plan.txt    the plan as text
//   <stack>.meta.json   environment, stack, commit, counts, destructive changes, whether it may be applied
// and a summary table to $GITHUB_STEP_SUMMARY.
//
// Refuses (exit 1): a plan that deletes or replaces a user pool, the table or a KMS key unless each
// address is named in --allow-destroy (or ALLOW_DESTROY); a commit older than the one the stack was
// last applied from, unless --rollback, and with --rollback any commit that is not older. --read-only plans take no state lock (the plan role cannot
// write the lock object; terraform refuses to apply the plan anyway if the state moves meanwhile).
// --no-order-check skips the commit order for plans that are never applied (pull requests, drift).
// --fail-on-changes exits 3 when a stack would change (scheduled drift detection). The DR plan before the primary stack
// exists is reported as skipped (the DR stack reads the primary's table by name).
import "../lib/quiet-warnings";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand, type CommandContext } from "../lib/command";
import { currentCommit } from "../lib/commit";
import { PipelineError } from "../lib/errors";
import { destructiveChanges, planCounts, unapproved, type PlanJson } from "../lib/plan-guard";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { prepareStacks, requireForward, requireTarget, stepSummary } from "../lib/stacks";
import { requirePrimaryApplied, summaryLine } from "./stack-order";

export interface PlanMeta {
  env: string;
  stack: string;
  role: "primary" | "dr";
  commit: string;
  createdAt: string;
  readOnly: boolean;
  rollback: boolean;
  changes: boolean;
  counts: ReturnType<typeof planCounts>;
  destructive: ReturnType<typeof destructiveChanges>;
  /** Destructive changes nobody named: the plan must not be applied. */
  refused: string[];
}

interface Row {
  stack: string;
  result: string;
}

const command = defineCommand({
  name: "plan",
  kind: "step",
  options: {
    out: { type: "string" },
    "read-only": { type: "boolean" },
    rollback: { type: "boolean" },
    "allow-destroy": { type: "string" },
    "fail-on-changes": { type: "boolean" },
    "no-order-check": { type: "boolean" },
  },
  run: runPlan,
});

async function runPlan({ env, roles, values, names }: CommandContext): Promise<number> {
  const readOnly = values["read-only"] === true;
  const rollback = values.rollback === true;
  const allowDestroy = (values["allow-destroy"] as string | undefined) ?? process.env.ALLOW_DESTROY;
  await requireTarget(env);
  const { workDir, dirs, tf } = prepareStacks(env);
  const out = resolve((values.out as string | undefined) ?? join(workDir, "plans"));
  mkdirSync(out, { recursive: true });
  const commit = currentCommit();
  const rows: Row[] = [];
  let failed = 0;
  let changed = 0;
  for (const role of roles) {
    const stack = names.stack(role);
    // The workflow plans with the read-only plan role; a plan that takes the lock (the manual way)
    // needs the stack's deploy role.
    useSession(await pipelineSession(env, readOnly ? "plan" : role, role === "primary" ? env.primaryRegion : env.drRegion));
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
      if (values["no-order-check"] !== true) await requireForward(tf, dirs[role], stack, commit, rollback);
      const file = join(out, `${stack}.tfplan`);
      const plan = await tf.planToFile(dirs[role], file, { lock: !readOnly });
      const json = (await tf.showPlan(dirs[role], file)) as PlanJson;
      const destructive = destructiveChanges(json);
      const refused = unapproved(destructive, allowDestroy).map((d) => `${d.kind} ${d.address}`);
      const meta: PlanMeta = { env: env.name, stack, role, commit, createdAt: new Date().toISOString(), readOnly, rollback, changes: plan.changes, counts: planCounts(json), destructive, refused };
      writeFileSync(join(out, `${stack}.plan.json`), JSON.stringify(json));
      writeFileSync(join(out, `${stack}.meta.json`), JSON.stringify(meta, null, 2));
      copyFileSync(plan.log, join(out, `${stack}.plan.txt`));
      const line = summaryLine(plan.log) ?? (plan.changes ? "changes" : "no changes");
      if (plan.changes) changed++;
      if (refused.length > 0) {
        failed++;
        rows.push({ stack, result: `REFUSED: ${refused.join(", ")}` });
        console.error(
          `✗ ${stack}: the plan would ${refused.join(", ")}. Pools, the table and keys hold users and the keys to them: ` +
            `if that is intended, plan again with --allow-destroy ${destructive.map((d) => d.address).join(",")} (ALLOW_DESTROY in the workflow).`,
        );
        continue;
      }
      rows.push({ stack, result: line });
      console.log(`${plan.changes ? "~" : "="} ${stack}: ${line} (plan: ${file})`);
    } catch (e) {
      failed++;
      const msg = (e as Error).message;
      rows.push({ stack, result: `plan failed: ${msg.split("\n")[0]}` });
      console.error(`✗ ${stack}: ${msg}`);
    }
  }
  const table = rows.map((r) => `| \`${r.stack}\` | ${r.result.replace(/\|/g, "\\|")} |`).join("\n");
  stepSummary(`### Plan of \`${env.name}\` at \`${commit.slice(0, 12)}\`${readOnly ? " (read-only)" : ""}\n\n| stack | result |\n|---|---|\n${table}\n\nFull plan text and JSON: the plan artifact.`);
  if (failed) return 1;
  return values["fail-on-changes"] === true && changed > 0 ? 3 : 0;
}

if (require.main === module) command.main();
