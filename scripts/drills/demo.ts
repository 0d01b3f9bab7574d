// `npm run demo`: the main job on a machine without AWS. Starts the sandbox,
// deploys the real `local` stacks, signs up and confirms one user in the primary
// pool, waits for that user to be CONFIRMED in the DR pool with the same
// attributes and canonical id, prints the lag, tears everything down.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox } from "../../sandbox";
import { bothRegions } from "../lib/clients";
import { deployLocal } from "../lib/local-deploy";
import { getDrUser, signUpAndConfirm, testUsers, waitForDr } from "./population";

const step = (msg: string) => console.log(`• ${msg}`);

async function main(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), "cdr-demo-"));
  const started = Date.now();
  step("starting the sandbox (moto_server + gateway)");
  // Authorization as AWS decides it, whatever SANDBOX_AUTHZ says: the demo shows what AWS would do.
  const sandbox = await startSandbox({ port: 0, workDir, authorization: true });
  let deployment: Awaited<ReturnType<typeof deployLocal>> | undefined;
  try {
    step(`sandbox at ${sandbox.endpoint}; deploying the local stacks (primary, then DR)`);
    deployment = await deployLocal({ endpoint: sandbox.endpoint, workDir, log: (l) => step(l) });
    const { primary, dr } = bothRegions(deployment.env);

    const [user] = testUsers(1, "demo");
    step(`signing up and confirming ${user.email} in ${deployment.env.primaryRegion}`);
    const confirmed = await signUpAndConfirm(primary.cognito, deployment.primary.app_client_id, user);
    const arrived = await waitForDr(dr.cognito, deployment.dr.user_pool_id, [confirmed], { timeoutMs: 30_000, pollMs: 20 });
    const at = arrived.get(user.email);
    if (at === undefined) {
      const seen = await getDrUser(dr.cognito, deployment.dr.user_pool_id, user.email);
      console.error(`✗ the user did not arrive in ${deployment.env.drRegion} within 30 s (DR state: ${seen ? seen.status : "absent"})`);
      return 1;
    }
    const drUser = await getDrUser(dr.cognito, deployment.dr.user_pool_id, user.email);
    step(`replicated to ${deployment.env.drRegion}: status ${drUser!.status}, canonical id ${drUser!.attributes["custom:canonical_id"]} (primary sub ${confirmed.sub})`);
    console.log(`✓ replication lag: ${at - confirmed.confirmedAt} ms (confirmation → CONFIRMED in DR)`);
    return 0;
  } finally {
    if (deployment) {
      step("destroying the stacks");
      await deployment.destroy().catch((e: Error) => console.error(`destroy failed: ${e.message}`));
    }
    await sandbox.stop();
    rmSync(workDir, { recursive: true, force: true });
    step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`✗ demo failed: ${err.message}`);
    process.exit(1);
  },
);
