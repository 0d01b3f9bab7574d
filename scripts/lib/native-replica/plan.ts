// Native Cognito replication's control, as a plan: from what the two Regions show now to the next
// steps that bring them to the wanted state. Pure, so every state a half-done run can leave
// (replica CREATING, INACTIVE without its per-Region settings, a pool key reset by a later
// terraform update of the pool, DELETING) has a tested next step; apply.ts observes, takes the
// first step, and observes again until nothing is left. Terraform cannot do this: hashicorp/aws
// 5.100.0 has no replica resource and never sends the pool's KeyConfiguration or
// IssuerConfiguration (sandbox/README.md: an update without them resets them).

export type ReplicaStatus = "CREATING" | "INACTIVE" | "ACTIVE" | "DELETING";
export type IssuerType = "ORIGINAL" | "UPDATED";

/** The per-Region settings the secondary keeps for itself (the developer guide's list). */
export interface RegionalSettings {
  EmailConfiguration?: Record<string, unknown>;
  SmsConfiguration?: Record<string, unknown>;
  LambdaConfig?: Record<string, unknown>;
  UserPoolTags?: Record<string, string>;
}

export interface ObservedReplication {
  primary: { tier?: string; keyType?: string; keyArn?: string; issuer?: string };
  /** The secondary, if a replica exists. */
  replica?: { region: string; status: ReplicaStatus };
  /** The secondary's per-Region settings, when it can be described (INACTIVE or ACTIVE). */
  regional?: RegionalSettings;
}

export interface WantedReplication {
  /** The secondary's Region. */
  region: string;
  /** The primary pool's key: a customer managed multi-Region key (its ARN in the primary Region). */
  keyArn: string;
  issuer: IssuerType;
  /** Per-Region settings of the secondary (email through SES in its Region, its triggers, tags). */
  regional: RegionalSettings;
}

export type ReplicaStep =
  | { kind: "configure-primary"; why: string }
  | { kind: "create-replica" }
  | { kind: "wait"; until: "INACTIVE" | "GONE"; why: string }
  | { kind: "set-regional-settings"; fields: string[] }
  | { kind: "activate" }
  | { kind: "deactivate" }
  | { kind: "delete-replica" };

export class ReplicationPlanError extends Error {}

/** Whether every key `want` sets has the same value in `have` (nested objects compared the same way). */
export function covers(have: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== "object" || Array.isArray(want)) return JSON.stringify(have) === JSON.stringify(want);
  if (have === null || typeof have !== "object") return false;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
}

/**
 * How far a run goes: `active` (the default), or `inactive`: the key, the issuer and a replica that
 * exists, not yet serving, so the DR stack can be applied against it (it finds the secondary in its
 * Region) before a second run sets the DR Region's settings that name the DR stack's function and
 * activates it.
 */
export type ReplicationGoal = "active" | "inactive";

/** The steps from `now` to a replica that is ACTIVE with the wanted key, issuer and per-Region settings (or only INACTIVE: `goal`). */
export function planReplication(now: ObservedReplication, want: WantedReplication, goal: ReplicationGoal = "active"): ReplicaStep[] {
  const steps = planToActive(now, want);
  if (goal === "active") return steps;
  // Up to a replica that exists and is INACTIVE or ACTIVE: nothing about the DR Region's settings, no activation.
  const settled = now.replica?.status === "INACTIVE" || now.replica?.status === "ACTIVE";
  return steps.filter((s) => s.kind === "configure-primary" || (!settled && (s.kind === "create-replica" || s.kind === "wait")));
}

function planToActive(now: ObservedReplication, want: WantedReplication): ReplicaStep[] {
  if (now.primary.tier === "LITE") throw new ReplicationPlanError("native replication needs the Essentials or Plus feature plan; the primary pool is LITE");
  if (now.replica && now.replica.region !== want.region) {
    throw new ReplicationPlanError(`the pool already has a replica in ${now.replica.region}, not ${want.region}: remove it first (a pool has at most one)`);
  }
  const steps: ReplicaStep[] = [];
  const keyWrong = now.primary.keyType !== "CUSTOMER_MANAGED_KEY" || now.primary.keyArn !== want.keyArn;
  const issuerWrong = (now.primary.issuer ?? "ORIGINAL") !== want.issuer;
  if (keyWrong || issuerWrong) {
    const why = [keyWrong ? `key ${now.primary.keyType === "CUSTOMER_MANAGED_KEY" ? now.primary.keyArn : "AWS owned"} instead of ${want.keyArn}` : "", issuerWrong ? `issuer ${now.primary.issuer ?? "ORIGINAL"} instead of ${want.issuer}` : ""].filter(Boolean).join("; ");
    steps.push({ kind: "configure-primary", why });
  }
  const status = now.replica?.status;
  if (status === undefined) return [...steps, { kind: "create-replica" }, { kind: "wait", until: "INACTIVE", why: "a new replica starts CREATING" }, { kind: "set-regional-settings", fields: regionalFields(want.regional) }, { kind: "activate" }];
  if (status === "DELETING") return [...steps, { kind: "wait", until: "GONE", why: "the replica is being deleted" }, { kind: "create-replica" }];
  if (status === "CREATING") return [...steps, { kind: "wait", until: "INACTIVE", why: "the replica is CREATING" }];
  const stale = regionalFields(want.regional).filter((f) => !covers(now.regional?.[f as keyof RegionalSettings], want.regional[f as keyof RegionalSettings]));
  if (stale.length > 0) steps.push({ kind: "set-regional-settings", fields: stale });
  if (status === "INACTIVE") steps.push({ kind: "activate" });
  return steps;
}

/** The steps that remove the replica: inactive before deleted, as AWS requires. */
export function planRemoval(now: ObservedReplication): ReplicaStep[] {
  switch (now.replica?.status) {
    case undefined:
      return [];
    case "ACTIVE":
      return [{ kind: "deactivate" }, { kind: "delete-replica" }, { kind: "wait", until: "GONE", why: "the replica is being deleted" }];
    case "INACTIVE":
      return [{ kind: "delete-replica" }, { kind: "wait", until: "GONE", why: "the replica is being deleted" }];
    case "CREATING":
      return [{ kind: "wait", until: "INACTIVE", why: "a replica is deleted once it is INACTIVE" }];
    case "DELETING":
      return [{ kind: "wait", until: "GONE", why: "the replica is being deleted" }];
  }
}

const regionalFields = (r: RegionalSettings): string[] => Object.keys(r).filter((k) => r[k as keyof RegionalSettings] !== undefined);
