// The cost model's inputs (cost.ts) and where each came from: function durations, memory and log
// bytes measured by the sandbox's Lambda runtime during this run's stages (or an earlier run's, from
// its results file), item sizes computed from the real record code, counts from the deployed
// stacks and settings, and the rest assumed, each with its reason. `npm run bench -- --only cost`.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { LambdaStats } from "@cognito-dr/sandbox";
import { randomUUID } from "node:crypto";
import { DEFAULT_REPLICATED_ATTRIBUTES } from "../../handlers/contract";
import { COGNITO_QUOTAS } from "../../handlers/replication/cognito-quotas";
import { drUserKey, subKey } from "../../handlers/replication/dr-directory";
import { newRecord, toItem } from "../../handlers/replication/record";
import { RECONCILE_BUDGET_SECONDS } from "../../stacks/dr-reconcile";
import { environment } from "../../stacks/environments";
import type { EnvName } from "../../stacks/settings";
import { PROFILED_FUNCTIONS, type CostInputs, type FunctionProfile, type ProfiledFunction } from "./cost";

/** One function's counters over one bench stage (differences of the sandbox's cumulative stats). */
export interface FunctionDelta {
  region: string;
  invocations: number;
  durationMs: number;
  billedMs: number;
  logBytes: number;
  memoryMb: number;
}

/** Stage name -> function name -> what it did during that stage. */
export type StageFunctionStats = Record<string, Record<string, FunctionDelta>>;

/** What each function did between two snapshots of the sandbox's Lambda stats (functions that ran only). */
export function functionDeltas(before: LambdaStats | undefined, after: LambdaStats): Record<string, FunctionDelta> {
  const prior = new Map((before?.functions ?? []).map((f) => [`${f.region}/${f.name}`, f]));
  const out: Record<string, FunctionDelta> = {};
  for (const f of after.functions) {
    // Counters that went down were restarted (a new runtime): the later snapshot is the whole stage.
    const p = prior.get(`${f.region}/${f.name}`);
    const b = p && p.invocations <= f.invocations ? p : undefined;
    const invocations = f.invocations - (b?.invocations ?? 0);
    if (invocations <= 0) continue;
    out[f.name] = {
      region: f.region,
      invocations,
      durationMs: f.durationMs - (b?.durationMs ?? 0),
      billedMs: f.billedMs - (b?.billedMs ?? 0),
      logBytes: f.logBytes - (b?.logBytes ?? 0),
      memoryMb: f.memoryMb,
    };
  }
  return out;
}

/** DynamoDB's item size: attribute names plus values (Developer Guide, "Item sizes and formats"). */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueSize(v);
  return n;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  // Numbers: about one byte per two significant digits, plus one.
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+/g, "").length / 2) + 1;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.B !== undefined) return v.B.length;
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (v.L !== undefined) return 3 + v.L.reduce((s, x) => s + 1 + valueSize(x), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + valueSize(x), 0);
  return 0;
}

/** A user record as PostConfirmation writes it, with every default attribute filled (a large, typical user). */
export function sampleRecordBytes(): number {
  const values: Record<string, string> = {
    email: "firstname.lastname@example.com",
    email_verified: "true",
    name: "Firstname Lastname",
    given_name: "Firstname",
    family_name: "Lastname",
    phone_number: "+14155550123",
    phone_number_verified: "true",
    locale: "en-US",
  };
  const attributes = Object.fromEntries(DEFAULT_REPLICATED_ATTRIBUTES.map((a) => [a, values[a] ?? "value"]));
  const now = Date.now();
  return itemSizeBytes(toItem(newRecord({ canonicalId: randomUUID(), username: randomUUID(), attributes, originRegion: "us-east-1", originPoolId: "us-east-1_AbCdEfGhI", now, ttlDays: 30 })));
}

/** The larger of the directory's two items per user (dr-directory.ts `remember`: forward and reverse). */
export function sampleDirectoryItemBytes(): number {
  const id = randomUUID();
  const sub = randomUUID();
  const updatedAt = { N: String(Date.now()) };
  const forward = { canonicalId: { S: drUserKey(id) }, drUsername: { S: sub }, drPoolId: { S: "us-west-2_AbCdEfGhI" }, sub: { S: sub }, updatedAt };
  const reverse = { canonicalId: { S: subKey(sub, "dr") }, userCanonicalId: { S: id }, poolId: { S: "us-west-2_AbCdEfGhI" }, updatedAt };
  return Math.max(itemSizeBytes(forward), itemSizeBytes(reverse));
}

