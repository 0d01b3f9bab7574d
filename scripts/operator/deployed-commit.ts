// `npm run --silent deployed-commit -- --env <name> --stack <primary|dr>`
//
// Prints the commit a stack was last applied from: its `deployed_commit` output, read from the
// stack's own state (the DR stack's is in the DR region's bucket, so this works while the primary
// region is down). The failover workflow checks that commit out before it fails over, so that the
// DR stack is applied from what its promotion reviewed, not from the head of main. Prints
// `unrecorded` for a stack applied without a recorded commit, and fails for one never applied.
import "../lib/quiet-warnings";
import type { Role } from "../../stacks/names";
import { defineCommand } from "../lib/command";
import { PipelineError } from "../lib/errors";
import { prepareStacks, requireTarget } from "../lib/stacks";

export const deployedCommit = defineCommand({
  name: "deployed-commit",
  kind: "step",
  options: {},
  async run({ env, names, values }) {
    const role = values.stack as Role | undefined;
    if (role !== "primary" && role !== "dr") throw new PipelineError("--stack primary|dr is required");
    // No account setup (IAM): this runs in the failover, which must not depend on IAM's control plane.
    await requireTarget(env, { accountSetup: false });
    const { dirs, tf } = prepareStacks(env);
    await tf.init(dirs[role]);
    const commit = (await tf.outputs(dirs[role])).deployed_commit;
    if (!commit) throw new PipelineError(`${names.stack(role)} has no deployed_commit output in its state: it was never applied`);
    console.log(commit);
    return 0;
  },
});

if (require.main === module) deployedCommit.main();
