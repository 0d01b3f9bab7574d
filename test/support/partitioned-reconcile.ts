// Runs a reconcile twice, whole listings in memory (one partition) and spilled to files in several
// partitions, and checks both find the same: the join by partition must not change what reconcile
// reports. The existing reconcile tests go through it, so every scenario they build (conflicts,
// users outside the listing, twins, same-email pairs) is checked across partitions too. Runs that
// repair change the pools, so only the first run of those is made.
import { expect } from "vitest";
import type { ReconcileOptions, ReconcileResult } from "../../handlers/replication/reconcile";
import { FilePartitions } from "../../handlers/replication/user-partitions";

/** More partitions than most tests have users: users and their DR copies land apart. */
export const TEST_PARTITIONS = 5;

function comparable(r: ReconcileResult) {
  const sorted = <T>(xs: readonly T[]) => xs.map((x) => JSON.stringify(x)).sort();
  return { counts: r.counts, drift: sorted(r.drift), unverifiedEmail: sorted(r.unverifiedEmail), sameEmail: sorted(r.sameEmail), missedByCapture: r.missedByCapture, unrepaired: r.unrepaired, listing: r.listing };
}

export async function inBothPartitionings(run: (opts: ReconcileOptions) => Promise<ReconcileResult>, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const whole = await run(opts);
  if (opts.apply || opts.partitions) return whole;
  const parts = new FilePartitions(TEST_PARTITIONS);
  try {
    const split = await run({ ...opts, partitions: parts });
    expect(comparable(split), `reconcile in ${TEST_PARTITIONS} partitions on disk found other drift than in one`).toEqual(comparable(whole));
  } finally {
    parts.close();
  }
  return whole;
}
