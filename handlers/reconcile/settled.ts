// A pass lists its segments over an hour or more, so a user changed meanwhile may be listed before
// the change in one pool and after it in the other: comparing those two would "repair" DR back to
// the older state (the replicator already carried the newer one). So a user modified in either
// pool since the pass started is left out of this pass's comparison, with its twin in the other
// pool (by canonical id), and counted; the next pass, or the replicator, takes care of it.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import type { ReplicationMode } from "../contract";
import { drCanonicalId, primaryCanonicalId } from "../replication/pool-users";
import type { PoolListings } from "../replication/reconcile";
import type { ReplicationConfig } from "../replication/replication-config";

const modifiedSince = (u: UserType, since: number) => !!u.UserLastModifiedDate && new Date(u.UserLastModifiedDate).getTime() >= since;

export function settledListings(listings: PoolListings, since: number, config: ReplicationConfig, mode: ReplicationMode): { listings: PoolListings; changedDuringPass: number } {
  const pId = (u: UserType) => primaryCanonicalId(u, config, mode);
  const dId = (u: UserType) => drCanonicalId(u, config, mode);
  const changed = new Set<string>();
  for (const u of listings.primary) if (modifiedSince(u, since)) changed.add(pId(u) ?? `primary:${u.Username}`);
  for (const u of listings.dr) if (modifiedSince(u, since)) changed.add(dId(u) ?? `dr:${u.Username}`);
  if (changed.size === 0) return { listings, changedDuringPass: 0 };
  return {
    listings: {
      ...listings,
      primary: listings.primary.filter((u) => !changed.has(pId(u) ?? `primary:${u.Username}`)),
      dr: listings.dr.filter((u) => !changed.has(dId(u) ?? `dr:${u.Username}`)),
    },
    changedDuringPass: changed.size,
  };
}
