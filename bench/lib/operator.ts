// Backfill and reconcile throughput: the operator CLIs (scripts/operator/backfill.ts,
// scripts/operator/reconcile.ts) run as child processes with `--env local --json`, exactly
// as an operator runs them, against scratch pools in the benchmark's sandbox.
//
// Why scratch pools: the deployed pools use email as the username, and moto finds
// such users by scanning every user of the pool, so N users there cost O(N^2) in the
// fake, not in Cognito. The scratch pools use plain usernames and the same custom
// attribute (canonical_id); the tools do the same calls either way. The backfill
// writes into a scratch table with the deployed table's key (its records would
// otherwise be replicated into the deployed DR pool: that path is the replicator
// benchmark's). Seeding goes straight to moto (no quotas, no gateway), so seeding
// time is not part of any figure.
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { CreateTableCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { TABLE_KEY } from "../../handlers/contract";
import type { BackfillReport } from "../../scripts/operator/backfill";
import type { ReconcileReport } from "../../scripts/operator/reconcile";
import { mapLimit } from "../../scripts/lib/map-limit";
import { COGNITO_QUOTAS } from "../../handlers/replication/cognito-quotas";
import { CANONICAL_ID_ATTRIBUTE } from "../../handlers/contract";
import { spawnTool } from "../../test/support/tool-process";
import { ratio, round } from "./stats";
import { PERMANENT_PASSWORD_HEADER } from "@cognito-dr/sandbox";
import type { BenchWorld } from "./world";

export interface Seeded {
  primaryPoolId: string;
  drPoolId: string;
  users: number;
  canonicalIds: string[];
  seedSeconds: number;
}

const SEED_PASSWORD = "Seeded-Passw0rd!";

/** AdminCreateUser through this client stores the user CONFIRMED with its TemporaryPassword (the sandbox's moto patch). */
function confirmedCreates(client: CognitoIdentityProviderClient): CognitoIdentityProviderClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[PERMANENT_PASSWORD_HEADER] = "1";
      return next(args);
    },
    { step: "build", name: "sandboxConfirmedCreate" },
  );
  return client;
}

async function createPool(cognito: CognitoIdentityProviderClient, name: string): Promise<string> {
  const out = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: name,
      Schema: [{ Name: CANONICAL_ID_ATTRIBUTE, AttributeDataType: "String", Mutable: true }],
    }),
  );
  return out.UserPool!.Id!;
}

/**
 * N users in a scratch primary pool and the same N, replicated, in a scratch DR pool: each DR user
 * carries its primary user's `sub` as canonical id (one-way mode trusts only the primary's `sub`),
 * and both are CONFIRMED (created with a permanent password straight in moto), so reconcile finds
 * every user in sync. Needs only moto, so it runs while the stacks deploy.
 */
