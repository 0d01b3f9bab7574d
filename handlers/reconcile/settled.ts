// A pass lists its segments over an hour or more, so a user changed meanwhile may be listed before
// the change in one pool and after it in the other: comparing those two would "repair" DR back to
// the older state (the replicator already carried the newer one). So a user modified in either
// pool since the pass started is left out of this pass's comparison, with its twin in the other
// pool (by canonical id), and counted; the next pass, or the replicator, takes care of it.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import type { ReplicationMode } from "../contract";
import { drCanonicalId, primaryCanonicalId } from "../replication/pool-users";
import type { ReplicationConfig } from "../replication/replication-config";

const modifiedSince = (u: UserType, since: number) => !!u.UserLastModifiedDate && new Date(u.UserLastModifiedDate).getTime() >= since;

/**
 * One partition's users of both pools without those changed since `since`, and their copies in the
 * other pool (reconcilePools' `settle`: a user and its copy share a partition). `changed` collects
 * the canonical ids left out, so a partition read twice counts them once.
 */
export function settledUsers(primary: UserType[], dr: UserType[], since: number, config: ReplicationConfig, mode: ReplicationMode, changed: Set<string>): { primary: UserType[]; dr: UserType[] } {
  const pId = (u: UserType) => primaryCanonicalId(u, config, mode) ?? `primary:${u.Username}`;
  const dId = (u: UserType) => drCanonicalId(u, config, mode) ?? `dr:${u.Username}`;
  const here = new Set<string>();
  for (const u of primary) if (modifiedSince(u, since)) here.add(pId(u));
  for (const u of dr) if (modifiedSince(u, since)) here.add(dId(u));
  if (here.size === 0) return { primary, dr };
  for (const id of here) changed.add(id);
  return { primary: primary.filter((u) => !here.has(pId(u))), dr: dr.filter((u) => !here.has(dId(u))) };
}
