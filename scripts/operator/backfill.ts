// backfill: every user of the primary pool through the normal replication path
// (a record in the table, which the replicator turns into the DR user) or, with
// --direct, straight into the DR pool through the shared upsert. Resumable from a
// checkpoint written atomically after each fully processed ListUsers page.
import "../lib/quiet-warnings";
import { BatchGetItemCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AdminGetUserCommand, DescribeUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { TABLE_KEY } from "../../handlers/contract";
import { attributeMap } from "../../handlers/replication/attributes";
import { classifyAwsError } from "../../handlers/shared/classify";
import { fromItem, type ReplicatedUser } from "../../handlers/replication/record";
import { replicationConfig, type ReplicationConfig } from "../../handlers/replication/replication-config";
import { putRecord } from "../../handlers/replication/table";
import { planUser, upsertDrUser, type UpsertContext } from "../../handlers/replication/upsert";
import type { Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import {
  CliError,
  COGNITO_QUOTAS,
  COMMON_HELP,
  EXIT,
  EXIT_CODES_HELP,
  numberFlag,
  parseFlags,
  Progress,
  RATE_HELP,
  RATE_OPTIONS,
  rateLimits,
  rateLines,
  RegionLimiter,
  rememberEnvironment,
  runMain,
  resolveEnvironment,
  round,
  stringFlag,
  table,
  TokenBucket,
  type CliIo,
  type RateReport,
} from "../lib/cli";
import { bothRegions } from "../lib/clients";
import { mapLimit } from "../lib/map-limit";
import { findPool } from "./target";
import { groupMembership, listUsersPage, recordFromUser, replicable } from "../../handlers/replication/pool-users";
import { sameContent } from "../../handlers/replication/pool-users";

export const BACKFILL_HELP = `Usage: npm run backfill -- --env <name> [options]

Feeds every user of the primary pool through replication: writes each user's record to the
replicated table (the DR replicator then creates or updates the DR user), or with --direct upserts
the DR user itself through the same code the replicator uses. Unconfirmed sign-ups are skipped.
A user whose record in the table already says the same is not written again, so re-running a
finished backfill changes nothing.

Resuming: after each ListUsers page is fully processed the checkpoint file (pagination token,
page index, counts) is replaced atomically. A killed run started again with the same flags
continues after the last completed page; a finished checkpoint makes a re-run a no-op
(--restart starts over).

Options:
  --direct                 upsert into the DR pool instead of writing table records
  --dry-run                report what would be written/created/updated; changes nothing
  --checkpoint <file>      checkpoint path (default ./backfill-<env>-<table|direct>.checkpoint.json)
  --restart                ignore an existing checkpoint and start from the first page
  --filter <expr>          ListUsers filter, e.g. 'email ^= "user-"' (only those users)
  --concurrency <n>        users in flight at once (default 16)
  --write-rate <n>         table records/s (default: the --create-rate, so the replicator keeps
                           within the DR pool's UserCreation quota)
  --primary-pool <name|id> default: the environment's primary pool name
  --dr-pool <name|id>      default: the environment's DR pool name (--direct)
  --table <name>           default: the environment's replicated table
${RATE_HELP}
${COMMON_HELP}

${EXIT_CODES_HELP}
  (backfill does not use 1)

Example:
  npm run backfill -- --env local --progress
  npm run backfill -- --env prod --direct --dry-run --json`;

export const BACKFILL_OPTIONS = {
  ...RATE_OPTIONS,
  direct: { type: "boolean", default: false },
  "dry-run": { type: "boolean", default: false },
  checkpoint: { type: "string" },
  restart: { type: "boolean", default: false },
  filter: { type: "string" },
  concurrency: { type: "string" },
  "write-rate": { type: "string" },
  "primary-pool": { type: "string" },
  "dr-pool": { type: "string" },
  table: { type: "string" },
} as const;

export interface BackfillCounts {
  listed: number;
  skipped: number;
  /** Table mode: records written. */
  written: number;
  /** Direct mode. */
  created: number;
  updated: number;
  /** Already matching (table record with the same content, or DR user unchanged). */
  unchanged: number;
  /** Table mode: a newer record was there first (a concurrent change). */
  newer: number;
  failed: number;
}

export interface Checkpoint {
  version: 1;
  tool: "backfill";
  env: string;
  mode: "table" | "direct";
  primaryPoolId: string;
  filter?: string;
  pageIndex: number;
  nextToken?: string;
  done: boolean;
  counts: BackfillCounts;
  failures: Failure[];
  updatedAt: string;
}

export interface Failure {
  username?: string;
  canonicalId?: string;
  reason: string;
  message: string;
}

const zeroCounts = (): BackfillCounts => ({ listed: 0, skipped: 0, written: 0, created: 0, updated: 0, unchanged: 0, newer: 0, failed: 0 });

/** Replaces `path` atomically: write + fsync a temporary file beside it, then rename over. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: Checkpoint;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Checkpoint;
  } catch {
    throw new CliError(`checkpoint ${path} is not valid JSON; remove it or pass --restart`);
  }
  if (parsed?.tool !== "backfill" || parsed.version !== 1) throw new CliError(`${path} is not a backfill checkpoint; remove it or pass --restart`);
  return parsed;
}

export function replicationConfigOf(env: Environment): ReplicationConfig {
  return replicationConfig({ attributes: env.replication.attributes, customAttributes: env.replication.customAttributes });
}

async function readRecords(ddb: Pick<DynamoDBClient, "send">, tableName: string, ids: string[]): Promise<Map<string, ReplicatedUser>> {
  const found = new Map<string, ReplicatedUser>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Array<Record<string, { S: string }>> | undefined = unique.slice(i, i + 100).map((id) => ({ [TABLE_KEY]: { S: id } }));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      const out = await ddb.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of out.Responses?.[tableName] ?? []) {
        try {
          const r = fromItem(item);
          found.set(r.canonicalId, r);
        } catch {
          // An unreadable item is rewritten by the backfill: treat as absent.
        }
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys as typeof keys;
      if (keys && keys.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    }
  }
  return found;
}

export interface BackfillReport {
  tool: "backfill";
  env: string;
  mode: "table" | "direct";
  dryRun: boolean;
  primaryPool: { id: string; region: string };
  drPool?: { id: string; region: string };
  table?: string;
  checkpoint?: string;
  resumedFromPage: number;
  pages: number;
  alreadyComplete: boolean;
  counts: BackfillCounts;
  failures: Failure[];
  seconds: number;
  throughput: { usersPerSecond: number; boundUsersPerSecond: number; fractionOfBound: number; bound: string; pagingSeconds: number };
  rates: RateReport[];
}

export async function backfillMain(argv: string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, BACKFILL_OPTIONS);
  if (values.help) {
    io.stdout(`${BACKFILL_HELP}\n`);
    return EXIT.OK;
  }
  const env = rememberEnvironment(resolveEnvironment(values));
  const rates = rateLimits(values);
  const direct = values.direct === true;
  const dryRun = values["dry-run"] === true;
  const concurrency = numberFlag(values, "concurrency", { min: 1, max: 256, integer: true }) ?? 16;
  const writeRate = numberFlag(values, "write-rate", { min: 0.1 }) ?? rates.UserCreation;
  const filter = stringFlag(values, "filter");
  const mode = direct ? "direct" : "table";
  const n = names(env);
  const tableName = stringFlag(values, "table") ?? n.table;
  const checkpointPath = resolve(stringFlag(values, "checkpoint") ?? `backfill-${env.name}-${mode}.checkpoint.json`);
  const config = replicationConfigOf(env);

  const clients = bothRegions(env);
  const primaryLimiter = new RegionLimiter(env.primaryRegion, rates);
  const drLimiter = new RegionLimiter(env.drRegion, rates);
  const primaryCognito = primaryLimiter.wrap(clients.primary.cognito);
  const drCognito = drLimiter.wrap(clients.dr.cognito);
  const writeBucket = new TokenBucket(writeRate);
  const started = performance.now();

  const pool = await findPool(primaryCognito, stringFlag(values, "primary-pool") ?? n.userPool("primary"), env.primaryRegion, "primary");
  const drPool = direct ? await findPool(drCognito, stringFlag(values, "dr-pool") ?? n.userPool("dr"), env.drRegion, "dr") : undefined;
  if (!direct) {
    try {
      await clients.primary.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (err) {
      if ((err as { name?: string }).name === "ResourceNotFoundException") {
        throw new CliError(`unknown table: no DynamoDB table ${tableName} in ${env.primaryRegion}. Deployed? Right --env and region?`, EXIT.TARGET);
      }
      throw err;
    }
  }

  let checkpoint: Checkpoint | undefined = dryRun || values.restart ? undefined : readCheckpoint(checkpointPath);
  if (checkpoint && (checkpoint.primaryPoolId !== pool.id || checkpoint.mode !== mode || checkpoint.env !== env.name || (checkpoint.filter ?? "") !== (filter ?? ""))) {
    throw new CliError(
      `checkpoint ${checkpointPath} belongs to another run (env ${checkpoint.env}, ${checkpoint.mode} mode, pool ${checkpoint.primaryPoolId}${checkpoint.filter ? `, filter ${checkpoint.filter}` : ""}); pass --restart or another --checkpoint`,
    );
  }
  const resumedFromPage = checkpoint?.pageIndex ?? 0;
  const counts = checkpoint ? { ...zeroCounts(), ...checkpoint.counts } : zeroCounts();
  const failures: Failure[] = checkpoint?.failures ?? [];
  let token = checkpoint?.nextToken;
  let pageIndex = checkpoint?.pageIndex ?? 0;
  const alreadyComplete = checkpoint?.done === true;
  const processedThisRun = { users: 0 };
  let loopStart = performance.now();

  if (!alreadyComplete) {
    const memberships = await groupMembership(primaryCognito, pool.id);
    const estimate = (await clients.primary.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.id }))).UserPool?.EstimatedNumberOfUsers;
    const progress = Progress.for(dryRun ? "backfill (dry run)" : "backfill", io, values, filter ? undefined : estimate);
    const ctx = { region: env.primaryRegion, poolId: pool.id, config, ttlDays: env.replication.recordTtlDays };
    const upsertCtx: UpsertContext | undefined = drPool ? { cognito: drCognito, userPoolId: drPool.id, config } : undefined;

    const fail = (user: { Username?: string }, canonicalId: string | undefined, err: unknown) => {
      const e = classifyAwsError(err);
      counts.failed++;
      if (failures.length < 1000) failures.push({ username: user.Username, canonicalId, reason: e.reason, message: e.message });
    };

    loopStart = performance.now();
    do {
      const page = await listUsersPage(primaryCognito, pool.id, { token, filter });
      counts.listed += page.users.length;
      const now = Date.now();
      const records: Array<{ user: (typeof page.users)[number]; record: ReplicatedUser }> = [];
      for (const user of page.users) {
        if (!replicable(user)) {
          counts.skipped++;
          continue;
        }
        try {
          records.push({ user, record: recordFromUser(user, memberships.get(user.Username ?? "") ?? [], { ...ctx, now }) });
        } catch (err) {
          fail(user, undefined, err);
        }
      }

      if (!upsertCtx) {
        const existing = await readRecords(clients.primary.dynamodb, tableName, records.map((r) => r.record.canonicalId));
        await mapLimit(records, concurrency, async ({ user, record }) => {
          const current = existing.get(record.canonicalId);
          if (current && sameContent(current, record)) {
            counts.unchanged++;
            return;
          }
          const next = { ...record, version: Math.max(record.version, (current?.version ?? 0) + 1), confirmedAt: current?.confirmedAt ?? record.confirmedAt };
          if (dryRun) {
            counts.written++;
            return;
          }
          try {
            await writeBucket.take();
            const outcome = await putRecord(clients.primary.dynamodb, tableName, next);
            if (outcome === "written") counts.written++;
            else counts.newer++;
          } catch (err) {
            fail(user, record.canonicalId, err);
          }
        });
      } else {
        await mapLimit(records, concurrency, async ({ user, record }) => {
          try {
            if (dryRun) {
              const action = await planDirect(upsertCtx, record);
              counts[action]++;
              return;
            }
            const result = await upsertDrUser(upsertCtx, record);
            counts[result.action]++;
          } catch (err) {
            fail(user, record.canonicalId, err);
          }
        });
      }
      processedThisRun.users += page.users.length;
      pageIndex++;
      token = page.nextToken;
      if (!dryRun) {
        checkpoint = {
          version: 1,
          tool: "backfill",
          env: env.name,
          mode,
          primaryPoolId: pool.id,
          filter,
          pageIndex,
          nextToken: token,
          done: !token,
          counts,
          failures,
          updatedAt: new Date().toISOString(),
        };
        writeFileAtomic(checkpointPath, `${JSON.stringify(checkpoint, null, 2)}\n`);
      }
      progress.update(counts.listed, `failed ${counts.failed}`);
    } while (token);
    progress.finish(`failed ${counts.failed}`);
  }

  const until = performance.now();
  const seconds = (until - started) / 1000;
  // Rates over the paging phase (after pool lookup and group membership), which the bounds govern.
  const rateReports = [...primaryLimiter.report(until, loopStart), ...drLimiter.report(until, loopStart)];
  if (!direct && writeBucket.taken > 0) {
    const achieved = writeBucket.achieved(loopStart, until);
    rateReports.push({
      region: env.primaryRegion,
      category: "RecordWrite",
      bound: writeRate,
      quota: COGNITO_QUOTAS.UserCreation,
      requests: writeBucket.taken,
      achieved: round(achieved),
      fractionOfBound: round(achieved / writeRate, 3),
    });
  }
  const pagingSeconds = (until - loopStart) / 1000;
  const usersPerSecond = pagingSeconds > 0 ? processedThisRun.users / pagingSeconds : 0;
  const boundUsersPerSecond = Math.min(direct ? rates.UserCreation : writeRate, rates.UserList * 60);
  const report: BackfillReport = {
    tool: "backfill",
    env: env.name,
    mode,
    dryRun,
    primaryPool: { id: pool.id, region: env.primaryRegion },
    drPool: drPool ? { id: drPool.id, region: env.drRegion } : undefined,
    table: direct ? undefined : tableName,
    checkpoint: dryRun ? undefined : checkpointPath,
    resumedFromPage,
    pages: pageIndex,
    alreadyComplete,
    counts,
    failures,
    seconds: round(seconds, 2),
    throughput: {
      usersPerSecond: round(usersPerSecond),
      boundUsersPerSecond,
      fractionOfBound: round(usersPerSecond / boundUsersPerSecond, 3),
      pagingSeconds: round(pagingSeconds, 2),
      bound: direct ? "DR UserCreation (--create-rate): one AdminCreateUser per new user" : "table records/s (--write-rate)",
    },
    rates: rateReports,
  };
  if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(`${humanReport(report)}\n`);
  return counts.failed > 0 ? EXIT.PARTIAL : EXIT.OK;
}

/** Dry run of --direct: what upsertDrUser would do, from reads only. */
async function planDirect(ctx: UpsertContext, record: ReplicatedUser): Promise<"created" | "updated" | "unchanged"> {
  let user;
  try {
    user = await ctx.cognito.send(new AdminGetUserCommand({ UserPoolId: ctx.userPoolId, Username: record.attributes.email }));
  } catch (err) {
    if ((err as { name?: string }).name === "UserNotFoundException") return "created";
    throw err;
  }
  const { AdminListGroupsForUserCommand } = await import("@aws-sdk/client-cognito-identity-provider");
  const groups = await ctx.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: ctx.userPoolId, Username: user.Username!, Limit: 60 }));
  const plan = planUser(record, { username: user.Username!, attributes: attributeMap(user.UserAttributes), enabled: user.Enabled ?? true, groups: (groups.Groups ?? []).map((g) => g.GroupName!) }, ctx.config);
  const changes = plan.update.length + plan.delete.length + plan.addGroups.length + plan.removeGroups.length + (plan.enabled === undefined ? 0 : 1);
  return changes > 0 ? "updated" : "unchanged";
}

