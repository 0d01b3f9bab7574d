// Replicator throughput and replication lag against the deployed `local` stacks.
import { ListUsersCommand } from "@aws-sdk/client-cognito-identity-provider";
import { BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { newRecord, toItem, type ReplicatedUser } from "../../handlers/replication/record";
import { mapLimit } from "../../scripts/lib/map-limit";
import { getDrUser, signUpAndConfirm, testUsers } from "../../scripts/drills/population";
import { readDlq } from "../../scripts/lib/dlq";
import { GetFunctionConfigurationCommand, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand, UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { ENV } from "../../handlers/contract";
import { replicatorPacing, type Pacing } from "../../handlers/replication/pacing";
import { lambdaClient } from "../../scripts/lib/clients";
import { percentile, ratio, round } from "./stats";
import type { BenchWorld } from "./world";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Quota for our own observation calls (ListUsers / AdminGetUser in DR). Never UserCreation. */
const OBSERVER_RATE = 10_000;

export interface ReplicatorResult {
  users: number;
  /** The DR UserCreation quota the run had (AWS default 50, or a raised one) and the replicator's share of it. */
  quotaPerSec: number;
  quotaShare: number;
  /** What the deployed replicator was paced with (handlers/replication/pacing.ts, as a deploy would set it). */
  pacing: { userCreationRate: number; inFlight: number; batchSize: number };
  /** Injected latency on every DR Cognito call: median and jitter (uniform ± jitter). */
  latency: { medianMs: number; jitterMs: number };
  /** Rate between the first and the last user created in DR (the pipeline's start-up excluded; see endToEnd). */
  steadyPerSec: number;
  steadyRatio: number;
  /** From the first record written to the last user in DR: includes ~1–5 s of global-table copy, stream poll and cold start. */
  endToEndPerSec: number;
  endToEndRatio: number;
  /** Throttled DR Cognito calls (TooManyRequests) as a share of all DR Cognito calls. */
  throttledShare: number;
  quotaBoundPerSec: number;
  achievedPerSec: number;
  ratio: number;
  lost: number;
  duplicates: number;
  parked: number;
  injectedFaultRate: number;
  seconds: number;
  /** What the bound is made of. */
  bound: string;
  /** Best possible with the injected faults: a failed call spends a quota token too. */
  faultAdjustedBoundPerSec: number;
  notConfirmed: number;
  adminCreateUser: { calls: number; throttled: number; faulted: number };
  writeSeconds: number;
}

/** DR users whose email starts with `prefix`: [email, status] pairs (ListUsers, 60 a page). */
async function listDr(w: BenchWorld, prefix: string): Promise<Array<{ email: string; status: string }>> {
  const out: Array<{ email: string; status: string }> = [];
  let token: string | undefined;
  do {
    const page = await w.dr.cognito.send(
      new ListUsersCommand({ UserPoolId: w.deployment.dr.user_pool_id, Filter: `email ^= "${prefix}"`, PaginationToken: token, Limit: 60 }),
    );
    for (const u of page.Users ?? []) out.push({ email: u.Attributes?.find((a) => a.Name === "email")?.Value ?? "", status: u.UserStatus ?? "" });
    token = page.PaginationToken;
  } while (token);
  return out;
}

/** The pacing a deploy with this quota and share gives the replicator, applied to the deployed function and its mapping. */
async function paceReplicator(w: BenchWorld, pacing: Pacing): Promise<void> {
  const lambda = lambdaClient(w.deployment.env, w.deployment.env.drRegion);
  const FunctionName = w.names.fn("replicate-user");
  const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
  const Variables = { ...current.Environment?.Variables, [ENV.MAX_CONCURRENCY]: String(pacing.inFlight), [ENV.REPLICATOR_RATES]: JSON.stringify(pacing.rates) };
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables } }));
  const mappings = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName }));
  for (const m of mappings.EventSourceMappings ?? []) await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID!, BatchSize: pacing.batchSize }));
}

/**
 * N records written straight to the primary table (BatchWriteItem, as the
 * PostConfirmation trigger would have written them), quotas at AWS defaults, 5 % of DR
 * Cognito calls failing with InternalErrorException. Time from the first write to the
 * last user created in DR (sandbox stats, then every user seen by ListUsers); users not
 * CONFIRMED are counted in `notConfirmed`.
 */
