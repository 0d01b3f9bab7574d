// `npm run backfill -- --env <name> [options]`: every user of the primary pool through the
// normal replication path (a record in the table, which the replicator turns into the DR user)
// or, with --direct, straight into the DR pool through the shared upsert. Resumable from a
// checkpoint (checkpoint.ts) written atomically after each fully processed ListUsers page; the
// paging itself (the pool listed in sub-prefix segments, several at once) is backfill-core.ts.
import "../lib/quiet-warnings";
import { requireCustomEngine } from "../lib/replication-mode";
import { DescribeUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { groupMembership } from "../../handlers/replication/pool-users";
import { COGNITO_QUOTAS } from "../../handlers/replication/cognito-quotas";
import { round, TokenBucket, type RateReport } from "../../handlers/replication/rate-limit";
import { defineCommand, type CommandContext } from "../lib/command";
import { tableDirectory } from "../../handlers/replication/dr-directory";
import { CliError, EXIT, EXIT_CODES_HELP } from "../lib/errors";
import { COMMON_HELP, numberFlag, stringFlag, type Options } from "../lib/flags";
import { table } from "../lib/output";
import { allDone, backfillPages, type BackfillState } from "./backfill-core";
import { checkSameRun, readCheckpoint, writeCheckpoint, zeroCounts, type BackfillCounts, type Failure } from "./checkpoint";
import { limitedCognito, pageSeconds, RATE_HELP, rateLimits, rateLines, throughput, USER_WALK_OPTIONS } from "./rates";
import { POOL_OPTIONS, poolOf } from "./target";

export const BACKFILL_HELP = `Usage: npm run backfill -- --env <name> [options]

Feeds every user of the primary pool through replication: writes each user's record to the
replicated table (the DR replicator then creates or updates the DR user), or with --direct upserts
the DR user itself through the same code the replicator uses. Unconfirmed sign-ups are skipped.
A user whose record in the table already says the same is not written again, so re-running a
finished backfill changes nothing.

Resuming: the pool is listed in 16 segments by the first hex digit of the users' sub, several at
once (a --filter listing is one walk). After each ListUsers page is fully processed the checkpoint
file (each segment's pagination token or done, page index, counts) is replaced atomically. A
killed run started again with the same flags continues every segment after its last completed
page; a finished checkpoint makes a re-run a no-op (--restart starts over). A checkpoint written
before segmented listing (one token) is resumed as one walk from that token.

Options:
  --direct                 upsert into the DR pool instead of writing table records
  --dry-run                report what would be written/created/updated; changes nothing
  --checkpoint <file>      checkpoint path (default ./backfill-<env>-<table|direct>.checkpoint.json)
  --restart                ignore an existing checkpoint and start from the first page
  --filter <expr>          ListUsers filter, e.g. 'email ^= "user-"' (only those users)
  --concurrency <n>        users in flight at once, across pages (default 16)
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
  ...USER_WALK_OPTIONS,
  direct: { type: "boolean", default: false },
  "dry-run": { type: "boolean", default: false },
  checkpoint: { type: "string" },
  restart: { type: "boolean", default: false },
  "write-rate": { type: "string" },
  ...POOL_OPTIONS,
  table: { type: "string" },
} as const satisfies Options;

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
  /** How the pool was listed this run: segments (sub prefixes; 1 with --filter or an old checkpoint) and how many walked at once. */
  listing?: { segments: number; concurrency: number };
  alreadyComplete: boolean;
  counts: BackfillCounts;
  failures: Failure[];
  seconds: number;
  throughput: { usersPerSecond: number; boundUsersPerSecond: number; fractionOfBound: number; bound: string; pagingSeconds: number };
  rates: RateReport[];
}

export const backfill = defineCommand({ name: "backfill", help: BACKFILL_HELP, options: BACKFILL_OPTIONS, run: runBackfill });

async function runBackfill(ctx: CommandContext): Promise<number> {
  const { env, values } = ctx;
  requireCustomEngine(env, "backfill");
  const rates = rateLimits(values);
  const direct = values.direct === true;
  const dryRun = values["dry-run"] === true;
  const concurrency = numberFlag(values, "concurrency", { min: 1, max: 256, integer: true }) ?? 16;
  const writeRate = numberFlag(values, "write-rate", { min: 0.1 }) ?? rates.UserCreation;
  const filter = stringFlag(values, "filter");
  const mode = direct ? "direct" : "table";
  const tableName = stringFlag(values, "table") ?? ctx.names.table;
  const checkpointPath = resolve(stringFlag(values, "checkpoint") ?? `backfill-${env.name}-${mode}.checkpoint.json`);
  const config = ctx.replication;

  const { primary } = ctx.clients;
  const limited = limitedCognito(ctx, rates);
  const primaryCognito = limited.primary.cognito;
  const writeBucket = new TokenBucket(writeRate);
  const started = performance.now();

  const pool = await poolOf(ctx, primaryCognito, "primary");
  const drPool = direct ? await poolOf(ctx, limited.dr.cognito, "dr") : undefined;
  if (!direct) {
    try {
      await primary.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (err) {
      if ((err as { name?: string }).name === "ResourceNotFoundException") {
        throw new CliError(`unknown table: no DynamoDB table ${tableName} in ${env.primaryRegion}. Deployed? Right --env and region?`, EXIT.TARGET);
      }
      throw err;
    }
  }

  const checkpoint = dryRun || values.restart ? undefined : readCheckpoint(checkpointPath);
  if (checkpoint) checkSameRun(checkpointPath, checkpoint, { env: env.name, mode, primaryPoolId: pool.id, filter });
  const resumedFromPage = checkpoint?.pageIndex ?? 0;
  const state: BackfillState = {
    segments: checkpoint ? { ...checkpoint.segments } : {},
    pageIndex: checkpoint?.pageIndex ?? 0,
    counts: checkpoint ? { ...zeroCounts(), ...checkpoint.counts } : zeroCounts(),
    failures: checkpoint?.failures ?? [],
  };
  const alreadyComplete = checkpoint?.done === true;
  let processedThisRun = 0;
  let listing: BackfillReport["listing"];
  let loopStart = performance.now();

  if (!alreadyComplete) {
    const memberships = await groupMembership(primaryCognito, pool.id);
    const estimate = (await primary.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.id }))).UserPool?.EstimatedNumberOfUsers;
    const progress = ctx.progress(dryRun ? "backfill (dry run)" : "backfill", filter ? undefined : estimate);
    loopStart = performance.now();
    const run = await backfillPages(
      {
        cognito: primaryCognito,
        poolId: pool.id,
        dynamodb: primary.dynamodb,
        tableName,
        // The DR replica of the table holds the canonical id -> DR user items: a direct upsert finds
        // (and records) the DR user by canonical id, as the replicator does, so an email changed since
        // never creates a second DR user.
        direct: drPool ? { cognito: limited.dr.cognito, userPoolId: drPool.id, config, directory: tableDirectory(ctx.clients.dr.dynamodb, tableName, drPool.id) } : undefined,
        writeBucket,
        memberships,
        record: { region: env.primaryRegion, config, ttlDays: env.replication.recordTtlDays },
      },
      state,
      {
        dryRun,
        concurrency,
        filter,
        listRate: rates.UserList,
        pageSeconds: pageSeconds(values),
        onPage: (at) => {
          const { pageIndex, segments, counts, failures } = at;
          if (!dryRun) {
            const where = { version: 2, tool: "backfill", env: env.name, mode, primaryPoolId: pool.id, filter, pageIndex, segments } as const;
            writeCheckpoint(checkpointPath, { ...where, done: allDone(at), counts, failures, updatedAt: new Date().toISOString() });
          }
          progress.update(counts.listed, `failed ${counts.failed}`);
        },
      },
    );
    processedThisRun = run.users;
    listing = { segments: run.listing.segments, concurrency: run.listing.concurrency };
    progress.finish(`failed ${state.counts.failed}`);
  }

  const until = performance.now();
  const seconds = (until - started) / 1000;
  // Rates over the paging phase (after pool lookup and group membership), which the bounds govern.
  const rateReports = [...limited.primary.limiter.report(until, loopStart), ...limited.dr.limiter.report(until, loopStart)];
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
    pages: state.pageIndex,
    listing,
    alreadyComplete,
    counts: state.counts,
    failures: state.failures,
    seconds: round(seconds, 2),
    throughput: throughput(
      processedThisRun,
      pagingSeconds,
      boundUsersPerSecond,
      direct ? "DR UserCreation (--create-rate): one AdminCreateUser per new user" : "table records/s (--write-rate)",
      { pagingSeconds: round(pagingSeconds, 2) },
    ),
    rates: rateReports,
  };
  ctx.report(report, humanReport);
  return state.counts.failed > 0 ? EXIT.PARTIAL : EXIT.OK;
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
      `${r.seconds} s (paging ${r.throughput.pagingSeconds} s${r.listing ? `, ${r.listing.segments} segment(s), ${r.listing.concurrency} at once` : ""}), ${r.throughput.usersPerSecond} users/s of a ${r.throughput.boundUsersPerSecond}/s bound (${Math.round(r.throughput.fractionOfBound * 100)}%; ${r.throughput.bound})`,
      rateLines(r.rates),
    );
  }
  return lines.filter(Boolean).join("\n");
}

if (require.main === module) backfill.main();
