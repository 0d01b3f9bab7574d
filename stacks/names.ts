// Resource names derived from an environment. The DR stack finds the primary
// stack's shared resources (table, replica key) by these names, and the operator
// scripts find pools, tables and queues by them, so they live in one place.
import type { Environment } from "./environments";

export type Role = "primary" | "dr";

export interface Names {
  stack(role: Role): string;
  userPool(role: Role): string;
  appClient: string;
  table: string;
  /** Alias of the multi-Region key; the replica in the DR region carries the same alias. */
  kmsAlias: string;
  /** Native mode: alias of the user pool's multi-Region key (the same in both Regions). */
  poolKeyAlias: string;
  /** Sign-up capture's fallback queue and its DLQ (queue names are per region: the same in both). */
  fallbackQueue: string;
  fallbackDlq: string;
  /** The DR replicator's DLQ. */
  replicatorDlq: string;
  /** The DLQ of the replicator in `role`'s region (the primary's exists in two-way mode only). */
  replicatorDlqIn(role: Role): string;
  /** Change capture: the queue between the EventBridge rule and the function, its DLQ, the rule, the trail. */
  captureQueue: string;
  captureDlq: string;
  captureRule: string;
  trail: string;
  /** The scheduled reconcile's bucket (DR region): `<this>-<account>-<region>`, bucket names being global. */
  reconcileBucket: string;
  fn(handler: string): string;
  role(handler: string): string;
  /**
   * The role of `handler`'s function in `role`'s region. IAM role names are account-wide, so a
   * handler deployed in both regions has one unsuffixed role in its `home` region (the name it had
   * before two-way mode, so one-way deployments keep theirs) and `<handler>-<role>` in the other.
   */
  roleIn(handler: string, role: Role, home: Role): string;
  /** The permissions boundary policy every role of the stacks carries (created once per account, outside the stacks). */
  boundary: string;
}

export function names(env: Pick<Environment, "prefix" | "name">): Names {
  const p = env.prefix;
  return {
    stack: (role) => `${p}-${role}`,
    userPool: (role) => `${p}-users-${role}`,
    appClient: `${p}-app`,
    table: `${p}-replicated-users`,
    kmsAlias: `alias/${p}-replication`,
    poolKeyAlias: `alias/${p}-user-pool`,
    fallbackQueue: `${p}-replication-fallback`,
    fallbackDlq: `${p}-replication-fallback-dlq`,
    replicatorDlq: `${p}-replicator-dlq`,
    replicatorDlqIn: (role) => (role === "dr" ? `${p}-replicator-dlq` : `${p}-replicator-primary-dlq`),
    captureQueue: `${p}-change-capture`,
    captureDlq: `${p}-change-capture-dlq`,
    captureRule: `${p}-change-capture`,
    trail: `${p}-trail`,
    reconcileBucket: `${p}-reconcile`,
    fn: (handler) => `${p}-${handler}`,
    role: (handler) => `${p}-${handler}-role`,
    roleIn: (handler, role, home) => (role === home ? `${p}-${handler}-role` : `${p}-${handler}-${role}-role`),
    boundary: `${p}-boundary`,
  };
}