export async function seedPools(
  target: { motoEndpoint: string; primaryRegion: string; drRegion: string },
  users: number,
  log: (s: string) => void,
): Promise<Seeded> {
  const common = { endpoint: target.motoEndpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" }, maxAttempts: 5 };
  const primary = confirmedCreates(new CognitoIdentityProviderClient({ ...common, region: target.primaryRegion }));
  const dr = confirmedCreates(new CognitoIdentityProviderClient({ ...common, region: target.drRegion }));
  const tag = randomUUID().slice(0, 6);
  const primaryPoolId = await createPool(primary, `bench-ops-primary-${tag}`);
  const drPoolId = await createPool(dr, `bench-ops-dr-${tag}`);
  const canonicalIds: string[] = new Array<string>(users);
  const started = performance.now();
  let done = 0;
  await mapLimit(Array.from({ length: users }, (_, i) => i), 8, async (i) => {
    const attrs = [
      { Name: "email", Value: `ops-${tag}-${i}@example.com` },
      { Name: "email_verified", Value: "true" },
      { Name: "given_name", Value: `Given${i}` },
      { Name: "family_name", Value: `Family-${tag}` },
    ];
    const created = await primary.send(new AdminCreateUserCommand({ UserPoolId: primaryPoolId, Username: `p-${i}`, MessageAction: "SUPPRESS", TemporaryPassword: SEED_PASSWORD, UserAttributes: attrs }));
    const sub = created.User?.Attributes?.find((a) => a.Name === "sub")?.Value;
    if (!sub) throw new Error(`seeding: moto returned no sub for primary user p-${i}`);
    canonicalIds[i] = sub;
    await dr.send(
      new AdminCreateUserCommand({
        UserPoolId: drPoolId,
        Username: `ops-${tag}-${i}@example.com`,
        MessageAction: "SUPPRESS",
        TemporaryPassword: SEED_PASSWORD,
        UserAttributes: [...attrs, { Name: `custom:${CANONICAL_ID_ATTRIBUTE}`, Value: sub }],
      }),
    );
    if (++done % 5000 === 0) log(`seeded ${done}/${users} users in both scratch pools`);
  });
  primary.destroy();
  dr.destroy();
  return { primaryPoolId, drPoolId, users, canonicalIds, seedSeconds: round((performance.now() - started) / 1000, 1) };
}

interface ChildRun<T> {
  code: number | null;
  report: T;
  wallSeconds: number;
  stderr: string;
}

async function runTool<T>(w: BenchWorld, tool: "backfill" | "reconcile", args: string[]): Promise<ChildRun<T>> {
  const started = performance.now();
  const { code, stdout, stderr } = await spawnTool(tool, ["--json", ...args], w.sandbox.endpoint).done;
  const wallSeconds = (performance.now() - started) / 1000;
  try {
    return { code, report: JSON.parse(stdout) as T, wallSeconds, stderr };
  } catch {
    throw new Error(`${tool} exited ${code} without a JSON report: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
}

export interface BackfillResult {
  users: number;
  boundPerSec: number;
  achievedPerSec: number;
  ratio: number;
  lost: number;
  bound: string;
  seconds: number;
  wallSeconds: number;
  exitCode: number | null;
  counts: BackfillReport["counts"];
  rates: BackfillReport["rates"];
}

/**
 * `backfill --env local` in table mode at 100 % of Cognito's default quotas
 * (`--quota-share 1`): ListUsers 30/s x 60 users, record writes at the DR
 * UserCreation quota (50/s) because each record becomes one AdminCreateUser in DR.
 */
export async function benchBackfill(w: BenchWorld, seeded: Seeded, log: (s: string) => void): Promise<BackfillResult> {
  await w.reset();
  const table = `bench-backfill-${randomUUID().slice(0, 6)}`;
  await w.primary.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: TABLE_KEY, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: TABLE_KEY, AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  log(`backfill: ${seeded.users} users at the default quotas (bound ${COGNITO_QUOTAS.UserCreation}/s), about ${Math.ceil(seeded.users / COGNITO_QUOTAS.UserCreation)} s`);
  const run = await runTool<BackfillReport>(w, "backfill", [
    "--primary-pool",
    seeded.primaryPoolId,
    "--table",
    table,
    "--checkpoint",
    join(w.workDir, `${table}.checkpoint.json`),
    "--quota-share",
    "1",
  ]);
  const found = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await w.primary.dynamodb.send(new ScanCommand({ TableName: table, ProjectionExpression: TABLE_KEY, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) found.add(item[TABLE_KEY]?.S ?? "");
    start = page.LastEvaluatedKey;
  } while (start);
  const lost = seeded.canonicalIds.filter((id) => !found.has(id)).length;
  const bound = Math.min(COGNITO_QUOTAS.UserCreation, COGNITO_QUOTAS.UserList * 60);
  const achieved = run.report.counts.listed / run.report.seconds;
  return {
    users: seeded.users,
    boundPerSec: bound,
    achievedPerSec: round(achieved, 1),
    ratio: ratio(achieved, bound),
    lost,
    bound: "min(record writes at the DR UserCreation quota 50/s, ListUsers 30/s x 60 users) = 50 users/s; table mode, --quota-share 1",
    seconds: run.report.seconds,
    wallSeconds: round(run.wallSeconds, 1),
    exitCode: run.code,
    counts: run.report.counts,
    rates: run.report.rates,
  };
}

export interface ReconcileBenchResult {
  users: number;
  boundPerSec: number;
  achievedPerSec: number;
  ratio: number;
  bound: string;
  seconds: number;
  listSeconds: number;
  wallSeconds: number;
  exitCode: number | null;
  inSync: number;
  drift: number;
  /** The reconcile process's peak RSS: both listings are held for the join. */
  peakRssMb: number;
  /** What the listings took on disk while they waited for the join (MB), and per listed user (bytes). */
  spilledMb?: number;
  spilledBytesPerUser?: number;
  listing?: ReconcileReport["listing"];
}

/** `reconcile --env local` (dry run) over two pools of N matching users, at 100 % of the quotas. */
export async function benchReconcile(w: BenchWorld, seeded: Seeded, log: (s: string) => void): Promise<ReconcileBenchResult> {
  await w.reset();
  log(`reconcile: ${seeded.users} users in each pool at the default quotas (ListUsers 30/s per region)`);
  const run = await runTool<ReconcileReport>(w, "reconcile", ["--primary-pool", seeded.primaryPoolId, "--dr-pool", seeded.drPoolId, "--quota-share", "1"]);
  const bound = COGNITO_QUOTAS.UserList * 60;
  const achieved = seeded.users / run.report.seconds;
  return {
    users: seeded.users,
    boundPerSec: bound,
    achievedPerSec: round(achieved, 1),
    ratio: ratio(achieved, bound),
    bound: "ListUsers 30/s x 60 users a page, per pool; the two pools (two regions, two quotas) are listed in parallel",
    seconds: run.report.seconds,
    listSeconds: run.report.listSeconds,
    wallSeconds: round(run.wallSeconds, 1),
    exitCode: run.code,
    inSync: run.report.counts.inSync,
    drift: run.report.drift.length,
    peakRssMb: run.report.peakRssMb,
    spilledMb: run.report.spilledMb,
    spilledBytesPerUser: Math.round((run.report.spilledMb * 1e6) / (2 * seeded.users)),
    listing: run.report.listing,
  };
}