export async function benchReplicator(
  w: BenchWorld,
  opts: { users: number; faultRate: number; quotaPerSec: number; quotaShare: number; latency: { medianMs: number; jitterMs: number }; timeoutMs: number; log: (s: string) => void },
): Promise<ReplicatorResult> {
  const drRegion = w.deployment.env.drRegion;
  const primaryRegion = w.deployment.env.primaryRegion;
  await w.reset();
  await w.sandbox.admin.setQuota([
    { region: drRegion, category: "UserList", ratePerSecond: OBSERVER_RATE },
    { region: drRegion, category: "UserRead", ratePerSecond: OBSERVER_RATE },
    { region: drRegion, category: "UserCreation", ratePerSecond: opts.quotaPerSec },
  ]);
  const pacing = replicatorPacing(opts.quotaShare, { UserCreation: opts.quotaPerSec });
  await paceReplicator(w, pacing);
  await w.sandbox.admin.injectFault({ service: "cognito-idp", region: drRegion, errorRate: opts.faultRate, latencyMs: opts.latency.medianMs, latencyJitterMs: opts.latency.jitterMs });
  const tag = `rep${randomUUID().slice(0, 6)}`;
  const now = Date.now();
  const records: ReplicatedUser[] = Array.from({ length: opts.users }, (_, i) =>
    newRecord({
      canonicalId: randomUUID(),
      username: randomUUID(),
      attributes: { email: `user-${tag}-${i}@example.com`, email_verified: "true", given_name: `Given${i}`, family_name: `Family-${tag}` },
      originRegion: primaryRegion,
      originPoolId: w.deployment.primary.user_pool_id,
      now,
      ttlDays: 30,
    }),
  );
  const chunks: ReplicatedUser[][] = [];
  for (let i = 0; i < records.length; i += 25) chunks.push(records.slice(i, i + 25));

  const started = performance.now();
  await mapLimit(chunks, 4, async (chunk) => {
    let items: Record<string, unknown>[] | undefined = chunk.map((r) => ({ PutRequest: { Item: toItem(r) } }));
    for (let attempt = 0; items && items.length > 0; attempt++) {
      const out = await w.primary.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [w.names.table]: items as never } }));
      items = out.UnprocessedItems?.[w.names.table] as typeof items;
      if (items?.length) await sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  });
  const writeSeconds = (performance.now() - started) / 1000;
  opts.log(`replicator: ${opts.users} records written in ${round(writeSeconds, 1)} s; waiting for DR`);

  // Completion: AdminCreateUser calls that reached moto (neither throttled nor faulted)
  // cover every user; then ListUsers confirms they exist and are CONFIRMED.
  const deadline = started + opts.timeoutMs;
  let finished: number | undefined;
  let firstCreated: number | undefined;
  let lastLog = performance.now();
  while (performance.now() < deadline) {
    const op = (await w.sandbox.admin.stats()).regions[drRegion]?.operations["cognito-idp:AdminCreateUser"];
    const reached = op ? op.calls - op.throttled - op.faulted : 0;
    const t = performance.now();
    if (reached > 0 && firstCreated === undefined) firstCreated = t;
    if (reached >= opts.users) {
      // Every user present. Their status is reported (notConfirmed), not waited for: see README.
      const listed = await listDr(w, `user-${tag}-`);
      if (new Set(listed.map((u) => u.email)).size >= opts.users) {
        finished = t;
        break;
      }
    }
    if (t - lastLog > 5000) {
      opts.log(`replicator: ${reached}/${opts.users} created after ${round((t - started) / 1000, 0)} s`);
      lastLog = t;
    }
    await sleep(100);
  }
  const end = finished ?? performance.now();
  const seconds = (end - started) / 1000;
  const listed = await listDr(w, `user-${tag}-`);
  const unique = new Set(listed.map((u) => u.email));
  const stats = (await w.sandbox.admin.stats()).regions[drRegion];
  const op = stats?.operations["cognito-idp:AdminCreateUser"] ?? { calls: 0, throttled: 0, faulted: 0 };
  const parked = (await readDlq(w.dr.sqs, w.deployment.dr.replicator_dlq_url)).length;
  await w.sandbox.admin.clearFaults();
  // Back to what the deploy set, for the stages after this one.
  await paceReplicator(w, replicatorPacing(w.deployment.env.replication.quotaShare, w.deployment.env.replication.cognitoQuotas));
  const bound = opts.quotaPerSec * opts.quotaShare;
  const faultAdjusted = bound * (1 - opts.faultRate);
  const created = records.filter((r) => unique.has(r.attributes.email)).length;
  const achieved = created / seconds;
  // The first create is counted at the poll that saw it (every 100 ms): the window may be up to 0.1 s short.
  const steady = firstCreated !== undefined ? created / Math.max(0.001, (end - firstCreated) / 1000) : 0;
  const cognitoCalls = Object.entries(stats?.operations ?? {}).filter(([k]) => k.startsWith("cognito-idp:"));
  const calls = cognitoCalls.reduce((n, [, o]) => n + o.calls, 0);
  const throttledCalls = cognitoCalls.reduce((n, [, o]) => n + o.throttled, 0);
  return {
    users: opts.users,
    quotaPerSec: opts.quotaPerSec,
    quotaShare: opts.quotaShare,
    pacing: { userCreationRate: pacing.rates.UserCreation, inFlight: pacing.inFlight, batchSize: pacing.batchSize },
    latency: opts.latency,
    steadyPerSec: round(steady, 1),
    steadyRatio: ratio(steady, faultAdjusted),
    endToEndPerSec: round(achieved, 1),
    endToEndRatio: ratio(achieved, faultAdjusted),
    throttledShare: calls > 0 ? round(throttledCalls / calls, 4) : 0,
    quotaBoundPerSec: bound,
    achievedPerSec: round(steady, 1),
    ratio: ratio(steady, faultAdjusted),
    lost: opts.users - created,
    duplicates: listed.length - unique.size,
    parked,
    injectedFaultRate: opts.faultRate,
    seconds: round(seconds, 1),
    bound: `DR UserCreation quota ${opts.quotaPerSec}/s × the replicator's share ${opts.quotaShare}: one AdminCreateUser (no temporary password, CONFIRMED at once) per new user; no UserUpdate call for a user without groups. ratio = steady rate ÷ the fault-adjusted bound`,
    faultAdjustedBoundPerSec: round(faultAdjusted, 1),
    notConfirmed: listed.filter((u) => u.status !== "CONFIRMED").length,
    adminCreateUser: { calls: op.calls, throttled: op.throttled, faulted: op.faulted },
    writeSeconds: round(writeSeconds, 2),
  };
}

