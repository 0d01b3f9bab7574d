// `npm run apply -- --env <name> --stack <primary|dr> --plan <dir> [--evidence <dir>]`
//
// Applies exactly the plan a reviewer approved: <dir>/<stack>.tfplan from `npm run plan`, made from
// this very commit (re-synthesized here, so the configuration the plan refers to is the same). Terraform
// refuses a plan whose state changed after it was made ("Saved plan is stale"): then plan again.
// Refuses a plan the plan step refused (destructive changes nobody named). Leaves evidence: the plan
// JSON, the apply log, the commit, the approvers (GitHub's approvals of this run, when in Actions: read
// before applying, and a refused read fails the step) and the state serial the apply produced, in
// <evidence> (default: <dir>), and a summary for the job.
import "../lib/quiet-warnings";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Role } from "../../stacks/names";
import { defineCommand, type CommandContext } from "../lib/command";
import { currentCommit } from "../lib/commit";
import { PipelineError } from "../lib/errors";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { nativeReplicaStep } from "../lib/native-replica/deploy";
import { prepareStacks, requireTarget, stepSummary } from "../lib/stacks";
import { approvals, githubContext } from "./github";
import type { PlanMeta } from "./plan";

/**
 * GitHub's approvals of this run (none outside Actions). Read before applying: a token that may not
 * read them (403 without actions: read) fails the step while nothing has changed yet.
 */
async function approvers(): Promise<Array<{ user: string; environments: string[]; state: string; comment: string }>> {
  if (!process.env.GITHUB_RUN_ID) return [];
  let ctx;
  try {
    ctx = githubContext();
  } catch (e) {
    throw new PipelineError(`${(e as Error).message}: the evidence records who approved the run`);
  }
  return approvals(ctx, process.env.GITHUB_RUN_ID);
}

const command = defineCommand({ name: "apply", kind: "step", options: { plan: { type: "string" }, evidence: { type: "string" } }, run: runApply });

async function runApply({ env, values, names }: CommandContext): Promise<number> {
  const role = values.stack as Role | undefined;
  if (role !== "primary" && role !== "dr") throw new PipelineError("--stack primary|dr is required: apply one reviewed plan at a time");
  if (!values.plan) throw new PipelineError("--plan <dir> is required: the folder npm run plan wrote (the plan artifact)");
  const dir = resolve(values.plan as string);
  const stack = names.stack(role);
  const planFile = join(dir, `${stack}.tfplan`);
  const metaFile = join(dir, `${stack}.meta.json`);
  if (!existsSync(planFile) || !existsSync(metaFile)) throw new PipelineError(`no reviewed plan of ${stack} in ${dir} (expected ${stack}.tfplan and ${stack}.meta.json from npm run plan)`);
  const meta = JSON.parse(readFileSync(metaFile, "utf8")) as PlanMeta;
  const commit = currentCommit();
  if (meta.env !== env.name || meta.stack !== stack) throw new PipelineError(`the plan in ${dir} is of ${meta.stack} (${meta.env}), not ${stack}`);
  if (meta.commit !== commit) throw new PipelineError(`the plan was made from ${meta.commit}, this checkout is ${commit}: apply from the commit that was planned, or plan again`);
  if (meta.refused.length > 0) throw new PipelineError(`the plan step refused this plan (${meta.refused.join(", ")}); it must not be applied`);
  await requireTarget(env);
  useSession(await pipelineSession(env, role, role === "primary" ? env.primaryRegion : env.drRegion));

  const approvedBy = await approvers();
  const { dirs, tf } = prepareStacks(env);
  await tf.init(dirs[role]);
  const started = Date.now();
  let log: string;
  try {
    ({ log } = await tf.applyPlan(dirs[role], planFile));
  } catch (e) {
    const msg = (e as Error).message;
    if (/Saved plan is stale/.test(msg)) throw new PipelineError(`the state of ${stack} changed after this plan was made (Saved plan is stale): plan again and review the new plan.\n${msg}`);
    throw e;
  }
  const serial = await tf.stateSerial(dirs[role]);
  const outputs = await tf.outputs(dirs[role]);
  const evidenceDir = resolve((values.evidence as string | undefined) ?? dir);
  mkdirSync(evidenceDir, { recursive: true });
  copyFileSync(log, join(evidenceDir, `${stack}.apply.log`));
  const evidence = {
    env: env.name,
    stack,
    commit,
    plannedAt: meta.createdAt,
    appliedAt: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    planSha256: createHash("sha256").update(readFileSync(planFile)).digest("hex"),
    counts: meta.counts,
    stateSerial: serial,
    approvers: approvedBy,
    run: process.env.GITHUB_RUN_ID ? `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}` : undefined,
    outputs,
  };
  const evidenceFile = join(evidenceDir, `${stack}.evidence.json`);
  writeFileSync(evidenceFile, JSON.stringify(evidence, null, 2));
  // Native: the replica the provider cannot make (key, issuer and replica; then the DR Region's
  // settings and activation), after the apply's evidence is written; its steps or its failure join it.
  if (env.replication.engine === "native") {
    try {
      const steps = await nativeReplicaStep(env, role, { [role]: outputs }, { log: (line) => console.log(line) });
      writeFileSync(evidenceFile, JSON.stringify({ ...evidence, nativeReplicaSteps: steps }, null, 2));
    } catch (e) {
      writeFileSync(evidenceFile, JSON.stringify({ ...evidence, nativeReplicaError: (e as Error).message }, null, 2));
      throw e;
    }
  }
  console.log(`✓ ${stack}: applied the reviewed plan of ${commit.slice(0, 12)} (state serial ${serial ?? "?"}, ${evidence.seconds} s)`);
  for (const [k, v] of Object.entries(outputs)) console.log(`  ${k} = ${v}`);
  stepSummary(
    `### Apply of \`${stack}\`\n\nthe reviewed plan of \`${commit.slice(0, 12)}\` (create ${meta.counts.create}, update ${meta.counts.update}, replace ${meta.counts.replace}, delete ${meta.counts.delete}); ` +
      `state serial ${serial ?? "?"}; approved by ${evidence.approvers.map((a) => a.user).join(", ") || "nobody recorded"}`,
  );
  return 0;
}

command.main();
