// The game day: a primary-region outage rehearsed against the sandbox with the real
// `local` stacks deployed. Users sign up continuously in the primary pool; the
// primary region is cut off; every user confirmed at least `safetyMarginMs` before
// the cut must be served by the DR pool (CONFIRMED, enabled, same attributes and
// canonical id) and sign in there; then the primary is restored and the backlog
// must drain with nobody lost. Measures RPO (users missing in DR while the primary
// is down) and RTO (cut → DR serves every such user).
//
// `runGameDay` works on a running sandbox + deployment (scripts/drills/gameday.ts starts
// and tears them down); it returns a report and never throws for a failed check.
// Over 300 lines because runGameDay is one timeline (sign-ups, cut, checks during the outage,
// restore, drain) that reads top to bottom; its types and report text are in gameday-report.ts.
import {
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { randomUUID } from "node:crypto";
import { CANONICAL_ID_CLAIM } from "../../handlers/contract";
import { createTokenVerifier } from "../../handlers/tokens/verify-token";
import type { Sandbox } from "@cognito-dr/sandbox";
import { regionClients } from "../lib/clients";
import type { LocalDeployment } from "../lib/local-deploy";
import { mapLimit } from "../lib/map-limit";
import { drUserMatches, getDrUser, listByEmailPrefix, signUpAndConfirm, type ConfirmedUser } from "./population";
import { readDlq } from "../lib/dlq";
import { DEFAULT_GAMEDAY_OPTIONS, type FailbackReport, type GameDayOptions, type GameDayReport, type SignInResult } from "./gameday-report";
import { afterRestore, drainToPrimary, duringOutage, type DrActivity, type Drain, type FailbackContext } from "./gameday-failback";


interface Attempt {
  email: string;
  startedAt: number;
  user?: ConfirmedUser;
  failedAt?: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runGameDay(sandbox: Sandbox, deployment: LocalDeployment, overrides: Partial<GameDayOptions> = {}): Promise<GameDayReport> {
  const o: GameDayOptions = { ...DEFAULT_GAMEDAY_OPTIONS, ...overrides };
  const { env } = deployment;
  const log = o.log;
  const started = Date.now();
  const failures: string[] = [];
  // Sign-ups fail fast during the outage (no retries); checks retry as operators would.
  const signupClients = regionClients(env, env.primaryRegion, { maxAttempts: 1 });
  const primary = regionClients(env, env.primaryRegion, { maxAttempts: 1 });
  const dr = regionClients(env, env.drRegion, { maxAttempts: 6 });
  const drPool = deployment.dr.user_pool_id;
  const drClientId = deployment.dr.app_client_id;
  const tag = `gd${randomUUID().slice(0, 6)}`;

  async function primarySignInCheck(): Promise<SignInResult & { sub?: string }> {
    const u = attempts.find((a) => a.user)?.user;
    if (!u) return { email: "", ok: false, error: "nobody confirmed yet" };
    const r: SignInResult & { sub?: string } = { email: u.email, ok: false, sub: u.sub };
    try {
      await signInWithEmailOtp(primary.cognito, sandbox, deployment.primary.app_client_id, u.email);
      r.ok = true;
      r.triggerCanonicalId = await triggerCanonicalId(deployment.primary.user_pool_id, u.email);
    } catch (err) {
      r.error = `${(err as Error).name}: ${(err as Error).message}`;
    }
    return r;
  }

  const triggerCanonicalId = (poolId: string, email: string) => triggerCanonicalIdOf(sandbox, poolId, email);

  await sandbox.admin.setReplicationDelay(o.replicationDelayMs);
  await sandbox.admin.clearFaults();
  await sandbox.admin.clearOutbox();
  log(`replication delay ${o.replicationDelayMs} ms; signing users up continuously (${o.signupConcurrency} workers, tag ${tag})`);

  // 1. continuous sign-ups
  const attempts: Attempt[] = [];
  let stop = false;
  let seq = 0;
  const worker = async () => {
    while (!stop) {
      const i = seq++;
      const u = { email: `user-${tag}-${i}@example.com`, givenName: `Given${i}`, familyName: `Family-${tag}` };
      const a: Attempt = { email: u.email, startedAt: Date.now() };
      attempts.push(a);
      try {
        a.user = await signUpAndConfirm(signupClients.cognito, deployment.primary.app_client_id, u);
      } catch (err) {
        a.failedAt = Date.now();
        a.error = (err as Error).name;
        await sleep(200);
      }
      await sleep(o.signupPauseMs);
    }
  };
  const workers = Promise.all(Array.from({ length: o.signupConcurrency }, worker));

  // Before the cut: a primary user signs in to the primary pool, whose pre-token
  // trigger must put the user's own sub into the tokens.
  // (The first sign-ups pay the functions' cold starts: wait for one.)
  while (!attempts.some((a) => a.user) && Date.now() < started + 60_000) await sleep(100);
  const primaryCheck = await primarySignInCheck();
  const ownSub = primaryCheck.ok && primaryCheck.triggerCanonicalId === primaryCheck.sub;
  log(`primary sign-in before the cut: ${primaryCheck.ok ? "ok" : `failed (${primaryCheck.error})`}; pre-token canonical id ${ownSub ? "= the user's own sub" : `${primaryCheck.triggerCanonicalId ?? "missing"}`}`);

  // 2. the cut, warmupMs after the first confirmation (cold starts do not eat the warm-up)
  const firstAt = Math.min(...attempts.filter((a) => a.user).map((a) => a.user!.confirmedAt), Date.now());
  await sleep(firstAt + o.warmupMs - Date.now());
  const cutAt = Date.now();
  const outage = await sandbox.admin.regionOutage(env.primaryRegion);
  log(`cut: ${env.primaryRegion} is down (every service)`);
  const confirmedBy = (t: number) => attempts.filter((a) => a.user && a.user.confirmedAt <= t).map((a) => a.user!);
  const eligible = confirmedBy(cutAt - o.safetyMarginMs);
  const window = confirmedBy(cutAt).filter((u) => u.confirmedAt > cutAt - o.safetyMarginMs);
  log(`${eligible.length} users confirmed ≥ ${o.safetyMarginMs} ms before the cut must be served by ${env.drRegion}; ${window.length} in the last ${o.safetyMarginMs} ms`);

  // 3. RTO/RPO: poll DR until every eligible user is served
  const served = new Map<string, number>();
  let rtoMs: number | undefined;
  const rtoDeadline = cutAt + o.rtoTimeoutMs;
  for (;;) {
    const pending = eligible.filter((u) => !served.has(u.email));
    await mapLimit(pending, 10, async (u) => {
      if (drUserMatches(u, await getDrUser(dr.cognito, drPool, u.email).catch(() => undefined))) served.set(u.email, Date.now());
    });
    if (served.size === eligible.length) {
      rtoMs = Date.now() - cutAt;
      break;
    }
    if (Date.now() > rtoDeadline) break;
    await sleep(100);
  }
  const missing = eligible.filter((u) => !served.has(u.email)).map((u) => u.email);
  const windowState = await mapLimit(window, 10, async (u) => drUserMatches(u, await getDrUser(dr.cognito, drPool, u.email).catch(() => undefined)));
  const replicated = [...eligible.filter((u) => served.has(u.email)), ...window.filter((_, i) => windowState[i])];
  const newest = replicated.length ? Math.max(...replicated.map((u) => u.confirmedAt)) - cutAt : undefined;
  log(rtoMs === undefined ? `DR did not serve ${missing.length} eligible users within ${o.rtoTimeoutMs} ms` : `DR serves all ${eligible.length} eligible users ${rtoMs} ms after the cut`);

  // 4. sign-in to the DR pool during the outage
  const primaryRefused = await primary.cognito
    .send(new InitiateAuthCommand({ AuthFlow: "USER_AUTH", ClientId: deployment.primary.app_client_id, AuthParameters: { USERNAME: eligible[0]?.email ?? "nobody@example.com" } }))
    .then(
      () => false,
      () => true,
    );
  const sample = spread(eligible, o.signInSample);
  const jwks = await fetchJwks(sandbox, drPool);
  const verifier = createTokenVerifier({ pools: [{ userPoolId: deployment.primary.user_pool_id, clientId: deployment.primary.app_client_id }, { userPoolId: drPool, clientId: drClientId }], tokenUse: "id" });
  if (jwks) verifier.cacheJwks(drPool, jwks);
  const results: SignInResult[] = [];
  for (const u of sample) {
    const r: SignInResult = { email: u.email, ok: false };
    try {
      const tokens = await signInWithEmailOtp(dr.cognito, sandbox, drClientId, u.email);
      r.ok = true;
      r.atMsAfterCut = Date.now() - cutAt;
      if (tokens.IdToken && jwks) {
        const identity = await verifier.verify(tokens.IdToken);
        r.verifiedCanonicalId = identity.canonicalId;
        r.verifiedFrom = identity.claims.canonical_id ? "canonical_id" : "custom:canonical_id";
      }
    } catch (err) {
      r.error = `${(err as Error).name}: ${(err as Error).message}`;
    }
    results.push(r);
  }
  for (const r of results) if (r.ok) r.triggerCanonicalId = await triggerCanonicalId(drPool, r.email);
  const bySub = new Map(sample.map((u) => [u.email, u.sub]));
  const canonicalOk = results.filter((r) => r.ok && r.verifiedCanonicalId === bySub.get(r.email) && r.triggerCanonicalId === bySub.get(r.email)).length;
  const okTimes = results.filter((r) => r.ok).map((r) => r.atMsAfterCut!);
  log(`DR sign-in (USER_AUTH + EMAIL_OTP): ${okTimes.length}/${results.length} ok, canonical id right in ${canonicalOk}`);

  // 4b. two-way mode: the DR pool is the directory now (sign-ups, changes, disables, deletes there)
  const twoWay = env.replication.mode === "two-way";
  const failbackCtx: FailbackContext = { sandbox, deployment, primary: regionClients(env, env.primaryRegion), dr, tag, log, signIn: (c, id, email) => signInWithEmailOtp(c, sandbox, id, email), triggerCanonicalId };
  // Copies of primary users that support changes in DR: the DR-side checks below leave them to the failback phase.
  const changedInDr = new Set<string>();
  let activity: DrActivity | undefined;
  if (twoWay) {
    const targets = eligible.filter((u) => !sample.includes(u)).slice(-3);
    for (const u of targets) changedInDr.add(u.email);
    activity = await duringOutage(failbackCtx, targets, o.drSignUps);
  }

  // 5. hold the outage, then restore
  await sleep(cutAt + o.outageMs - Date.now());
  await sandbox.admin.clearFaults(outage.id);
  const restoredAt = Date.now();
  log(`restore: ${env.primaryRegion} is back after ${restoredAt - cutAt} ms`);
  // Two-way: DR's changes drain into the primary while the DR side's backlog is checked below.
  const failbackDrain: Promise<Drain> | undefined = activity ? drainToPrimary(failbackCtx, activity, restoredAt, o.drainTimeoutMs) : undefined;
  await sleep(o.afterRestoreMs);
  stop = true;
  await workers;

  // 6. the backlog drains, nobody lost
  const beforeCut = confirmedBy(cutAt);
  const confirmedAfterRestore = attempts.filter((a) => a.user && a.startedAt >= restoredAt).map((a) => a.user!);
  const inFlight = attempts.filter((a) => a.user && a.user.confirmedAt > cutAt && a.startedAt < restoredAt).map((a) => a.user!);
  const mustArrive = [...beforeCut, ...confirmedAfterRestore].filter((u) => !changedInDr.has(u.email));
  const arrived = new Set<string>();
  let drainMs: number | undefined;
  const drainDeadline = Date.now() + o.drainTimeoutMs;
  for (;;) {
    const pending = [...mustArrive, ...inFlight].filter((u) => !arrived.has(u.email));
    await mapLimit(pending, 10, async (u) => {
      if (drUserMatches(u, await getDrUser(dr.cognito, drPool, u.email).catch(() => undefined))) arrived.add(u.email);
    });
    if (mustArrive.every((u) => arrived.has(u.email))) {
      drainMs = Date.now() - restoredAt;
      // In-flight users get one more look once the replication queue is empty.
      await sandbox.admin.flushReplication(10_000).catch(() => undefined);
      await sleep(1_000);
      await mapLimit(
        inFlight.filter((u) => !arrived.has(u.email)),
        10,
        async (u) => {
          if (drUserMatches(u, await getDrUser(dr.cognito, drPool, u.email).catch(() => undefined))) arrived.add(u.email);
        },
      );
      break;
    }
    if (Date.now() > drainDeadline) break;
    await sleep(200);
  }
  const lost = mustArrive.filter((u) => !arrived.has(u.email)).map((u) => u.email);
  const inFlightMissing = inFlight.filter((u) => !arrived.has(u.email)).map((u) => u.email);
  const drEmails = await listByEmailPrefix(dr.cognito, drPool, `user-${tag}-`);
  const duplicates = drEmails.length - new Set(drEmails).size;
  const parked = await readDlq(dr.sqs, deployment.dr.replicator_dlq_url).catch(() => []);
  const repl = await sandbox.admin.replication();
  log(drainMs === undefined ? `backlog did not drain: ${lost.length} users missing` : `backlog drained ${drainMs} ms after the restore; ${lost.length} lost`);

  // 7. two-way mode: everything made in DR reaches the primary
  let failback: FailbackReport | undefined;
  if (activity && failbackDrain) {
    failback = await afterRestore(failbackCtx, activity, await failbackDrain);
    failures.push(...failback.failures.map((f) => `failback: ${f}`));
    log(`failback: ${failback.usersMadeInDr} users and ${failback.changesMadeInDr} changes made in DR; drained ${failback.drainMs ?? "never"} ms after the restore; lost ${failback.lost.length}, duplicated ${failback.duplicated}, parked ${failback.parked}`);
  }

  // verdict
  if (missing.length > 0) failures.push(`RPO: ${missing.length} users confirmed ≥ ${o.safetyMarginMs} ms before the cut were not served by DR`);
  if (eligible.length === 0) failures.push("no users were confirmed before the cut: nothing was tested");
  if (lost.length > 0) failures.push(`${lost.length} users confirmed before the cut or after the restore never reached DR`);
  if (results.length === 0 || okTimes.length < results.length) failures.push(`DR sign-in: ${okTimes.length}/${results.length} succeeded`);
  if (canonicalOk < results.length) failures.push(`canonical id: right in ${canonicalOk}/${results.length} DR sign-ins (verifier and pre-token trigger)`);
  if (!primaryCheck.ok || primaryCheck.triggerCanonicalId !== primaryCheck.sub) {
    failures.push(`primary sign-in before the cut: ${primaryCheck.ok ? `pre-token canonical id ${primaryCheck.triggerCanonicalId ?? "missing"} is not the user's sub` : primaryCheck.error}`);
  }
  if (!primaryRefused) failures.push("the primary pool still answered during the outage: the cut was not real");
  if (duplicates > 0) failures.push(`${duplicates} duplicate users in DR`);
  if (parked.length > 0) failures.push(`${parked.length} records parked on the replicator DLQ`);

  const attemptsBeforeCut = attempts.filter((a) => a.startedAt < cutAt);
  const failedDuringOutage = attempts.filter((a) => a.failedAt !== undefined && a.failedAt >= cutAt && a.failedAt <= restoredAt + 1_000).length;
  const { log: _log, ...settings } = o;
  return {
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    environment: env.name,
    primaryRegion: env.primaryRegion,
    drRegion: env.drRegion,
    settings,
    population: {
      attempts: attempts.length,
      confirmed: attempts.filter((a) => a.user).length,
      failedAttempts: attempts.filter((a) => a.error).length,
      failedDuringOutage,
      ratePerSecondBeforeCut: Math.round((attemptsBeforeCut.filter((a) => a.user).length / Math.max(1, (cutAt - firstAt) / 1000)) * 10) / 10,
    },
    cut: { at: new Date(cutAt).toISOString(), eligible: eligible.length, window: window.length, inFlight: inFlight.length, afterRestore: confirmedAfterRestore.length },
    rpo: { usersMissing: missing.length, missing, windowMissing: windowState.filter((x) => !x).length, newestReplicatedMs: newest },
    rto: {
      ms: rtoMs,
      firstSignInMs: okTimes.length ? Math.min(...okTimes) : undefined,
      allSignInsMs: okTimes.length === results.length && okTimes.length ? Math.max(...okTimes) : undefined,
    },
    signIn: {
      flow: "InitiateAuth USER_AUTH (PREFERRED_CHALLENGE=EMAIL_OTP) → code from the sandbox outbox → RespondToAuthChallenge EMAIL_OTP",
      attempted: results.length,
      succeeded: okTimes.length,
      canonicalIdOk: canonicalOk,
      primaryRefusedDuringOutage: primaryRefused,
      primaryBeforeCut: primaryCheck,
      results,
    },
    restore: {
      at: new Date(restoredAt).toISOString(),
      drainMs,
      lost,
      inFlightArrived: inFlight.length - inFlightMissing.length,
      inFlightMissing,
      duplicatesInDr: duplicates,
      parkedInDlq: parked.length,
      replication: { pending: repl.pending, dropped: repl.counters.dropped, errors: repl.counters.errors },
    },
    ...(failback ? { failback } : {}),
    pass: failures.length === 0,
    failures,
  };
}

/** `count` items spread over `items` (oldest, newest and between). */
function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / Math.max(1, count - 1))]);
}

