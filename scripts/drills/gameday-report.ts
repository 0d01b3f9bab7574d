// What the game day is asked (its options) and what it reports: the report's shape, which the
// e2e test and the JSON file read, and its few lines for people. The run: gameday-run.ts.

export interface GameDayOptions {
  /** Global-table lag during the game day (ms). */
  replicationDelayMs: number;
  /** Sign-ups before the cut, from the first confirmation (ms). */
  warmupMs: number;
  /** How long the primary stays cut off (ms); the DR checks run inside it. */
  outageMs: number;
  /** Sign-ups keep going this long after the restore (ms). */
  afterRestoreMs: number;
  /** Users confirmed at least this long before the cut must be in DR (ms). */
  safetyMarginMs: number;
  /** Concurrent sign-up workers (each signs up one user after another). */
  signupConcurrency: number;
  /** Pause of each worker between sign-ups (ms). */
  signupPauseMs: number;
  /** Eligible users that sign in to the DR pool with EMAIL_OTP during the outage. */
  signInSample: number;
  /** Give-up time for "DR serves every eligible user" after the cut (ms). */
  rtoTimeoutMs: number;
  /** Give-up time for the backlog to drain after the restore (ms), in each direction. */
  drainTimeoutMs: number;
  /** Two-way mode: users who sign up to the DR pool during the outage. */
  drSignUps: number;
  log: (line: string) => void;
}

export const DEFAULT_GAMEDAY_OPTIONS: GameDayOptions = {
  replicationDelayMs: 1_000,
  warmupMs: 10_000,
  outageMs: 10_000,
  afterRestoreMs: 2_000,
  safetyMarginMs: 2_000,
  signupConcurrency: 3,
  signupPauseMs: 100,
  signInSample: 5,
  rtoTimeoutMs: 60_000,
  drainTimeoutMs: 90_000,
  drSignUps: 6,
  log: () => {},
};

export interface SignInResult {
  email: string;
  ok: boolean;
  /** ms from the cut until this sign-in returned tokens. */
  atMsAfterCut?: number;
  /** Canonical id the verifier library read from the DR ID token. */
  verifiedCanonicalId?: string;
  /** Which claim it came from: the sandbox does not rewrite token claims, so moto's ID token has only the attribute. */
  verifiedFrom?: "canonical_id" | "custom:canonical_id";
  /** Canonical id the DR pool's pre-token trigger returned for the token claims. */
  triggerCanonicalId?: string;
  error?: string;
}

export interface GameDayReport {
  startedAt: string;
  finishedAt: string;
  environment: string;
  primaryRegion: string;
  drRegion: string;
  settings: Omit<GameDayOptions, "log">;
  population: {
    attempts: number;
    confirmed: number;
    failedAttempts: number;
    /** Sign-up attempts that failed while the primary region was cut off. */
    failedDuringOutage: number;
    ratePerSecondBeforeCut: number;
  };
  cut: {
    at: string;
    /** Confirmed ≥ safetyMarginMs before the cut: must be served by DR. */
    eligible: number;
    /** Confirmed within safetyMarginMs before the cut: may still be in flight. */
    window: number;
    /** Confirmation answered after the cut began (the trigger raced the outage). */
    inFlight: number;
    /** Confirmed after the restore. */
    afterRestore: number;
  };
  rpo: {
    /** Eligible users not served by DR by the end of the RTO wait (the pass/fail number). */
    usersMissing: number;
    missing: string[];
    /** Users of the window missing in DR at that moment (expected to arrive after the restore). */
    windowMissing: number;
    /** Age of the newest confirmation already in DR at the cut's check, relative to the cut (ms; negative = before). */
    newestReplicatedMs?: number;
  };
  rto: {
    /** Cut → DR serves every eligible user (CONFIRMED, enabled, attributes, canonical id). */
    ms?: number;
    /** Cut → first EMAIL_OTP sign-in to the DR pool returned tokens. */
    firstSignInMs?: number;
    /** Cut → every sampled user signed in to the DR pool. */
    allSignInsMs?: number;
  };
  signIn: {
    flow: string;
    attempted: number;
    succeeded: number;
    canonicalIdOk: number;
    /** A primary sign-in attempt during the outage was refused (the cut is real). */
    primaryRefusedDuringOutage: boolean;
    /** Before the cut: a primary user's EMAIL_OTP sign-in to the primary pool; its trigger's canonical id must be the own sub. */
    primaryBeforeCut: SignInResult & { sub?: string };
    results: SignInResult[];
  };
  restore: {
    at: string;
    /** Restore → every user confirmed before the cut or after the restore is in DR (ms). */
    drainMs?: number;
    /** Users confirmed before the cut or after the restore still missing in DR after the drain timeout. */
    lost: string[];
    /** In-flight users (confirmation answered after the cut began) that reached DR / did not. */
    inFlightArrived: number;
    inFlightMissing: string[];
    duplicatesInDr: number;
    parkedInDlq: number;
    replication: { pending: Record<string, number>; dropped: number; errors: number };
  };
  /** Two-way mode only: the failback phase. */
  failback?: FailbackReport;
  pass: boolean;
  failures: string[];
}

