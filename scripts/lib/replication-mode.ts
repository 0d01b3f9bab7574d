// The environment's replication mode (D1). Read through this accessor so the operator tools compile
// before `Environment.replication.mode` exists (the stacks' change adds it) and follow it after:
// an environment without the setting is one-way, today's behaviour.
import type { ReplicationMode } from "../../handlers/contract";
import type { Environment } from "../../stacks/environments";

export function replicationMode(env: Pick<Environment, "replication">): ReplicationMode {
  return (env.replication as { mode?: ReplicationMode }).mode ?? "one-way";
}
