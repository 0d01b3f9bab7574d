// What only the pipeline's own steps (plan, deploy) check and print: the DR stack's need of
// the primary stack's table (native mode: of the primary pool's replica), and terraform's one-line
// summary of a run from its log.
import { DescribeTableCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { readFileSync } from "node:fs";
import type { Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import { poolsNamed } from "../../handlers/replication/find-pool";
import { regionClients } from "../lib/clients";
import { PipelineError } from "../lib/errors";

export const PRIMARY_FIRST = "apply the primary stack first";

/**
 * The DR stack finds the replica table (and its stream) by name in the DR
 * region; before the primary stack has created it, say so instead of letting
 * terraform fail on a data source.
 */
export async function requirePrimaryApplied(env: Environment): Promise<void> {
  if (env.replication.engine === "native") return requireSecondary(env);
  const n = names(env);
  const { dynamodb } = regionClients(env, env.drRegion, { maxAttempts: 3 });
  try {
    const t = await dynamodb.send(new DescribeTableCommand({ TableName: n.table }));
    if (!t.Table?.LatestStreamArn) {
      throw new PipelineError(`the table ${n.table} in ${env.drRegion} has no stream yet: ${PRIMARY_FIRST} (npm run deploy:primary -- --env ${env.name}) and let it finish`);
    }
  } catch (e) {
    if (e instanceof ResourceNotFoundException) {
      throw new PipelineError(
        `the DR stack needs the replicated table ${n.table} in ${env.drRegion}, which does not exist: ${PRIMARY_FIRST} ` +
          `(npm run deploy:primary -- --env ${env.name}).`,
      );
    }
    throw e;
  } finally {
    dynamodb.destroy();
  }
}

/**
 * Native mode: the DR stack finds the secondary user pool by name in the DR Region, which exists
 * once the primary's apply ran its replica step (key, issuer, replica).
 */
async function requireSecondary(env: Environment): Promise<void> {
  const name = names(env).userPool("primary");
  const { cognito } = regionClients(env, env.drRegion, { maxAttempts: 3 });
  try {
    const { ids } = await poolsNamed(cognito, name);
    if (ids.length === 0) {
      throw new PipelineError(
        `the DR stack needs the replica of ${name} in ${env.drRegion}, which does not exist yet: ${PRIMARY_FIRST} ` +
          `(npm run apply -- --env ${env.name} --stack primary runs the replica step; alone: npm run native-replica -- --env ${env.name} --stack primary).`,
      );
    }
    if (ids.length > 1) throw new PipelineError(`${ids.length} user pools are named ${name} in ${env.drRegion} (${ids.join(", ")}): the DR stack needs exactly one, the primary's replica`);
  } finally {
    cognito.destroy();
  }
}

/** The line terraform ends an apply/plan/destroy with, from its log. */
export function summaryLine(log: string): string | undefined {
  const text = readFileSync(log, "utf8");
  for (const re of [/^(Apply complete!.*)$/m, /^(Destroy complete!.*)$/m, /^(Plan: .*)$/m, /^(No changes\..*)$/m]) {
    const m = text.match(re);
    if (m) return m[1];
  }
  return undefined;
}