/** Deployed name suffix and region role of each profiled function. */
const DEPLOYED: Record<ProfiledFunction, { suffix: string; role: "primary" | "dr"; stages: string[] }> = {
  // Single-user stages first: production's rate (about one user a second) is theirs, not the bulk replicator run's.
  postConfirmation: { suffix: "post-confirmation", role: "primary", stages: ["lag", "lagRealistic", "captureLag", "captureLagRealistic"] },
  changeCapture: { suffix: "change-capture", role: "primary", stages: ["captureLag", "captureLagRealistic"] },
  replicator: { suffix: "replicate-user", role: "dr", stages: ["lag", "lagRealistic", "captureLag", "captureLagRealistic", "replicator"] },
  preToken: { suffix: "pre-token", role: "primary", stages: ["lag", "lagRealistic", "captureLag", "captureLagRealistic"] },
};

/**
 * Assumed when no stage measured the function. Durations are what each does at production's low
 * rate: one DynamoDB put; two Cognito reads plus a read and a put; a directory read, one or two
 * Cognito writes and two puts; claim building only. 256 MB: modules/bundled-function.ts' default,
 * which every function deploys with. 1.5 KB of logs: START/END/REPORT and two JSON lines with an
 * EMF blob.
 */
const ASSUMED: Record<ProfiledFunction, FunctionProfile> = {
  postConfirmation: { avgDurationMs: 60, memoryMb: 256, logBytesPerInvocation: 1500 },
  changeCapture: { avgDurationMs: 200, memoryMb: 256, logBytesPerInvocation: 1500 },
  replicator: { avgDurationMs: 300, memoryMb: 256, logBytesPerInvocation: 1500 },
  preToken: { avgDurationMs: 10, memoryMb: 256, logBytesPerInvocation: 600 },
};

export interface Sourced<T> {
  value: T;
  source: string;
}

export interface CostInputsWithSources {
  inputs: CostInputs;
  sources: Record<string, string>;
}

export interface ScenarioOptions {
  users: number;
  monthlyChurn: number;
  changesPerUserPerMonth: number;
  mauShare: number;
  /** Whose reconcile schedule and quota share to price (prod's by default: the one 2 million users would run). */
  scheduleOf: EnvName;
}

export const DEFAULT_SCENARIO: ScenarioOptions = { users: 2_000_000, monthlyChurn: 0.05, changesPerUserPerMonth: 1, mauShare: 1, scheduleOf: "prod" };


/**
 * The inputs for `scenario`, each with its source. `measured`: per-stage function stats of this run
 * (or of the run whose results file it came from, named by `measuredIn`).
 */
