// The environment's replication mode (D1). Read through this accessor so the operator tools compile
// before `Environment.replication.mode` exists (the stacks' change adds it) and follow it after:
// an environment without the setting is one-way, today's behaviour.
import type { ReplicationMode } from "../../handlers/contract";
import { CliError, EXIT } from "./errors";
import type { Environment } from "../../stacks/environments";

export function replicationMode(env: Pick<Environment, "replication">): ReplicationMode {
  return (env.replication as { mode?: ReplicationMode }).mode ?? "one-way";
}

/**
 * The tools that work on this project's own replication (backfill, reconcile, redrive) refuse an
 * environment in native mode before they touch anything: there Cognito copies the directory, the
 * secondary takes no writes, and there is no table or dead-letter queue.
 */
export function requireCustomEngine(env: Pick<Environment, "name" | "replication">, tool: string): void {
  if (env.replication.engine !== "native") return;
  throw new CliError(`${tool} works on this project's replication; ${env.name} is in native mode (${env.name.toUpperCase()}_REPLICATION_MODE=native), where Cognito replicates the directory and the secondary takes no writes: npm run drift checks it instead`, EXIT.USAGE);
}
