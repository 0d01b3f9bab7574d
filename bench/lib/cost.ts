// A monthly cost model of the custom replication path, next to native Cognito replication's
// add-on, for the README's "Cost" section. Pure: inputs in, line items out; bench/lib/cost-inputs.ts
// gathers the measured inputs, prices.ts holds the dated prices.
//
// What each path does per month (one-way mode, the default; counted from the handlers):
// - sign-up: PostConfirmation (primary) puts the record (1 write, replicated to DR). Cognito logs
//   SignUp and ConfirmSignUp; both reach change capture through CloudTrail -> EventBridge -> SQS,
//   which drops SignUp (user not confirmed yet) and re-reads on ConfirmSignUp, reads the record
//   (1 strongly consistent read) and writes nothing (same state). In DR the replicator reads the
//   directory item (1 read), creates the user and remembers it: 2 directory puts (reverse and
//   forward item, replicated back to the primary), whose stream INSERTs invoke it once more.
// - change (attributes, disable, group...): one CloudTrail event; capture reads the record (1) and
//   writes the next version (1, replicated); the replicator reads the directory item (1).
// - deletion: capture reads the reverse item and the record (2) and writes a tombstone (1,
//   replicated); the replicator reads the directory item (1), deletes the DR user and the item (1
//   delete, replicated; its REMOVE is filtered out of the stream mapping).
// - sign-in: EMAIL_OTP answers RespondToAuthChallenge, which the rule matches (a NEW_PASSWORD
//   challenge is a change); capture drops it. Each sign-in is one SQS message and its share of a
//   capture invocation. Every token issued (sign-in or refresh) runs the pre-token trigger.
// - TTL: records expire `recordTtlDays` after their last write; the deletion is free where TTL runs
//   and a replicated delete (1 rWRU) in the other region. Directory items never expire.
// - scheduled reconcile: lists both pools (ListUsers, 60 a page, at `quotaShare` of 30/s each, in
//   parallel) every pass, carried across invocations of at most `budgetSeconds` each; the schedule
//   ticks `ticksPerMonth` times, and a tick with no pass due reads the checkpoint and returns.
import { PRICES, type PriceName } from "./prices";

export interface FunctionProfile {
  /** Average billed duration of one invocation (ms). */
  avgDurationMs: number;
  memoryMb: number;
  /** CloudWatch Logs bytes one invocation writes (its lines and START/END/REPORT). */
  logBytesPerInvocation: number;
}

export const PROFILED_FUNCTIONS = ["postConfirmation", "changeCapture", "replicator", "preToken"] as const;
export type ProfiledFunction = (typeof PROFILED_FUNCTIONS)[number];

export interface ReconcileInputs {
  /** Passes a month (the pass interval in stacks/settings.ts: 1 day in prod -> 30). */
  passesPerMonth: number;
  /** Invocations a month: the schedule's ticks (every 15 minutes -> 2,880). */
  ticksPerMonth: number;
  /** Work seconds one invocation may spend on a pass (the function's time budget). */
  budgetSeconds: number;
  /** Billed ms of a tick with nothing due (reads the checkpoint). */
  idleTickMs: number;
  quotaShare: number;
  /** Cognito's UserList quota (ListUsers/s per pool) and users per page. */
  userListPerSecond: number;
  usersPerPage: number;
  memoryMb: number;
  logBytesPerPass: number;
}

export interface CostInputs {
  users: number;
  /** Share of users that sign up in a month; as many are deleted (a steady population). */
  monthlyChurn: number;
  /** Replicated changes (attributes, enable/disable, groups...) per user per month. */
  changesPerUserPerMonth: number;
  /** Share of the primary pool's users active in a month (native bills its add-on per MAU). */
  mauShare: number;
  signInsPerMauPerMonth: number;
  /** Tokens issued per MAU per month (sign-ins and refreshes): pre-token trigger invocations. */
  tokensPerMauPerMonth: number;
  functions: Record<ProfiledFunction, FunctionProfile>;
  reconcile: ReconcileInputs;
  /** DynamoDB item sizes (bytes, as DynamoDB counts them: names + values). */
  recordItemBytes: number;
  directoryItemBytes: number;
  recordTtlDays: number;
  /** SQS messages per change-capture invocation, and stream records per replicator invocation. */
  captureEventsPerInvocation: number;
  replicatorRecordsPerInvocation: number;
  /** Empty long-poll receives per month of each queue a Lambda mapping polls, and how many such queues. */
  idleReceivesPerQueueMonth: number;
  lambdaPolledQueues: number;
  /** Principals whose DynamoDB use makes DynamoDB call KMS (per region, summed), and how often each does (calls/month). */
  kmsCallers: number;
  kmsCallsPerCallerMonth: number;
  kmsKeys: number;
  customMetrics: number;
  alarms: number;
  logRetentionDays: number;
  /** Whether the stack's trail is the region's first copy of management events (then free). */
  trailIsFirstCopy: boolean;
}

