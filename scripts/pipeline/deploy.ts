// `npm run deploy:primary -- --env <name>` / `npm run deploy:dr -- --env <name>` (and
// `destroy:dr` / `destroy:primary`): synthesizes that environment only and applies (or destroys)
// one stack with terraform, from a laptop or the sandbox. The pipeline does not use it: there a
// reviewed plan is applied (npm run plan, npm run apply).
//
//   tsx scripts/pipeline/deploy.ts <primary|dr> --env <local|dev|staging|prod> [--rollback]
//   tsx scripts/pipeline/deploy.ts <primary|dr> --env <name> --destroy --confirm <stack name>
//
// Refuses a real environment with unset settings (state buckets; alarms and SES in staging/prod),
// `local` without a running sandbox, the DR stack before the primary stack has created the table,
// a commit older than the one the stack was applied from (unless --rollback), a real environment
// from inside GitHub Actions (the pipeline applies reviewed plans), and a destroy without
// --confirm naming the stack, or under CI for anything but the sandbox.
import "../lib/quiet-warnings";
import type { Role } from "../../stacks/names";
import { defineCommand, type CommandContext } from "../lib/command";
import { currentCommit } from "../lib/commit";
import { PipelineError } from "../lib/errors";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { prepareStacks, requireForward, requireTarget, stepSummary } from "../lib/stacks";
import { nativeReplicaStep, removeNativeReplica } from "../lib/native-replica/deploy";
import { PRIMARY_FIRST, requirePrimaryApplied, summaryLine } from "./stack-order";

const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

const command = defineCommand({
  name: "deploy",
  kind: "step",
  options: { destroy: { type: "boolean" }, confirm: { type: "string" }, rollback: { type: "boolean" } },
  run: runDeploy,
});

async function runDeploy({ env, values, positionals, names }: CommandContext): Promise<number> {
  const role = positionals[0] as Role | undefined;
  if (role !== "primary" && role !== "dr") throw new PipelineError("usage: deploy.ts <primary|dr> --env <name> [--destroy --confirm <stack name>]");
  const destroy = values.destroy === true;
  const stack = names.stack(role);
  if (destroy && values.confirm !== stack) {
    throw new PipelineError(`destroying ${stack} deletes what it holds; confirm by naming it: --confirm ${stack}${values.confirm ? ` (got --confirm ${String(values.confirm)})` : ""}`);
  }
  if (destroy && process.env.CI === "true" && env.name !== "local") throw new PipelineError(`destroy is never run by CI (CI=true): destroy ${stack} from a workstation, on purpose`);
  if (!destroy && process.env.GITHUB_ACTIONS === "true" && env.name !== "local") {
    throw new PipelineError("inside GitHub Actions, changes to a real environment go through a reviewed plan: npm run plan (--out), then npm run apply --plan");
  }

  await requireTarget(env);
  // As the stack's deploy role (for `local`, assumed through the sandbox's STS as a workflow job would).
  useSession(await pipelineSession(env, role, role === "primary" ? env.primaryRegion : env.drRegion));
  if (role === "dr" && !destroy) await requirePrimaryApplied(env);

  const started = Date.now();
  const { workDir, dirs, tf } = prepareStacks(env);
  console.log(`synthesized ${env.name} into ${workDir}/out in ${secs(started)}`);

  const t0 = Date.now();
  await tf.init(dirs[role]);
  if (!destroy) await requireForward(tf, dirs[role], stack, currentCommit(), values.rollback === true);
  console.log(`${destroy ? "destroying" : "applying"} ${stack} (${role === "primary" ? env.primaryRegion : env.drRegion}); log in ${workDir}/logs`);
  const native = env.replication.engine === "native";
  const log = (line: string) => console.log(line);
  try {
    // Native: the replica goes (inactive, then deleted) before the primary pool; the DR stack, which
    // finds it by name, is destroyed first.
    if (destroy && native && role === "primary") await removeNativeReplica(env, await tf.outputs(dirs.primary), { log });
    if (destroy) await tf.destroy(dirs[role]);
    else await tf.apply(dirs[role]);
  } catch (e) {
    const msg = (e as Error).message;
    if (role === "dr" && !destroy && /no matching|ResourceNotFoundException|not found/i.test(msg) && /data\.aws_(dynamodb_table|kms_alias)/.test(msg)) {
      throw new PipelineError(`the DR stack could not find the primary stack's table or key: ${PRIMARY_FIRST}.\n${msg}`);
    }
    throw e;
  }
  const result = summaryLine(`${workDir}/logs/${stack}.${destroy ? "destroy" : "apply"}.log`) ?? (destroy ? "destroyed" : "applied");
  console.log(`✓ ${stack}: ${result} (${secs(t0)})`);
  const outputs = destroy ? {} : await tf.outputs(dirs[role]);
  // Native: what the provider cannot do, after each apply (as npm run apply does).
  if (!destroy && native) await nativeReplicaStep(env, role, { [role]: outputs }, { log });
  for (const [k, v] of Object.entries(outputs)) console.log(`  ${k} = ${v}`);
  stepSummary(
    `### ${destroy ? "Destroy" : "Apply"} of \`${stack}\`\n\n${result} (${secs(t0)})` +
      (Object.keys(outputs).length ? `\n\n${Object.entries(outputs).map(([k, v]) => `- \`${k}\` = \`${v}\``).join("\n")}` : ""),
  );
  return 0;
}

command.main();