export function gatherCostInputs(scenario: ScenarioOptions, measured: StageFunctionStats | undefined, measuredIn: string): CostInputsWithSources {
  const sources: Record<string, string> = {};
  const functions = {} as Record<ProfiledFunction, FunctionProfile>;
  for (const f of PROFILED_FUNCTIONS) {
    const d = DEPLOYED[f];
    let found: { stage: string; delta: FunctionDelta } | undefined;
    for (const stage of d.stages) {
      const hit = Object.entries(measured?.[stage] ?? {}).find(([name]) => name.endsWith(`-${d.suffix}`));
      if (hit) {
        found = { stage, delta: hit[1] };
        break;
      }
    }
    if (found) {
      const x = found.delta;
      functions[f] = { avgDurationMs: round(x.billedMs / x.invocations), memoryMb: x.memoryMb, logBytesPerInvocation: Math.round(x.logBytes / x.invocations) };
      sources[`functions.${f}`] = `measured: ${x.invocations} invocations of ${x.region}'s ${d.suffix} in the ${found.stage} stage (${measuredIn}), sandbox Lambda runtime`;
    } else {
      functions[f] = ASSUMED[f];
      const why = measured ? `no stage of ${measuredIn} invoked ${d.suffix}` : `nothing measured: ${measuredIn}`;
      sources[`functions.${f}`] = `assumed (${why}): see ASSUMED in bench/lib/cost-inputs.ts`;
    }
  }
  // The environment as its stacks see it (no variables set: only its constants are read here).
  const env = environment(scenario.scheduleOf, {});
  const schedule = env.reconcile!;
  const passes = schedule.enabled ? (30 * 1440) / schedule.passIntervalMinutes : 0;
  const ticks = schedule.enabled ? (30 * 1440) / schedule.tickMinutes : 0;
  const recordBytes = sampleRecordBytes();
  const directoryBytes = sampleDirectoryItemBytes();
  const inputs: CostInputs = {
    users: scenario.users,
    monthlyChurn: scenario.monthlyChurn,
    changesPerUserPerMonth: scenario.changesPerUserPerMonth,
    mauShare: scenario.mauShare,
    signInsPerMauPerMonth: 2,
    tokensPerMauPerMonth: 30,
    functions,
    reconcile: {
      passesPerMonth: passes,
      ticksPerMonth: ticks,
      budgetSeconds: RECONCILE_BUDGET_SECONDS,
      idleTickMs: 300,
      quotaShare: schedule.quotaShare,
      userListPerSecond: COGNITO_QUOTAS.UserList,
      usersPerPage: 60,
      memoryMb: schedule.memoryMb,
      logBytesPerPass: 4096,
    },
    recordItemBytes: recordBytes,
    directoryItemBytes: directoryBytes,
    recordTtlDays: env.replication.recordTtlDays,
    captureEventsPerInvocation: 1,
    replicatorRecordsPerInvocation: 1,
    // Lambda polls an SQS queue with long polls (up to 20 s) from about five pollers while idle.
    idleReceivesPerQueueMonth: 5 * 3 * 60 * 24 * 30,
    lambdaPolledQueues: 2,
    kmsCallers: 7,
    kmsCallsPerCallerMonth: 12 * 24 * 30,
    kmsKeys: 4,
    customMetrics: 59,
    alarms: 13,
    logRetentionDays: env.logRetentionDays,
    trailIsFirstCopy: true,
  };
  Object.assign(sources, {
    users: "scenario (issue 24)",
    monthlyChurn: "scenario (issue 24): 5 % sign up and 5 % are deleted each month",
    changesPerUserPerMonth:
      "scenario, stated: 1 replicated change (attributes, enable/disable, groups) per user per month, on purpose high (most users change nothing in a month); the README shows 0.1 too",
    mauShare: "scenario: 100 % of users active each month (native's add-on is per MAU of the primary pool); the README shows 30 % too",
    signInsPerMauPerMonth: "assumed: 2 EMAIL_OTP sign-ins per active user a month, each a RespondToAuthChallenge event the capture rule matches and the function drops",
    tokensPerMauPerMonth: "assumed: 30 tokens issued per active user a month (sign-ins and refreshes), each a pre-token invocation",
    reconcile: `stacks/settings.ts RECONCILE_SCHEDULES.${scenario.scheduleOf}: a pass every ${schedule.passIntervalMinutes} min (${passes} passes/month), a tick every ${schedule.tickMinutes} min (${ticks} invocations/month), quota share ${schedule.quotaShare}; UserList ${COGNITO_QUOTAS.UserList}/s, 60 users a page; ${RECONCILE_BUDGET_SECONDS} s of work an invocation (stacks/dr-reconcile.ts), ${schedule.memoryMb} MB; an idle tick 300 ms and 4 KB of logs a pass assumed`,
    recordItemBytes: `computed: ${recordBytes} bytes, a record with every default replicated attribute (handlers/replication/record.ts toItem), DynamoDB's size rules; KMS encryption at rest does not change billed size`,
    directoryItemBytes: `computed: ${directoryBytes} bytes, the larger of the two directory items (handlers/replication/dr-directory.ts remember)`,
    recordTtlDays: `stacks/environments.ts: ${scenario.scheduleOf}'s replication.recordTtlDays`,
    captureEventsPerInvocation: "assumed 1: about one event a second in production, and the 1 s batching window rarely gathers two",
    replicatorRecordsPerInvocation: "assumed 1, as for capture",
    idleReceivesPerQueueMonth: "assumed: about 5 Lambda pollers long-polling (20 s) each polled queue: 648,000 receives a month",
    lambdaPolledQueues: "synth of prod: change-capture and replication-fallback queues have Lambda mappings (SSE-SQS, no KMS calls)",
    kmsCallers: "assumed: DynamoDB calls KMS for the table key per caller (post-confirmation, change-capture, retry-worker, replicator, reconcile, the stream pollers, replication) and caches it for 5 minutes",
    kmsCallsPerCallerMonth: "assumed upper bound: one call per caller every 5 minutes, all month",
    kmsKeys: "synth of prod: the multi-Region data key, its DR replica, one alarm-topic key per region",
    customMetrics: "counted from the handlers' METRIC names and dimension values (capture's kind x 9, reason x 11), an upper bound",
    alarms: "synth of prod: 7 alarms in the primary stack, 6 in DR",
    logRetentionDays: `stacks/environments.ts: ${scenario.scheduleOf}'s logRetentionDays`,
    trailIsFirstCopy: "modules/trail.ts: the stack's own single-region trail; free while no other trail logs the region's management events",
  });
  return { inputs, sources };
}

const round = (x: number) => Math.round(x * 10) / 10;
