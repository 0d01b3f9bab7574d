// `npm run reconcile -- --env <name> [options]`: the operator command around the reconcile core
// (handlers/replication/reconcile.ts, which the scheduled Lambda runs too): flags, rate limits,
// pools by name, the human summary and the JSON report.
import "../lib/quiet-warnings";
import { performance } from "node:perf_hooks";
import { tableDirectory } from "../../handlers/replication/dr-directory";
import { readRecord } from "../../handlers/replication/table";
import type { ReplicationMode } from "../../handlers/contract";
import { round, type RateReport } from "../../handlers/replication/rate-limit";
import { CAPTURED_KINDS, DRIFT_KINDS, reconcilePools, type DriftKind, type ReconcileResult } from "../../handlers/replication/reconcile";
import { defineCommand, type CommandContext } from "../lib/command";
import { EXIT, EXIT_CODES_HELP } from "../lib/errors";
import { COMMON_HELP, numberFlag, stringFlag, type Options } from "../lib/flags";
import { table } from "../lib/output";
import { removeOnExit } from "../lib/remove-on-exit";
import { replicationMode, requireCustomEngine } from "../lib/replication-mode";
import { FilePartitions, RECONCILE_PARTITIONS } from "../../handlers/replication/user-partitions";
import { limitedCognito, pageSeconds, RATE_HELP, rateLimits, rateLines, throughput, USER_WALK_OPTIONS } from "./rates";
import { POOL_OPTIONS, poolOf } from "./target";

export const RECONCILE_HELP = `Usage: npm run reconcile -- --env <name> [options]

Lists the primary and the DR pool, joins users by canonical id (one-way mode: DR custom:canonical_id,
set by the replicator; primary: the user's own sub, never its custom:canonical_id. Two-way mode:
custom:canonical_id when set, else the user's own sub, in both pools) and reports:
  missing_in_dr   a confirmed primary user with no DR user (two-way: not one deleted in DR, whose
                  latest record is a DR-origin tombstone; the primary replicator removes it)
  missing_in_primary (two-way) a confirmed DR user with no primary user, born in DR (no
                  custom:canonical_id: its sub is its canonical id) or whose latest record in the
                  table originates in the DR region; --apply copies it to the primary pool
  extra_in_dr     a DR user whose canonical id is not in the primary pool (or has none); a DR
                  user whose canonical id the listed primary users lack is looked up by sub
                  first, so one outside --filter (its email changed) is repaired, never deleted
  twin            a second DR user with the same canonical id; the one the table's dr#<id> item
                  names is kept (else the one with the primary's email, else the newest)
  attributes      replicated attributes that differ (names only, never values)
  enabled         enabled/disabled differs
  groups          group membership differs (+in primary only, -in DR only)
  invalid         a primary user that cannot be replicated (e.g. no email)
  conflict        a primary user carrying custom:canonical_id (replication never sets it there),
                  and the primary user whose sub it claims: never repaired, either side; remove
                  the attribute from the user that should not carry it and run again
Listed on their own (not drift, DR has the same state): users whose email is not verified in the
primary, who may not be able to sign in by EMAIL_OTP in DR.
Two-way: same_email pairs, one email held by two canonical ids, one in each pool (two people signed
up with it while the regions were split): both canonical ids and regions, never the email; neither
is repaired (never merged: the replicator parks them as CONFLICT_SAME_EMAIL). Decide with the
people concerned which account keeps the email, change or delete the other, and run again.
Missed by change capture: missing_in_dr, extra_in_dr, attributes, enabled and groups drift of
users not modified in the primary for --capture-grace minutes, counted by kind (and, with --apply,
how many were repaired): change capture should have carried them, so a rising count means it is
broken (a trail stopped, a rule or queue misconfigured). The first run after capture is switched on
also counts what predates it.
The listed users wait for the join in files under the system's temporary directory (a directory only
you can read, removed when the run ends: it holds emails), ${RECONCILE_PARTITIONS} partitions by canonical id, so
memory follows one partition, the group memberships and the drift found, not the pools' size.
Group membership is read with one ListUsersInGroup walk per group (UserList quota, 60 members a
call) rather than one AdminListGroupsForUser per user (UserRead quota).

Options:
  --apply                  repair: missing users, attributes, enabled flags and groups through the
                           replicator's upsert (conflicts and same_email never), and delete twins;
                           two-way: also copy missing_in_primary users to the primary pool
  --allow-delete           with --apply, also delete extra_in_dr users from the DR pool (first, so
                           a deleted user's email is free for a new user)
  --table <name>           the replicated table (default: the environment's), whose DR replica
                           holds the canonical id -> DR user items the upsert finds users by
  --capture-grace <min>    drift of users modified more recently is not counted as missed by
                           change capture (default 15)
  --filter <expr>          ListUsers filter applied to both pools, e.g. 'email ^= "user-"'
  --concurrency <n>        repairs in flight at once (default 8)
  --primary-pool <name|id> default: the environment's primary pool name
  --dr-pool <name|id>      default: the environment's DR pool name
${RATE_HELP}
${COMMON_HELP}

${EXIT_CODES_HELP}
  reconcile exits 1 when drift was found and is not (all) repaired: always without --apply, and with
  --apply when conflicts remain or extra DR users remain because --allow-delete was not given.

Examples:
  npm run reconcile -- --env local
  npm run reconcile -- --env prod --json > drift.json
  npm run reconcile -- --env prod --apply --allow-delete --progress`;

