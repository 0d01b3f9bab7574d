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
  /** Give-up time for the backlog to drain after the restore (ms). */
  drainTimeoutMs: number;
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
    ...r.failures.map((f) => `  ✗ ${f}`),
  ].join("\n");
}
