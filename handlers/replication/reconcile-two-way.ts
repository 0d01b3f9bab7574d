// What reconcile decides differently in two-way mode (D6, D12), kept pure beside the core:
// - a DR user the primary lacks is `missing_in_primary` (to copy there) when it was born in DR (no
//   canonical id attribute: its `sub` is its id) or its latest table record originates in the DR
//   region; else it is `extra_in_dr` as in one-way mode (the primary deleted it, or nobody made it);
// - a primary user DR lacks whose latest record is a DR-origin tombstone was deleted in DR: the
//   primary's replicator removes it, reconcile must not re-create it in DR;
// - two canonical ids holding one email across the pools (a sign-up in each region during a split)
//   are `same_email` pairs: reported with both ids and regions, never the email, and never merged.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { NOT_A_RECORD_MARK } from "../contract";
import { classifyAwsError } from "../shared/classify";
import { attributeMap } from "./attributes";
import { desiredAttributes } from "./plan";
import { bornInPool, recordFromUser, replicable, type RecordContext } from "./pool-users";
import type { ReplicatedUser } from "./record";
import type { DriftItem } from "./reconcile";
import type { ReplicationConfig } from "./replication-config";

/** The table's latest record of a canonical id (the DR replica in the tools and the scheduled run). */
export interface RecordReader {
  read(canonicalId: string): Promise<ReplicatedUser | undefined>;
}

/** The table's record of `id`, or undefined when there is none, it cannot be read as one, or `id` is not a record key (D4). */
export async function latestRecord(records: RecordReader | undefined, id: string): Promise<ReplicatedUser | undefined> {
  if (!records || id.includes(NOT_A_RECORD_MARK)) return undefined;
  try {
    return await records.read(id);
  } catch {
    return undefined; // an unreadable record says nothing about origin: the DR user is judged by itself
  }
}

export interface DrOnlyVerdict {
  kind: "missing_in_primary" | "extra_in_dr";
  detail: string;
}

/** A DR user whose canonical id the primary pool lacks, given the table's latest record of that id. */
export function classifyDrOnly(user: UserType, record: ReplicatedUser | undefined, drRegion: string, config: ReplicationConfig): DrOnlyVerdict {
  if (record?.deleted) return { kind: "extra_in_dr", detail: `deleted in ${record.originRegion === drRegion ? "DR" : "the primary"} (the latest record is a tombstone)` };
  if (record && record.originRegion === drRegion) return { kind: "missing_in_primary", detail: "the latest record originates in DR; no primary user with this canonical id" };
  if (bornInPool(user, config)) return { kind: "missing_in_primary", detail: "born in DR (its sub is its canonical id); no primary user with this canonical id" };
  return { kind: "extra_in_dr", detail: "canonical id not in the primary pool" };
}

/** Whether a primary user's missing DR copy is a deletion made in DR (not to be re-created there). */
export function deletedInDr(record: ReplicatedUser | undefined, drRegion: string): boolean {
  return record?.deleted === true && record.originRegion === drRegion;
}

export interface SameEmailPair {
  /** Both holders, primary first: canonical ids (subs, not personal data) and regions. The email is never shown. */
  holders: Array<{ canonicalId: string; region: string; pool: "primary" | "dr" }>;
}

/**
 * Emails held by a primary user and a DR user of different canonical ids, each of which exists in
 * its own pool only (`ids` of each pool): two people who signed up with one email while the regions
 * were split. A holder that exists in both pools is a copy lagging behind an email change, which
 * the upsert repairs; it is not a pair. `idOf` gives each pool user's canonical id (D3). Each pool
 * holds an email once (the sign-in alias), so a pair is one user in each. Returns the pairs and
 * every canonical id in one.
 */
export function sameEmailPairs(
  primary: readonly UserType[],
  dr: readonly UserType[],
  idOf: { primary: (u: UserType) => string | undefined; dr: (u: UserType) => string | undefined },
  regions: { primary: string; dr: string },
  ids: { primary: ReadonlySet<string>; dr: ReadonlySet<string> },
): { pairs: SameEmailPair[]; ids: Set<string> } {
  const byEmail = new Map<string, string>();
  for (const u of primary) {
    const email = attributeMap(u.Attributes).email?.toLowerCase();
    const id = idOf.primary(u);
    if (email && id && !ids.dr.has(id)) byEmail.set(email, id);
  }
  const pairs: SameEmailPair[] = [];
  const inPairs = new Set<string>();
  for (const u of dr) {
    const email = attributeMap(u.Attributes).email?.toLowerCase();
    const id = idOf.dr(u);
    const other = email ? byEmail.get(email) : undefined;
    if (!id || !other || other === id || ids.primary.has(id)) continue;
    pairs.push({ holders: [{ canonicalId: other, region: regions.primary, pool: "primary" }, { canonicalId: id, region: regions.dr, pool: "dr" }] });
    inPairs.add(other).add(id);
  }
  return { pairs, ids: inPairs };
}

/**
 * A DR user the primary lacks and must get: its drift item, and the record to copy there (DR origin;
 * none when it cannot be replicated, `invalid`, or when `blocked` says why not). Undefined: not
 * confirmed yet, so not replicable.
 */
export function missingInPrimary(
  u: UserType,
  groups: readonly string[],
  ctx: RecordContext & { canonicalId: string },
  why: { detail: string; stale: boolean; blocked?: string },
): { items: DriftItem[]; record?: ReplicatedUser } | undefined {
  if (!replicable(u)) return undefined;
  const base = { canonicalId: ctx.canonicalId, drUsername: u.Username };
  let record: ReplicatedUser;
  try {
    record = recordFromUser(u, groups, ctx);
    desiredAttributes(record, ctx.config); // one that cannot be created (no email) is invalid, not missing
  } catch (err) {
    return { items: [{ ...base, kind: "invalid", detail: classifyAwsError(err).message }] };
  }
  return { items: [{ ...base, kind: "missing_in_primary", detail: why.blocked ?? why.detail, missedByCapture: why.stale }], record: why.blocked ? undefined : record };
}