export const RECONCILE_OPTIONS = {
  ...USER_WALK_OPTIONS,
  apply: { type: "boolean", default: false },
  "allow-delete": { type: "boolean", default: false },
  table: { type: "string" },
  "capture-grace": { type: "string" },
  ...POOL_OPTIONS,
} as const satisfies Options;

export interface ReconcileReport extends ReconcileResult {
  tool: "reconcile";
  env: string;
  apply: boolean;
  allowDelete: boolean;
  mode: ReplicationMode;
  primaryPool: { id: string; region: string };
  drPool: { id: string; region: string };
  throughput: { usersPerSecond: number; boundUsersPerSecond: number; fractionOfBound: number; bound: string };
  rates: RateReport[];
  /** The process's peak resident set (MB) at the end of the run: one partition of the listings, the group memberships and the drift. */
  peakRssMb: number;
  /** What the listings took on disk while they waited for the join (MB). */
  spilledMb: number;
}

export const reconcile = defineCommand({ name: "reconcile", help: RECONCILE_HELP, options: RECONCILE_OPTIONS, run: runReconcile });

async function runReconcile(ctx: CommandContext): Promise<number> {
  const { env, values } = ctx;
  requireCustomEngine(env, "reconcile");
  const rates = rateLimits(values);
  const concurrency = numberFlag(values, "concurrency", { min: 1, max: 256, integer: true }) ?? 8;
  const apply = values.apply === true;
  const allowDelete = values["allow-delete"] === true;
  const captureGraceMinutes = numberFlag(values, "capture-grace", { min: 0, max: 7 * 24 * 60 }) ?? 15;
  const limited = limitedCognito(ctx, rates);
  const [primary, dr] = [limited.primary.cognito, limited.dr.cognito];
  const [pPool, dPool] = await Promise.all([poolOf(ctx, primary, "primary"), poolOf(ctx, dr, "dr")]);
  const tableName = stringFlag(values, "table") ?? ctx.names.table;
  const drDirectory = tableDirectory(ctx.clients.dr.dynamodb, tableName, dPool.id);
  const mode = replicationMode(env);
  const primaryDirectory = mode === "two-way" ? tableDirectory(ctx.clients.primary.dynamodb, tableName, pPool.id, "primary") : undefined;
  const listing = ctx.progress("listing");
  const repairing = ctx.progress("repairing");
  const listStart = performance.now();
  // The listings wait for the join on disk, a partition at a time in memory (user-partitions.ts).
  const partitions = new FilePartitions(RECONCILE_PARTITIONS);
  const removeListings = removeOnExit(() => partitions.close());
  const result = await reconcilePools(
    // The DR replica of the table holds the canonical id -> DR user items (the replicator writes them there).
    {
      primary,
      dr,
      primaryPoolId: pPool.id,
      drPoolId: dPool.id,
      primaryRegion: env.primaryRegion,
      config: ctx.replication,
      ttlDays: env.replication.recordTtlDays,
      directory: drDirectory,
      primaryDirectory,
      mode,
      drRegion: env.drRegion,
      // Two-way: a record's origin decides missing_in_primary; read from the DR replica, which the
      // DR-origin records are written to first (and which is up when the primary region is not).
      records: { read: (id) => readRecord(ctx.clients.dr.dynamodb, tableName, id) },
    },
    {
      apply,
      allowDelete,
      filter: stringFlag(values, "filter"),
      concurrency,
      listRate: rates.UserList,
      pageSeconds: pageSeconds(values),
      captureGraceMs: captureGraceMinutes * 60_000,
      partitions,
      onListed: (p, d) => listing.update(p + d, `(primary ${p}, DR ${d})`),
      onRepaired: (done, total) => {
        repairing.total = total;
        repairing.update(done);
      },
    },
  ).finally(removeListings);
  const spilled = partitions.bytesWritten;
  listing.finish(`(primary ${result.counts.primaryUsers}, DR ${result.counts.drUsers})`);
  if (apply) repairing.finish();
  const users = Math.max(result.counts.primaryUsers, result.counts.drUsers);
  const report: ReconcileReport = {
    tool: "reconcile",
    env: env.name,
    apply,
    allowDelete,
    mode,
    primaryPool: { id: pPool.id, region: env.primaryRegion },
    drPool: { id: dPool.id, region: env.drRegion },
    ...result,
    listSeconds: round(result.listSeconds, 2),
    seconds: round(result.seconds, 2),
    throughput: throughput(users, result.listSeconds, rates.UserList * 60, "ListUsers pages/s (--list-rate) x 60 users, both pools listed in parallel; listing phase only"),
    // UserList over the listing phase; the repair categories over the whole run.
    rates: [...limited.primary.limiter.report(undefined, listStart), ...limited.dr.limiter.report(undefined, listStart)].map((r) =>
      r.category === "UserList" ? { ...r, achieved: round(r.requests / result.listSeconds), fractionOfBound: round(r.requests / result.listSeconds / r.bound, 3) } : r,
    ),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
    spilledMb: round(spilled / 1e6, 1),
  };
  ctx.report(report, humanReport);
  if (result.counts.repairFailed > 0) return EXIT.PARTIAL;
  return result.unrepaired > 0 ? EXIT.DRIFT : EXIT.OK;
}