/** A few lines for people. */
export function formatReport(r: GameDayReport): string {
  const ms = (v: number | undefined) => (v === undefined ? "not reached" : `${(v / 1000).toFixed(2)} s`);
  return [
    `game day ${r.pass ? "PASSED" : "FAILED"}: ${r.primaryRegion} cut off for ${(r.settings.outageMs / 1000).toFixed(0)} s, replication delay ${r.settings.replicationDelayMs} ms`,
    `  population: ${r.population.confirmed} confirmed of ${r.population.attempts} sign-ups (${r.population.ratePerSecondBeforeCut}/s before the cut; ${r.population.failedDuringOutage} refused during the outage)`,
    `  at the cut: ${r.cut.eligible} eligible (≥ ${r.settings.safetyMarginMs} ms old), ${r.cut.window} in the last ${r.settings.safetyMarginMs} ms, ${r.cut.inFlight} in flight`,
    `  RPO: ${r.rpo.usersMissing} eligible users missing in ${r.drRegion} (window users missing: ${r.rpo.windowMissing}; newest replicated confirmation ${r.rpo.newestReplicatedMs ?? "n/a"} ms from the cut)`,
    `  RTO: DR serves every eligible user ${ms(r.rto.ms)} after the cut; first DR sign-in ${ms(r.rto.firstSignInMs)}, all ${r.signIn.attempted} sampled ${ms(r.rto.allSignInsMs)}`,
    `  sign-in: ${r.signIn.succeeded}/${r.signIn.attempted} EMAIL_OTP sign-ins to the DR pool, canonical id right in ${r.signIn.canonicalIdOk} (verifier + DR pre-token trigger); primary before the cut ${r.signIn.primaryBeforeCut.ok ? "ok" : "failed"}, refused during the outage: ${r.signIn.primaryRefusedDuringOutage}`,
    `  restore: backlog drained ${ms(r.restore.drainMs)} after the restore; lost ${r.restore.lost.length}; in flight at the cut ${r.restore.inFlightArrived} arrived, ${r.restore.inFlightMissing.length} missing; duplicates ${r.restore.duplicatesInDr}; parked ${r.restore.parkedInDlq}`,
    ...(r.failback
      ? [
          `  failback: ${r.failback.usersMadeInDr} users and ${r.failback.changesMadeInDr} changes made in ${r.drRegion} reached ${r.primaryRegion} ${ms(r.failback.drainMs)} after the restore; lost ${r.failback.lost.length}, duplicated ${r.failback.duplicated}, parked ${r.failback.parked}; ${r.failback.signIn.succeeded}/${r.failback.signIn.attempted} DR-born users signed in to the primary, canonical id kept in ${r.failback.signIn.canonicalIdOk}; planted conflict ${r.failback.conflicts.detected && !r.failback.conflicts.merged ? "kept apart" : "NOT kept apart"}`,
        ]
      : []),
    ...r.failures.map((f) => `  ✗ ${f}`),
  ].join("\n");
}

/** The failback phase (two-way mode): what was done in DR during the outage and how it reached the primary. */
export interface FailbackReport {
  /** Users who signed up to the DR pool during the outage (DR-born: their DR sub is their canonical id). */
  usersMadeInDr: number;
  /** Attribute changes, disables and deletes made in the DR pool during the outage. */
  changesMadeInDr: number;
  /** Restore → every DR-made user and change shows in the primary pool (ms). */
  drainMs?: number;
  /** DR-made users or changes not in the primary pool by the drain timeout (emails). */
  lost: string[];
  /** DR-born users found more than once in the primary pool. */
  duplicated: number;
  /** Records on either replicator's DLQ before the conflict was planted. */
  parked: number;
  /** DR-born users signing in to the primary pool with EMAIL_OTP; canonicalIdOk: the primary's pre-token trigger gave their DR sub. */
  signIn: { attempted: number; succeeded: number; canonicalIdOk: number };
  /** The DR pool refused self sign-ups before the failover opened them and after the failback closed them. */
  signUpGate: { refusedBeforeFailover: boolean; refusedAfterFailback: boolean };
  /** One email signed up in both regions at once: kept apart under two canonical ids (detected), never merged. */
  conflicts: { planted: number; detected: boolean; merged: boolean; canonicalIds?: { primary: string; dr: string } };
  failures: string[];
}