function humanReport(r: BackfillReport): string {
  const c = r.counts;
  const head = r.alreadyComplete
    ? `backfill already complete (checkpoint ${r.checkpoint}); nothing to do. Pass --restart to run it again.`
    : `backfill ${r.dryRun ? "(dry run) " : ""}${r.mode === "direct" ? `into DR pool ${r.drPool?.id}` : `into table ${r.table}`} from ${r.primaryPool.id}` +
      (r.resumedFromPage > 0 ? `, resumed at page ${r.resumedFromPage}` : "");
  const verb = r.dryRun ? "would be " : "";
  const rows: Array<Array<string | number>> = [
    ["listed", c.listed],
    ["skipped (unconfirmed)", c.skipped],
    ...(r.mode === "table"
      ? [[`${verb}written`, c.written], ["unchanged", c.unchanged], ["newer record already there", c.newer]]
      : [[`${verb}created`, c.created], [`${verb}updated`, c.updated], ["unchanged", c.unchanged]]),
    ["failed", c.failed],
  ];
  const lines = [head, table(rows)];
  if (r.failures.length > 0) lines.push("failures:", ...r.failures.slice(0, 20).map((f) => `  ${f.username ?? "?"} (${f.canonicalId ?? "no canonical id"}): ${f.reason} ${f.message}`));
  if (!r.alreadyComplete) {
    lines.push(
      `${r.seconds} s (paging ${r.throughput.pagingSeconds} s), ${r.throughput.usersPerSecond} users/s of a ${r.throughput.boundUsersPerSecond}/s bound (${Math.round(r.throughput.fractionOfBound * 100)}%; ${r.throughput.bound})`,
      rateLines(r.rates),
    );
  }
  return lines.filter(Boolean).join("\n");
}

// `npm run backfill -- --help`; the README's "Operator tools".
if (require.main === module) runMain(backfillMain);
