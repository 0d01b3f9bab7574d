// `npm run smoke -- --env <name> [--stack primary|dr|all]`: read-only checks that a deployed
// environment is wired the way the picture says (smoke-checks.ts). Exits non-zero with the
// list of what failed.
import "../lib/quiet-warnings";
import { defineCommand } from "../lib/command";
import { requireSandbox } from "../lib/stacks";
import { runSmoke } from "./smoke-checks";

export const smoke = defineCommand({
  name: "smoke",
  kind: "step",
  options: {},
  async run({ env, roles }) {
    await requireSandbox(env);
    const { failed, total } = await runSmoke(env, roles);
    if (failed.length) {
      console.error(`\n${failed.length} of ${total} smoke checks failed:\n${failed.map((f) => `  - ${f}`).join("\n")}`);
      return 1;
    }
    console.log(`all ${total} smoke checks passed`);
    return 0;
  },
});

if (require.main === module) smoke.main();