export interface LineItem {
  item: string;
  quantity: number;
  unit: string;
  unitPriceUsd: number;
  monthlyUsd: number;
  price: PriceName;
}

export interface CostEstimate {
  lines: LineItem[];
  totalUsd: number;
  /** The same users under native replication: the add-on for one replica region, on the primary pool's MAU. */
  native: { maus: number; unitPriceUsd: number; monthlyUsd: number };
  /** The DR pool's MAU the replicator's per-user calls create, priced at Essentials (part of `lines`). */
  drPoolMaus: number;
  /** Volumes the lines are made of, for the README. */
  volumes: Record<string, number>;
  warnings: string[];
}

const GB = 1024 ** 3;

function check(name: string, v: unknown, opts: { max?: number; integer?: boolean; positive?: boolean } = {}): void {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`cost input ${name} must be a finite number (got ${String(v)})`);
  if (v < 0 || (opts.positive && v === 0)) throw new Error(`cost input ${name} must be ${opts.positive ? "positive" : "zero or more"} (got ${v})`);
  if (opts.max !== undefined && v > opts.max) throw new Error(`cost input ${name} must be at most ${opts.max} (got ${v})`);
  if (opts.integer && !Number.isInteger(v)) throw new Error(`cost input ${name} must be a whole number (got ${v})`);
}

/** Throws an error naming the first input that is missing, not a number, negative or out of range. */
export function validateInputs(i: CostInputs): void {
  check("users", i.users, { integer: true });
  check("monthlyChurn", i.monthlyChurn, { max: 1 });
  check("changesPerUserPerMonth", i.changesPerUserPerMonth);
  check("mauShare", i.mauShare, { max: 1 });
  check("signInsPerMauPerMonth", i.signInsPerMauPerMonth);
  check("tokensPerMauPerMonth", i.tokensPerMauPerMonth);
  for (const f of PROFILED_FUNCTIONS) {
    const p = i.functions?.[f];
    if (!p) throw new Error(`cost input functions.${f} is missing`);
    check(`functions.${f}.avgDurationMs`, p.avgDurationMs);
    check(`functions.${f}.memoryMb`, p.memoryMb, { positive: true });
    check(`functions.${f}.logBytesPerInvocation`, p.logBytesPerInvocation);
  }
  const r = i.reconcile;
  if (!r) throw new Error("cost input reconcile is missing");
  check("reconcile.passesPerMonth", r.passesPerMonth);
  check("reconcile.quotaShare", r.quotaShare, { positive: true, max: 1 });
  check("reconcile.userListPerSecond", r.userListPerSecond, { positive: true });
  check("reconcile.usersPerPage", r.usersPerPage, { positive: true });
  check("reconcile.ticksPerMonth", r.ticksPerMonth);
  check("reconcile.budgetSeconds", r.budgetSeconds, { positive: true });
  check("reconcile.idleTickMs", r.idleTickMs);
  check("reconcile.memoryMb", r.memoryMb, { positive: true });
  check("reconcile.logBytesPerPass", r.logBytesPerPass);
  check("recordItemBytes", i.recordItemBytes, { positive: true });
  check("directoryItemBytes", i.directoryItemBytes, { positive: true });
  check("recordTtlDays", i.recordTtlDays, { positive: true });
  check("captureEventsPerInvocation", i.captureEventsPerInvocation, { positive: true });
  check("replicatorRecordsPerInvocation", i.replicatorRecordsPerInvocation, { positive: true });
  check("idleReceivesPerQueueMonth", i.idleReceivesPerQueueMonth);
  check("lambdaPolledQueues", i.lambdaPolledQueues, { integer: true });
  check("kmsCallers", i.kmsCallers);
  check("kmsCallsPerCallerMonth", i.kmsCallsPerCallerMonth);
  check("kmsKeys", i.kmsKeys, { integer: true });
  check("customMetrics", i.customMetrics, { integer: true });
  check("alarms", i.alarms, { integer: true });
  check("logRetentionDays", i.logRetentionDays);
  if (typeof i.trailIsFirstCopy !== "boolean") throw new Error(`cost input trailIsFirstCopy must be true or false (got ${String(i.trailIsFirstCopy)})`);
}

/** Write units of one write of `bytes` (1 KB each), read units of one strongly consistent read (4 KB each). */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 4096));

/** DynamoDB's storage overhead per item (the Developer Guide's 100 bytes of indexing per item). */
const ITEM_OVERHEAD_BYTES = 100;

