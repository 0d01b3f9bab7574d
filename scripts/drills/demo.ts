// `npm run demo`: the main job on a machine without AWS. Starts the sandbox,
// deploys the real `local` stacks, signs up and confirms one user in the primary
// pool, waits for that user to be CONFIRMED in the DR pool with the same
// attributes and canonical id, prints the lag, tears everything down.
import { bothRegions } from "../lib/clients";
import { onFreshStacks, runDrill, step } from "./drill";
import { getDrUser, signUpAndConfirm, testUsers, waitForDr } from "./population";

async function main(): Promise<number> {
  return onFreshStacks({ name: "demo", starting: "starting the sandbox (moto_server + gateway)", destroy: true }, async (_sandbox, deployment) => {
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
  });
}

runDrill("demo", main);
