// `npm run preflight -- --environments prod,prod-dr,staging-dr`
// Reads each GitHub environment's protection rules (GitHub REST "Get an environment") and fails,
// naming each missing setting, unless required reviewers are set with "Prevent self-review",
// administrators may not bypass them (can_admins_bypass: false) and a deployment branch policy
// limits the branches: an environment a workflow names but nobody created is made by GitHub on the
// spot, without protection, and a deploy through it would not wait for anyone.
// Needs GITHUB_TOKEN (with actions: read) and GITHUB_REPOSITORY, as in GitHub Actions.
import { parseArgs } from "node:util";
import { checkProtected, githubContext } from "./github";

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { environments: { type: "string" } } });
  const envs = (values.environments ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  if (envs.length === 0) {
    console.error("preflight: --environments <name,name,...> is required");
    return 2;
  }
  let ctx;
  try {
    ctx = githubContext();
  } catch (e) {
    console.error(`preflight: ${(e as Error).message}`);
    return 2;
  }
  const problems = await checkProtected(ctx, envs);
  for (const p of problems) console.error(`preflight: GitHub environment ${p.environment} ${p.problem}`);
  if (problems.length) {
    console.error("preflight: fix these in Settings → Environments before deploying (README, One-time GitHub and IAM setup)");
    return 1;
  }
  console.log(`preflight: ${envs.join(", ")} require reviewers (no administrator bypass, no self-review, deployment branches limited)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`preflight failed: ${e.message}`);
    process.exit(1);
  },
);