export function estimateCost(i: CostInputs): CostEstimate {
  validateInputs(i);
  const lines: LineItem[] = [];
  const warnings: string[] = [];
  const add = (item: string, quantity: number, price: PriceName, unitLabel?: string) => {
    const p = PRICES[price];
    lines.push({ item, quantity, unit: unitLabel ?? p.unit, unitPriceUsd: p.usd, monthlyUsd: quantity * p.usd, price });
  };

  // Monthly volumes.
  const signUps = i.users * i.monthlyChurn;
  const deletions = i.users * i.monthlyChurn;
  const changes = i.users * i.changesPerUserPerMonth;
  const maus = i.users * i.mauShare;
  const signIns = maus * i.signInsPerMauPerMonth;
  const capturedEvents = 2 * signUps + changes + deletions + signIns;
  const recordWrites = signUps + changes + deletions;
  // A record outlives its TTL when no later write comes within it (changes as a Poisson process).
  const ttlMonths = i.recordTtlDays / 30;
  const expiries = (signUps + changes) * Math.exp(-i.changesPerUserPerMonth * ttlMonths) + deletions;
  const directoryPuts = 2 * signUps;
  const directoryDeletes = deletions;

  // Lambda.
  const invocations: Record<ProfiledFunction, number> = {
    postConfirmation: signUps,
    changeCapture: capturedEvents / i.captureEventsPerInvocation,
    // Records, plus one invocation per new user's directory pair (written within ms, one poll).
    replicator: recordWrites / i.replicatorRecordsPerInvocation + signUps,
    preToken: maus * i.tokensPerMauPerMonth,
  };
  const labels: Record<ProfiledFunction, string> = {
    postConfirmation: "post-confirmation (primary)",
    changeCapture: "change-capture (primary)",
    replicator: "replicate-user (DR)",
    preToken: "pre-token (primary)",
  };
  let logBytes = 0;
  for (const f of PROFILED_FUNCTIONS) {
    const p = i.functions[f];
    const n = invocations[f];
    add(`Lambda requests: ${labels[f]}`, n, "lambdaRequest");
    add(`Lambda compute: ${labels[f]} (${n.toFixed(0)} x ${p.avgDurationMs} ms x ${p.memoryMb} MB)`, (n * p.avgDurationMs * p.memoryMb) / 1000 / 1024, "lambdaArmGbSecond");
    logBytes += n * p.logBytesPerInvocation;
  }
  const r = i.reconcile;
  const passSeconds = i.users / (r.userListPerSecond * r.quotaShare * r.usersPerPage);
  // A pass is listed over ceil(passSeconds / budget) invocations; the rest of the ticks find nothing due.
  const busyTicks = r.passesPerMonth * Math.ceil(passSeconds / r.budgetSeconds);
  if (busyTicks > r.ticksPerMonth) {
    warnings.push(
      `reconcile passes need ${busyTicks} invocations a month (${Math.round(passSeconds)} s each to list ${i.users} users at ${r.quotaShare} of ${r.userListPerSecond} ListUsers/s, ${r.budgetSeconds} s an invocation), more than the schedule's ${r.ticksPerMonth} ticks: passes fall behind their interval`,
    );
  }
  const idleTicks = Math.max(0, r.ticksPerMonth - busyTicks);
  const reconcileSeconds = r.passesPerMonth * passSeconds + (idleTicks * r.idleTickMs) / 1000;
  add("Lambda requests: reconcile (DR, scheduled ticks)", r.ticksPerMonth, "lambdaRequest");
  add(`Lambda compute: reconcile (${r.passesPerMonth} passes x ${Math.round(passSeconds)} s, ${idleTicks} idle ticks x ${r.idleTickMs} ms, ${r.memoryMb} MB)`, (reconcileSeconds * r.memoryMb) / 1024, "lambdaArmGbSecond");
  logBytes += r.passesPerMonth * r.logBytesPerPass;

  // DynamoDB: each write lands in both replicas (one rWRU each); reads are strongly consistent.
  const recordWru = writeUnits(i.recordItemBytes);
  const dirWru = writeUnits(i.directoryItemBytes);
  const replicatedWrites = 2 * (recordWrites * recordWru + (directoryPuts + directoryDeletes) * dirWru);
  add("DynamoDB replicated writes (records, tombstones, directory items; both regions)", replicatedWrites, "dynamoReplicatedWriteRequestUnit");
  add("DynamoDB replicated TTL deletes of expired records (the other region)", expiries * recordWru, "dynamoReplicatedWriteRequestUnit");
  const reads =
    (signUps + changes + 2 * deletions) * readUnits(i.recordItemBytes) + // capture
    recordWrites * readUnits(i.directoryItemBytes); // replicator's directory lookups
  add("DynamoDB strongly consistent reads (capture, replicator)", reads, "dynamoReadRequestUnit");
  // Records written within the last TTL window (changed users, sign-ups, tombstones); 2 directory items per user, kept.
  const liveRecords = Math.min(i.users, i.users * (1 - Math.exp(-i.changesPerUserPerMonth * ttlMonths)) + signUps * ttlMonths) + deletions * ttlMonths;
  const storedGb = (liveRecords * (i.recordItemBytes + ITEM_OVERHEAD_BYTES) + 2 * i.users * (i.directoryItemBytes + ITEM_OVERHEAD_BYTES)) / GB;
  add("DynamoDB storage (both regions)", 2 * storedGb, "dynamoStorageGbMonth");
  add("DynamoDB point-in-time recovery (both regions)", 2 * storedGb, "dynamoPitrGbMonth");
  add("Cross-region replication transfer", (recordWrites * i.recordItemBytes + (directoryPuts + directoryDeletes) * i.directoryItemBytes + expiries * 100) / GB, "interRegionTransferGb");

  // Events and queues.
  // A second copy is charged for every write management event of the region, of every service:
  // only the captured Cognito ones are counted here, a lower bound.
  add(i.trailIsFirstCopy ? "CloudTrail management events (first copy: free)" : "CloudTrail management events, second copy (at least these; every write event of the region is charged)", capturedEvents, i.trailIsFirstCopy ? "cloudTrailManagementEvent" : "cloudTrailExtraCopy", "captured Cognito event");
  add("EventBridge: CloudTrail events on the default bus", capturedEvents, "eventBridgeAwsServiceEvent");
  const captureInvocations = invocations.changeCapture;
  add("SQS requests (send per event; receive and delete per batch; idle long polls)", capturedEvents + 2 * captureInvocations + i.idleReceivesPerQueueMonth * i.lambdaPolledQueues, "sqsRequest");

  // KMS, logs, metrics, alarms.
  add("KMS keys (multi-Region data key and its replica, alarm topic keys)", i.kmsKeys, "kmsKeyMonth");
  add("KMS requests (DynamoDB table-key decrypts per caller)", i.kmsCallers * i.kmsCallsPerCallerMonth, "kmsRequest");
  const ingestedGb = logBytes / GB;
  add("CloudWatch Logs ingestion", ingestedGb, "logsIngestGb");
  add(`CloudWatch Logs storage (${i.logRetentionDays} days kept)`, (ingestedGb * i.logRetentionDays) / 30, "logsStorageGbMonth");
  add("CloudWatch custom metrics (Powertools EMF)", i.customMetrics, "customMetricMonth");
  add("CloudWatch alarms", i.alarms, "alarmMonth");

  // The DR pool: AdminCreateUser, AdminGetUser, AdminUpdate*/Disable/Delete on a user make it active there.
  const drPoolMaus = Math.min(i.users + signUps, signUps + deletions + i.users * (1 - Math.exp(-i.changesPerUserPerMonth)));
  add("DR pool MAU from the replicator's per-user calls (Essentials)", drPoolMaus, "cognitoEssentialsMau");

  const totalUsd = lines.reduce((s, l) => s + l.monthlyUsd, 0);
  const nativePrice = PRICES.nativeReplicaMau.usd;
  return {
    lines,
    totalUsd,
    native: { maus, unitPriceUsd: nativePrice, monthlyUsd: maus * nativePrice },
    drPoolMaus,
    volumes: { signUps, deletions, changes, maus, signIns, capturedEvents, recordWrites, expiries, directoryPuts, directoryDeletes, reconcilePassSeconds: passSeconds, logGb: ingestedGb, storedGbPerRegion: storedGb },
    warnings,
  };
}

/** The breakdown as a markdown table, with the total and native's add-on under it. */
export function costTable(e: CostEstimate): string {
  const money = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));
  const qty = (x: number) => (x >= 1000 ? Math.round(x).toLocaleString("en-US") : Number(x.toPrecision(4)).toString());
  const rows = ["| line item | quantity | unit price (USD) | monthly (USD) |", "|---|---:|---:|---:|"];
  for (const l of e.lines) rows.push(`| ${l.item} | ${qty(l.quantity)} ${l.unit} | ${Number(l.unitPriceUsd.toPrecision(4))} | ${money(l.monthlyUsd)} |`);
  const mau = e.lines.filter((l) => l.price === "cognitoEssentialsMau").reduce((x, l) => x + l.monthlyUsd, 0);
  rows.push(`| subtotal without the DR pool's MAU (AWS resources only) | | | ${money(e.totalUsd - mau)} |`);
  rows.push(`| **total, custom path** | | | **${money(e.totalUsd)}** |`);
  rows.push(`| native replication add-on (${qty(e.native.maus)} MAU x 1 replica region) | | ${e.native.unitPriceUsd} | **${money(e.native.monthlyUsd)}** |`);
  return rows.join("\n");
}
