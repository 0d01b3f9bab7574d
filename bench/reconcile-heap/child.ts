// One reconcile over two generated pools of `users` matching users (nothing stored in the fakes:
// each ListUsers page is made when asked), its listings in memory or on disk, in this process:
// the parent (./run.ts) starts it with a V8 heap limit and reads its one JSON line.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { reconcilePools } from "../../handlers/replication/reconcile";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { FilePartitions, MemoryPartitions, RECONCILE_PARTITIONS } from "../../handlers/replication/user-partitions";

const [users, where] = [Number(process.argv[2]), process.argv[3]];
if (!(users > 0) || (where !== "disk" && where !== "memory")) throw new Error("usage: child.ts <users> disk|memory");

/** A UUID-shaped id for user i of a pool. */
const id = (i: number, pool: string) => `${(Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, "0")}-${pool}000-4000-8000-${String(i).padStart(12, "0")}`;
const at = new Date("2026-11-01T00:00:00Z");

function user(i: number, side: "primary" | "dr"): UserType {
  const canonical = id(i, "a");
  const own = side === "primary" ? canonical : id(i, "b");
  const attrs = [
    { Name: "sub", Value: own },
    { Name: "email", Value: `firstname.lastname${i}@example-company.com` },
    { Name: "email_verified", Value: "true" },
    { Name: "name", Value: "Firstname Lastname" },
    ...(side === "dr" ? [{ Name: "custom:canonical_id", Value: canonical }] : []),
  ];
  return { Username: own, Enabled: true, UserStatus: "CONFIRMED", UserCreateDate: at, UserLastModifiedDate: at, Attributes: attrs };
}

function pool(side: "primary" | "dr") {
  return {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (cmd.constructor.name === "ListGroupsCommand") return { Groups: [] };
      if (cmd.constructor.name !== "ListUsersCommand") throw new Error(`not answered here: ${cmd.constructor.name}`);
      const start = Number(cmd.input.PaginationToken ?? 0);
      const page = Array.from({ length: Math.max(0, Math.min(60, users - start)) }, (_, k) => user(start + k, side));
      return { Users: page, PaginationToken: start + 60 < users ? String(start + 60) : undefined };
    },
  };
}

void (async () => {
  const parts = where === "disk" ? new FilePartitions(RECONCILE_PARTITIONS) : new MemoryPartitions();
  try {
    const r = await reconcilePools(
      { primary: pool("primary") as never, dr: pool("dr") as never, primaryPoolId: "us-east-1_aaaaaaaaa", drPoolId: "us-west-2_bbbbbbbbb", primaryRegion: "us-east-1", config: replicationConfig(), ttlDays: 30 },
      // One sequential walk per pool (a filter), unmetered: the listing is not what is measured.
      { filter: 'email ^= "f"', partitions: parts, listRate: 1e9 },
    );
    const spilled = parts instanceof FilePartitions ? parts.bytesWritten : 0;
    console.log(JSON.stringify({ inSync: r.counts.inSync, drift: r.drift.length, seconds: r.seconds, spilledBytesPerUser: Math.round(spilled / (2 * users)), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } finally {
    parts.close();
  }
})();
