// The smoke checks of an environment in native mode (Cognito's multi-Region replication): no table,
// capture or replicator to look at, but the replica and what the deploy step sets, each asked in its
// own Region only (the DR check runs while the primary's Region is down in a failover).
// primary: the pool exists (by name), uses a customer managed key and the updated issuer, and has
//          its replica in the DR Region (INACTIVE right after the primary's step, ACTIVE after DR's);
// dr:      the secondary is ACTIVE, and its pre-token trigger is this Region's function.
import { DescribeUserPoolCommand, ListUserPoolReplicasCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { poolIdByName } from "../../handlers/replication/find-pool";
import type { Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import type { Check } from "./smoke-checks";

async function secondaryStatus(cognito: CognitoIdentityProviderClient, poolId: string, drRegion: string): Promise<string | undefined> {
  const replicas = (await cognito.send(new ListUserPoolReplicasCommand({ UserPoolId: poolId }))).UserPoolReplicas ?? [];
  return replicas.find((r) => r.Role === "SECONDARY" && r.RegionName === drRegion)?.Status;
}

/** The checks (nothing is called until one runs). */
export function nativeChecks(env: Environment, regions: { primary: { cognito: CognitoIdentityProviderClient }; dr: { cognito: CognitoIdentityProviderClient } }): Check[] {
  const n = names(env);
  const pool = n.userPool("primary");
  return [
    {
      role: "primary",
      what: `user pool ${pool} in ${env.primaryRegion} has a customer managed key, the updated issuer and a replica in ${env.drRegion}`,
      run: async () => {
        const cognito = regions.primary.cognito;
        const id = await poolIdByName(cognito, pool, env.primaryRegion);
        const p = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool ?? {};
        const problems: string[] = [];
        if (p.KeyConfiguration?.KeyType !== "CUSTOMER_MANAGED_KEY") problems.push("an AWS owned key");
        if (p.IssuerConfiguration?.Type !== "UPDATED") problems.push(`issuer ${p.IssuerConfiguration?.Type ?? "ORIGINAL"}`);
        const status = await secondaryStatus(cognito, id, env.drRegion);
        if (status !== "INACTIVE" && status !== "ACTIVE") problems.push(status ? `replica ${status}` : `no replica in ${env.drRegion}`);
        if (problems.length) throw new Error(`${problems.join("; ")} (npm run native-replica -- --env ${env.name} --stack primary repairs it)`);
        return `${id}: replica ${status}`;
      },
    },
    {
      role: "dr",
      what: `the replica of ${pool} in ${env.drRegion} is ACTIVE with its pre-token trigger ${n.fn("pre-token")} in ${env.drRegion}`,
      run: async () => {
        const cognito = regions.dr.cognito;
        const id = await poolIdByName(cognito, pool, env.drRegion);
        const status = await secondaryStatus(cognito, id, env.drRegion);
        const trigger = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool?.LambdaConfig?.PreTokenGenerationConfig?.LambdaArn;
        const problems: string[] = [];
        if (status !== "ACTIVE") problems.push(`replica ${status ?? "missing"}`);
        if (!trigger || trigger.split(":")[3] !== env.drRegion || !trigger.endsWith(`:function:${n.fn("pre-token")}`)) problems.push(`pre-token trigger ${trigger ?? "none"}`);
        if (problems.length) throw new Error(`${problems.join("; ")} (npm run native-replica -- --env ${env.name} --stack dr repairs it)`);
        return `${id} ACTIVE, trigger ${trigger}`;
      },
    },
  ];
}
