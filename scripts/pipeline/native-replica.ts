// `npm run native-replica -- --env <name> --stack <primary|dr> [--remove]`
//
// Native mode's deploy step on its own (`npm run apply` runs it after each apply): the pool's key
// and issuer and an INACTIVE replica (--stack primary), or the secondary's per-Region settings and
// its activation from the DR Region (--stack dr), read from the stack's outputs in its own state.
// A run that failed half way is finished by the next one. --remove (--stack primary) takes the
// replica away, inactive before deleted, as a destroy of the stacks needs first.
import "../lib/quiet-warnings";
import type { Role } from "../../stacks/names";
import { defineCommand } from "../lib/command";
import { PipelineError } from "../lib/errors";
import { nativeReplicaStep, removeNativeReplica } from "../lib/native-replica/deploy";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { prepareStacks, requireTarget } from "../lib/stacks";

export const nativeReplica = defineCommand({
  name: "native-replica",
  kind: "step",
  options: { remove: { type: "boolean" } },
  async run({ env, names, values }) {
    const role = values.stack as Role | undefined;
    if (role !== "primary" && role !== "dr") throw new PipelineError("--stack primary|dr is required");
    if (env.replication.engine !== "native") throw new PipelineError(`${env.name} is not in native mode (${env.name.toUpperCase()}_REPLICATION_MODE=native): there is no replica to manage`);
    if (values.remove && role !== "primary") throw new PipelineError("--remove runs with --stack primary: AWS deletes a replica from the primary's Region only");
    await requireTarget(env);
    useSession(await pipelineSession(env, role, role === "primary" ? env.primaryRegion : env.drRegion));
    const { dirs, tf } = prepareStacks(env);
    await tf.init(dirs[role]);
    const outputs = await tf.outputs(dirs[role]);
    if (!outputs.user_pool_id) throw new PipelineError(`${names.stack(role)} has no user_pool_id output in its state: apply it first`);
    const log = (line: string) => console.log(line);
    const steps = values.remove ? await removeNativeReplica(env, outputs, { log }) : await nativeReplicaStep(env, role, { [role]: outputs }, { log });
    console.log(`✓ native replica of ${outputs.user_pool_id} (${env.drRegion}): ${steps.map((s) => `${s.kind} ${(s.ms / 1000).toFixed(1)} s`).join(", ") || "nothing to do"}`);
    return 0;
  },
});

if (require.main === module) nativeReplica.main();
