// How fast the replicator goes: a share of this region's Cognito quotas, not a fixed number of
// users in flight. The rate is the bound; the users in flight and the batch size only have to be
// large enough that latency never becomes it:
// - rates: every quota category × the share (a client-side token bucket per category, rate-limit.ts);
// - in flight: Little's law, users in flight = rate × time one user takes. One user is a directory
//   read, an AdminCreateUser (Cognito runs the DR pool's PreSignUp trigger inside it, cold starts
//   included), two directory writes and maybe a retry with its backoff: ~0.2 s on a healthy AWS
//   region, several times that during a regional incident. IN_FLIGHT_SECONDS is generous because
//   users in flight beyond the need cost nothing (the token bucket holds the rate) while too few make
//   latency the bound: at 0.5 s the replicator reached 0.85 of a 50/s quota in the sandbox, where a
//   user took 0.62 s under load (25 in flight, 40.4 users/s);
// - batch size: Lambda hands a shard's next batch only after the last one returned, so every batch
//   ends with its slowest user while nothing else runs. Sizing a batch to BATCH_SECONDS of work keeps
//   that tail (a few hundred ms) to a few per cent. Batches are not delayed by it: with a batching
//   window of 0 a batch holds whatever the shard has, up to this size.
// Shared by the stack (batch size, the function's variables) and the handler (its limiter).
import { COGNITO_QUOTAS, type QuotaCategory } from "./cognito-quotas";

/** Seconds of work one full batch holds at the configured rate. */
export const BATCH_SECONDS = 10;
/** Seconds one user may take (its calls, the DR trigger, a retry) before the users in flight limit the rate. */
export const IN_FLIGHT_SECONDS = 2;
/** DynamoDB stream mappings take batches of 1 to 10,000 records (Lambda API, CreateEventSourceMapping BatchSize). */
export const STREAM_BATCH_LIMITS = { min: 100, max: 10_000 } as const;
export const IN_FLIGHT_LIMITS = { min: 10, max: 500 } as const;

/**
 * Share of each quota the replicator takes by default: the rest is left for the region's own
 * sign-ups (SignUp, ConfirmSignUp and AdminCreateUser share UserCreation) and for the operator tools.
 */
export const DEFAULT_REPLICATOR_QUOTA_SHARE = 0.8;

export interface Pacing {
  /** Requests/s per category for one function instance (one busy shard). */
  rates: Record<QuotaCategory, number>;
  /** Users worked on at once within a batch. */
  inFlight: number;
  /** The stream mapping's batch size. */
  batchSize: number;
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/** The pacing for this region's quotas (AWS defaults unless raised) and the replicator's share of them. */
export function replicatorPacing(share: number, quotas: Partial<Record<QuotaCategory, number>> = {}): Pacing {
  if (!(share > 0 && share <= 1)) throw new RangeError(`the replicator's quota share must be in (0, 1] (got ${share})`);
  const rates = Object.fromEntries(
    (Object.keys(COGNITO_QUOTAS) as QuotaCategory[]).map((c) => [c, round2((quotas[c] ?? COGNITO_QUOTAS[c]) * share)]),
  ) as Record<QuotaCategory, number>;
  // A new user costs one AdminCreateUser: UserCreation sets the pace of a backlog.
  const create = rates.UserCreation;
  return {
    rates,
    inFlight: clamp(Math.ceil(create * IN_FLIGHT_SECONDS), IN_FLIGHT_LIMITS.min, IN_FLIGHT_LIMITS.max),
    batchSize: clamp(Math.round(create * BATCH_SECONDS), STREAM_BATCH_LIMITS.min, STREAM_BATCH_LIMITS.max),
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