export interface LagResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  replicationDelayMs: number;
  maxMs: number;
  missing: number;
  concurrency: number;
  /** What the user waits for ConfirmSignUp (the PostConfirmation trigger runs inside it). */
  confirmP50Ms: number;
  confirmP99Ms: number;
}

/**
 * Confirmation in the primary pool (SignUp + ConfirmSignUp through Cognito, which
 * runs the PostConfirmation trigger) to CONFIRMED in DR (AdminGetUser every ~10 ms).
 * Lag is measured from ConfirmSignUp's answer.
 */
export async function benchLag(
  w: BenchWorld,
  opts: { samples: number; replicationDelayMs: number; concurrency: number; timeoutMs: number; log: (s: string) => void },
): Promise<LagResult> {
  await w.reset({ replicationDelayMs: opts.replicationDelayMs });
  const drRegion = w.deployment.env.drRegion;
  await w.sandbox.admin.setQuota([
    { region: drRegion, category: "UserRead", ratePerSecond: OBSERVER_RATE },
    { region: w.deployment.env.primaryRegion, category: "UserCreation", ratePerSecond: OBSERVER_RATE },
  ]);
  const users = testUsers(opts.samples, `lag${opts.replicationDelayMs}${randomUUID().slice(0, 4)}`);
  const lags: number[] = [];
  const confirms: number[] = [];
  let missing = 0;
  let done = 0;
  await mapLimit(users, opts.concurrency, async (u) => {
    const t0 = performance.now();
    const confirmed = await signUpAndConfirm(w.primary.cognito, w.deployment.primary.app_client_id, u);
    const tConfirmed = performance.now();
    confirms.push(tConfirmed - t0);
    const deadline = tConfirmed + opts.timeoutMs;
    for (;;) {
      const dr = await getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, confirmed.email);
      const t = performance.now();
      if (dr?.status === "CONFIRMED") {
        lags.push(t - tConfirmed);
        break;
      }
      if (t > deadline) {
        missing++;
        break;
      }
      await sleep(10);
    }
    if (++done % 25 === 0) opts.log(`lag (delay ${opts.replicationDelayMs} ms): ${done}/${opts.samples}`);
  });
  return {
    samples: opts.samples,
    p50Ms: round(percentile(lags, 50), 0),
    p99Ms: round(percentile(lags, 99), 0),
    replicationDelayMs: opts.replicationDelayMs,
    maxMs: round(Math.max(...lags), 0),
    missing,
    concurrency: opts.concurrency,
    confirmP50Ms: round(percentile(confirms, 50), 0),
    confirmP99Ms: round(percentile(confirms, 99), 0),
  };
}
