// Which primary users dispute a canonical id. A primary user's canonical id is its own `sub`
// (pool-users.ts, primaryCanonicalId); a `custom:canonical_id` on a primary user is a claim
// replication never made in one-way mode, so it is reported, never followed:
// - the user carrying it is in conflict (whatever the value: someone set it outside replication);
// - a user whose `sub` another primary user claims is in conflict too, because a repair in either
//   direction could put one person's email on the other's DR account, where EMAIL_OTP signs in
//   whoever owns the email (issue 20).
// Reconcile repairs neither side of a conflict; an operator removes the attribute from the primary
// user that should not carry it and runs it again.
// Two-way mode (D3): the primary replicator's copy of a user born in DR carries that user's DR `sub`
// in the attribute, so a value naming no primary user's `sub` is that user's canonical id, not a
// conflict; a value naming another primary user's `sub` still is, and so are two primary users
// claiming one id.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { attributeMap } from "./attributes";
import { canonicalIdAttributeName, type ReplicationConfig } from "./replication-config";
import type { ReplicationMode } from "../contract";

/**
 * The `custom:canonical_id` a primary user carries when it is not the user's own `sub`; undefined
 * when absent or equal to `sub` (harmless: it names the user itself).
 */
export function claimedCanonicalId(user: UserType, config: ReplicationConfig): string | undefined {
  const attrs = attributeMap(user.Attributes);
  const claimed = attrs[canonicalIdAttributeName(config)]?.trim();
  return claimed && claimed !== attrs.sub ? claimed : undefined;
}

export interface CanonicalConflict {
  /** The user's own `sub` (its canonical id). */
  canonicalId?: string;
  /** Names subs only, never the attribute's value unless it is a sub of this pool. */
  detail: string;
}

/** Every primary user in a canonical-id conflict, with why. Users not in the map are not in one. */
export function primaryConflicts(users: readonly UserType[], config: ReplicationConfig, mode: ReplicationMode = "one-way"): Map<UserType, CanonicalConflict> {
  const subOf = (u: UserType) => attributeMap(u.Attributes).sub || undefined;
  const bySub = new Map<string, UserType>();
  for (const u of users) {
    const sub = subOf(u);
    if (sub) bySub.set(sub, u);
  }
  /** sub -> the subs of the other users claiming it. */
  const claimedBy = new Map<string, string[]>();
  const out = new Map<UserType, CanonicalConflict>();
  /** Two-way: claimed id -> the users carrying it (a copy of a DR-born user: one). */
  const holders = new Map<string, UserType[]>();
  for (const u of users) {
    const claimed = claimedCanonicalId(u, config);
    if (!claimed) continue;
    const sub = subOf(u);
    if (mode === "two-way" && !bySub.has(claimed)) {
      holders.set(claimed, [...(holders.get(claimed) ?? []), u]);
      continue;
    }
    if (bySub.has(claimed)) {
      claimedBy.set(claimed, [...(claimedBy.get(claimed) ?? []), sub ?? "(no sub)"]);
      out.set(u, { canonicalId: sub, detail: `custom:canonical_id claims the canonical id of another primary user (${claimed}); replication never sets it on a primary user` });
    } else {
      // The value may be anything a client or an administrator wrote: it is not shown.
      out.set(u, { canonicalId: sub, detail: "custom:canonical_id set on a primary user (value not shown); replication never sets it on a primary user" });
    }
  }
  for (const [claimed, list] of holders) {
    if (list.length < 2) continue;
    for (const u of list) {
      out.set(u, { canonicalId: claimed, detail: `${list.length} primary users carry this canonical id in custom:canonical_id (${list.map((x) => subOf(x) ?? "(no sub)").join(", ")})` });
    }
  }
  for (const [sub, claimers] of claimedBy) {
    // A user claiming its own sub never gets here (claimedCanonicalId), so the victim is someone else.
    const victim = bySub.get(sub)!;
    const claimed = `another primary user claims this canonical id in custom:canonical_id (${claimers.join(", ")})`;
    const own = out.get(victim);
    out.set(victim, { canonicalId: sub, detail: own ? `${own.detail}; ${claimed}` : claimed });
  }
  return out;
}
