// What a reviewed plan may not do without a named override: delete or replace a user pool, the
// replicated table or a KMS key. Read from `terraform show -json <planfile>` (Terraform's JSON
// output format: each `resource_changes[].change.actions` is one of ["no-op"], ["create"],
// ["read"], ["update"], ["delete"], ["delete","create"], ["create","delete"]; a replace contains
// "delete", "to allow callers to e.g. just scan the list for delete").

/** Resource types whose deletion loses users, records or the keys that decrypt them. */
export const PROTECTED_TYPES = ["aws_cognito_user_pool", "aws_dynamodb_table", "aws_kms_key", "aws_kms_replica_key"] as const;

export interface PlanJson {
  resource_changes?: Array<{ address: string; type: string; change: { actions: string[] } }>;
}

export interface DestructiveChange {
  address: string;
  type: string;
  /** `delete` or `replace`. */
  kind: "delete" | "replace";
}

/** Deletes and replaces of protected resources in a plan. */
export function destructiveChanges(plan: PlanJson): DestructiveChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => (PROTECTED_TYPES as readonly string[]).includes(rc.type) && rc.change.actions.includes("delete"))
    .map((rc) => ({ address: rc.address, type: rc.type, kind: rc.change.actions.includes("create") ? "replace" : "delete" }));
}

/** Counts of what a plan does, for the summary a reviewer reads. */
export function planCounts(plan: PlanJson): { create: number; update: number; delete: number; replace: number } {
  const out = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions;
    if (a.includes("delete") && a.includes("create")) out.replace++;
    else if (a.includes("delete")) out.delete++;
    else if (a.includes("create")) out.create++;
    else if (a.includes("update")) out.update++;
  }
  return out;
}

/**
 * The destructive changes not covered by the override (`ALLOW_DESTROY`: comma-separated resource
 * addresses, each named on purpose: there is no wildcard).
 */
export function unapproved(changes: DestructiveChange[], allowed: string | undefined): DestructiveChange[] {
  const names = new Set((allowed ?? "").split(",").map((s) => s.trim()).filter(Boolean));
  return changes.filter((c) => !names.has(c.address));
}
