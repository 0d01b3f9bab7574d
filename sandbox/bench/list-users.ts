// How long moto takes to list a pool's users, all pages: unfiltered, and as 16 segments by sub
// prefix listed in parallel (as the reconcile and backfill tools list a pool). Seeds straight
// into moto (no gateway, no quotas), like bench/lib/operator.ts.
//
//   npx tsx sandbox/bench/list-users.ts 10000 50000
//
// The moto is the sandbox's (sandbox/moto_server.py); MOTO_SERVER=<command> runs another (an
// older moto_server.py, for a before/after figure).
import { performance } from "node:perf_hooks";
import { motoJson } from "../aws";
import { startMoto } from "../moto";

const REGION = "us-east-1";

/** fn over items, at most `limit` at a time; results in the items' order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function listAll(endpoint: string, pool: string, filter?: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page: { Users: unknown[]; PaginationToken?: string } = await motoJson(endpoint, "cognito-idp", REGION, "ListUsers", {
      UserPoolId: pool,
      Limit: 60,
      ...(filter ? { Filter: filter } : {}),
      ...(token ? { PaginationToken: token } : {}),
    });
    count += page.Users.length;
    token = page.PaginationToken;
  } while (token);
  return count;
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error("usage: list-users.ts <users> [<users> ...]");
  const moto = await startMoto();
  try {
    for (const users of sizes) {
      const pool: string = (await motoJson(moto.endpoint, "cognito-idp", REGION, "CreateUserPool", { PoolName: `list-${users}` })).UserPool.Id;
      const seedStart = performance.now();
      await mapLimit(
        Array.from({ length: users }, (_, i) => i),
        8,
        (i) =>
          motoJson(moto.endpoint, "cognito-idp", REGION, "AdminCreateUser", {
            UserPoolId: pool,
            Username: `u-${i}`,
            MessageAction: "SUPPRESS",
            UserAttributes: [
              { Name: "email", Value: `u-${i}@example.com` },
              { Name: "given_name", Value: `Given${i}` },
              { Name: "family_name", Value: "Family" },
            ],
          }),
      );
      const seedSeconds = (performance.now() - seedStart) / 1000;
      let started = performance.now();
      const unfiltered = await listAll(moto.endpoint, pool);
      const unfilteredSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      const segments = await mapLimit([..."0123456789abcdef"], 16, (p) => listAll(moto.endpoint, pool, `sub ^= "${p}"`));
      const segmentedSeconds = (performance.now() - started) / 1000;
      const segmented = segments.reduce((a, b) => a + b, 0);
      if (unfiltered !== users || segmented !== users) throw new Error(`listed ${unfiltered} unfiltered and ${segmented} by segment, seeded ${users}`);
      console.log(JSON.stringify({ users, seedSeconds: +seedSeconds.toFixed(1), unfilteredSeconds: +unfilteredSeconds.toFixed(2), segments16Seconds: +segmentedSeconds.toFixed(2) }));
    }
  } finally {
    await moto.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
