// `npm run smoke -- --env <name> [--stack primary|dr|all]`: read-only checks that a deployed
// environment is wired the way the picture says (scripts/lib/smoke.ts). Exits non-zero with the
// list of what failed.
import "../lib/quiet-warnings";
import { parseCommon, requireSandbox, runMain } from "../lib/stacks";
import { runSmoke } from "./smoke-checks";

async function main(): Promise<number> {
  const { env, roles } = parseCommon(process.argv.slice(2));
  await requireSandbox(env);
  const { failed, total } = await runSmoke(env, roles);
  if (failed.length) {
    console.error(`\n${failed.length} of ${total} smoke checks failed:\n${failed.map((f) => `  - ${f}`).join("\n")}`);
    return 1;
  }
  console.log(`all ${total} smoke checks passed`);
  return 0;
}

runMain("smoke", main);
