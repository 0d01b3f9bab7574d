// What only the pipeline's own steps (plan, deploy) check and print: the DR stack's need of
// the primary stack's table, and terraform's one-line summary of a run from its log.
import { DescribeTableCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { readFileSync } from "node:fs";
import type { Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import { regionClients } from "../lib/clients";
import { PipelineError } from "../lib/errors";

export const PRIMARY_FIRST = "apply the primary stack first";

/**
 * The DR stack finds the replica table (and its stream) by name in the DR
 * region; before the primary stack has created it, say so instead of letting
 * terraform fail on a data source.
 */
export async function requirePrimaryApplied(env: Environment): Promise<void> {
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

/** The line terraform ends an apply/plan/destroy with, from its log. */
export function summaryLine(log: string): string | undefined {
  const text = readFileSync(log, "utf8");
  for (const re of [/^(Apply complete!.*)$/m, /^(Destroy complete!.*)$/m, /^(Plan: .*)$/m, /^(No changes\..*)$/m]) {
    const m = text.match(re);
    if (m) return m[1];
  }
  return undefined;
}