const LABEL: Record<DriftKind, string> = {
  missing_in_dr: "missing in DR",
  missing_in_primary: "missing in primary (DR-origin)",
  extra_in_dr: "extra in DR",
  twin: "twins (second DR user of one canonical id)",
  attributes: "attribute differences",
  enabled: "enabled/disabled differences",
  groups: "group differences",
  invalid: "not replicable (invalid)",
  conflict: "canonical id conflicts (never repaired)",
};

/** The human summary; --json prints the report itself. */
export function humanReport(r: ReconcileReport): string {
  const lines = [
    `reconcile ${r.primaryPool.id} (${r.primaryPool.region}) -> ${r.drPool.id} (${r.drPool.region})`,
    `primary users ${r.counts.primaryUsers}${r.counts.primaryOutsideList > 0 ? ` (+${r.counts.primaryOutsideList} outside the listing, found by canonical id)` : ""}, DR users ${r.counts.drUsers}, matched ${r.counts.matched}, in sync ${r.counts.inSync}`,
    table([
      ["drift", "found", ...(r.apply ? ["repaired"] : [])],
      ...DRIFT_KINDS.filter((k) => r.mode === "two-way" || k !== "missing_in_primary").map((k) => [LABEL[k], r.counts[k], ...(r.apply ? [r.drift.filter((d) => d.kind === k && d.repaired).length] : [])]),
    ]),
  ];
  const open = r.drift.filter((d) => !d.repaired);
  if (open.length > 0) {
    lines.push(`${r.apply ? "not repaired" : "drift"} (${open.length}${open.length > 25 ? ", first 25; --json for all" : ""}):`);
    for (const d of open.slice(0, 25)) {
      lines.push(`  ${d.kind.padEnd(18)} ${d.canonicalId ?? "-"}  ${d.primaryUsername ?? d.drUsername ?? ""}  ${d.detail}${d.error ? `  (${d.error})` : ""}`);
    }
    if (!r.apply) lines.push("run again with --apply to repair (and --allow-delete to delete extra DR users)");
    else if (r.counts.extra_in_dr > 0 && !r.allowDelete) lines.push("extra DR users are kept: pass --allow-delete to delete them");
    if (r.counts.conflict > 0) lines.push("conflicts are never repaired: remove custom:canonical_id from the primary user that should not carry it (AdminDeleteUserAttributes), then run again");
  } else if (r.drift.length === 0) lines.push("no drift");
  else lines.push("all drift repaired");
  const missed = CAPTURED_KINDS.filter((k) => r.missedByCapture[k] > 0);
  if (missed.length > 0) {
    const what = missed.map((k) => `${LABEL[k]} ${r.missedByCapture[k]}${r.apply ? ` (repaired ${r.repairedMissedByCapture[k]})` : ""}`).join(", ");
    lines.push(`missed by change capture (should have been carried; a rising count means capture is broken): ${what}`);
  }
  if (r.sameEmail.length > 0) {
    // Canonical ids and regions only: the email is personal data and these lines end up in logs.
    lines.push(`same email held by two canonical ids across the pools (${r.sameEmail.length}; never merged, never repaired: decide which account keeps it):`);
    for (const p of r.sameEmail.slice(0, 25)) lines.push(`  ${p.holders.map((h) => `${h.canonicalId} (${h.pool}, ${h.region})`).join("  and  ")}`);
  }
  if (r.unverifiedEmail.length > 0) {
    lines.push(`email not verified in the primary (${r.unverifiedEmail.length}; EMAIL_OTP sign-in in DR may fail for them${r.unverifiedEmail.length > 25 ? "; first 25, --json for all" : ""}):`);
    for (const u of r.unverifiedEmail.slice(0, 25)) lines.push(`  ${u.canonicalId}  ${u.primaryUsername ?? ""}`);
  }
  lines.push(
    `${r.seconds} s (listing ${r.listSeconds} s, ${r.listing.segments} segment(s) per pool, ${r.listing.concurrency} at once): ${r.throughput.usersPerSecond} users/s of a ${r.throughput.boundUsersPerSecond}/s bound (${Math.round(r.throughput.fractionOfBound * 100)}%)`,
    rateLines(r.rates),
  );
  return lines.join("\n");
}

if (require.main === module) reconcile.main();