/**
 * The canonical id a pool's pre-token trigger last put into `email`'s ID token (the sandbox does not
 * rewrite claims, so the trigger's answer stands for them); `region` tells a native secondary from
 * its primary, which share the pool id.
 */
export async function triggerCanonicalIdOf(sandbox: Sandbox, poolId: string, email: string, region?: string): Promise<string | undefined> {
  const inv = (await sandbox.admin.triggers())
    .filter((t) => t.trigger === "PreTokenGeneration" && t.userPoolId === poolId && (region === undefined || t.region === region))
    .reverse()
    .find((t) => (t.event as { request?: { userAttributes?: Record<string, string> } }).request?.userAttributes?.email === email);
  const out = inv?.result as { response?: { claimsAndScopeOverrideDetails?: { idTokenGeneration?: { claimsToAddOrOverride?: Record<string, string> } } } } | undefined;
  return out?.response?.claimsAndScopeOverrideDetails?.idTokenGeneration?.claimsToAddOrOverride?.[CANONICAL_ID_CLAIM];
}

/** The passwordless sign-in replicated users have in the DR pool (their password cannot be copied). */
export async function signInWithEmailOtp(cognito: CognitoIdentityProviderClient, sandbox: Sandbox, clientId: string, email: string) {
  const start = await cognito.send(new InitiateAuthCommand({ AuthFlow: "USER_AUTH", ClientId: clientId, AuthParameters: { USERNAME: email, PREFERRED_CHALLENGE: "EMAIL_OTP" } }));
  if (start.ChallengeName !== "EMAIL_OTP") throw new Error(`expected an EMAIL_OTP challenge, got ${start.ChallengeName ?? "tokens"}`);
  const code = (await sandbox.admin.outbox(email)).at(-1)?.code;
  if (!code) throw new Error("no EMAIL_OTP code in the sandbox outbox");
  const done = await cognito.send(
    new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: "EMAIL_OTP", Session: start.Session, ChallengeResponses: { USERNAME: email, EMAIL_OTP_CODE: code } }),
  );
  if (!done.AuthenticationResult?.IdToken) throw new Error(`no tokens after the code (challenge ${done.ChallengeName ?? "none"})`);
  return done.AuthenticationResult;
}

/** The pool's JWKS as the sandbox (moto) serves it, through the gateway or from moto directly. */
async function fetchJwks(sandbox: Sandbox, poolId: string) {
  for (const base of [sandbox.endpoint, sandbox.motoEndpoint]) {
    try {
      const res = await fetch(`${base}/${poolId}/.well-known/jwks.json`);
      if (res.ok) return (await res.json()) as Parameters<ReturnType<typeof createTokenVerifier>["cacheJwks"]>[1];
    } catch {
      // next
    }
  }
  return undefined;
}
