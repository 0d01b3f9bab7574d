// `npm run redrive -- --env <name> [options]`: shows the replicator DLQ grouped by reason
// (scripts/lib/dlq.ts reads it) and moves messages back for reprocessing, all or one reason,
// through the redrive core (redrive-core.ts).
import "../lib/quiet-warnings";
import { requireCustomEngine } from "../lib/replication-mode";
import { defineCommand, type CommandContext } from "../lib/command";
import { countByReason, readDlq, type DlqEntry } from "../lib/dlq";
import { EXIT, EXIT_CODES_HELP } from "../lib/errors";
import { COMMON_HELP, numberFlag, stringFlag, type Options } from "../lib/flags";
import { table } from "../lib/output";
import { redrive as redriveEntries } from "./redrive-core";
import { findQueueUrl } from "./target";

export const REDRIVE_HELP = `Usage: npm run redrive -- --env <name> [options]

Reads the replicator's dead-letter queue in the DR region and shows its messages grouped by reason:
parked records (the replicator's reason code, e.g. GROUP_NOT_FOUND) and Lambda batch positions
(BATCH_RetryAttemptsExhausted, ...). Then moves them back: each user's latest record is written to
the replicated table again with a bumped version, so the normal stream -> replicator path retries
it, and the message is deleted once that write is in. Fix the cause first (e.g. create the group).

Options:
  --list                   only show the messages grouped by reason; change nothing
  --dry-run                show what would be redriven (users per message); change nothing
  --reason <code>          only messages with this reason (repeatable)
  --max <n>                read at most n messages (default 10000)
  --queue <name|url>       default: the environment's replicator DLQ
  --table <name>           default: the environment's replicated table
${COMMON_HELP}

${EXIT_CODES_HELP}
  redrive exits 1 after --list or --dry-run when matching messages are waiting, 4 when some messages
  could not be redriven (unreadable, or a parked image that is not a valid record: run reconcile).

Examples:
  npm run redrive -- --env local --list
  npm run redrive -- --env prod --reason GROUP_NOT_FOUND --dry-run
  npm run redrive -- --env prod --reason GROUP_NOT_FOUND`;

export const REDRIVE_OPTIONS = {
  list: { type: "boolean", default: false },
  "dry-run": { type: "boolean", default: false },
  reason: { type: "string", multiple: true },
  max: { type: "string" },
  queue: { type: "string" },
  table: { type: "string" },
} as const satisfies Options;

export const redrive = defineCommand({ name: "redrive", help: REDRIVE_HELP, options: REDRIVE_OPTIONS, run: runRedrive });

async function runRedrive(ctx: CommandContext): Promise<number> {
  const { env, values } = ctx;
  requireCustomEngine(env, "redrive");
  const max = numberFlag(values, "max", { min: 1, max: 1_000_000, integer: true }) ?? 10_000;
  const reasons = (values.reason as unknown as string[] | undefined) ?? [];
  const { dr } = ctx.clients;
  const queueUrl = await findQueueUrl(dr.sqs, stringFlag(values, "queue") ?? ctx.names.replicatorDlq, env.drRegion);
  const tableName = stringFlag(values, "table") ?? ctx.names.table;

  const entries = await readDlq(dr.sqs, queueUrl, { max });
  const byReason = countByReason(entries);
  const selected = entries.filter((e) => reasons.length === 0 || reasons.includes(e.reason));
  const listOnly = values.list === true;
  const dryRun = values["dry-run"] === true;

  let result: { redriven: number; skipped: Array<{ reason: string; why: string }> } | undefined;
  if (!listOnly && selected.length > 0) {
    result = { redriven: 0, skipped: [] };
    for (const reason of new Set(selected.map((e) => e.reason))) {
      const r = await redriveEntries({ sqs: dr.sqs, dynamodb: dr.dynamodb, streams: dr.streams, queueUrl, tableName }, selected, { reason, dryRun });
      result.redriven += r.redriven;
      result.skipped.push(...r.skipped);
    }
  }

  const report = {
    tool: "redrive",
    env: env.name,
    queueUrl,
    mode: listOnly ? "list" : dryRun ? "dry-run" : "redrive",
    messages: entries.length,
    byReason,
    selected: selected.length,
    messagesByKind: countKinds(selected),
    /** Users written back to the table (or that would be, in a dry run). */
    usersRedriven: result?.redriven ?? 0,
    skipped: result?.skipped ?? [],
  };
  ctx.report(report, () => {
    const lines = [`DLQ ${queueUrl}: ${entries.length} message(s)`];
    if (entries.length > 0) lines.push(table([["reason", "messages"], ...Object.entries(byReason).sort().map(([r, c]) => [r, c])]));
    if (reasons.length > 0) lines.push(`selected by --reason ${reasons.join(", ")}: ${selected.length}`);
    if (!listOnly && selected.length > 0) {
      lines.push(`${dryRun ? "would redrive" : "redriven"}: ${report.usersRedriven} user(s) from ${selected.length - report.skipped.length} message(s)`);
      for (const s of report.skipped) lines.push(`  skipped ${s.reason}: ${s.why}`);
    }
    return lines.join("\n");
  });
  if (report.skipped.length > 0) return EXIT.PARTIAL;
  if ((listOnly || dryRun) && selected.length > 0) return EXIT.DRIFT;
  return EXIT.OK;
}

function countKinds(entries: DlqEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}

if (require.main === module) redrive.main();
