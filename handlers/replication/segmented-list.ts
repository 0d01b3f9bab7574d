// Listing a pool fast enough to use the UserList share: ListUsers pages are sequential (each needs
// the previous page's token), so one walk reaches at most 1 / page latency pages/s, whatever the
// limiter allows. Here the pool is split into segments by `sub` prefix, each walked in token order,
// several walked at once; the caller's RegionLimiter still paces every request.
//
// Why `sub`: the ListUsers API reference lists `sub` among the searchable standard attributes and
// `^=` as the prefix ("starts with") filter type, one attribute per filter
// (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html).
// Assumption: every sub is a UUID Cognito generated (lowercase hex and dashes; no one can set or
// change it), so the 16 lowercase hex digits as first character partition every pool: each user is
// in exactly one segment. A caller's own filter (reconcile/backfill --filter) cannot be combined
// with a sub prefix, so a filtered listing is one sequential walk, as before.
import type { CognitoIdentityProviderClient, UserType } from "@aws-sdk/client-cognito-identity-provider";
import { listUsersPage } from "./pool-users";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

/** The 16 first characters a (lowercase hex) UUID can have: one segment each. */
export const HEX_SEGMENTS: readonly string[] = [..."0123456789abcdef"];
/** One segment, the empty prefix: the whole pool in one walk (no filter). */
export const WHOLE_POOL: readonly string[] = [""];
/** AWS: a ListUsers page of 60 takes 50-150 ms; sizing for the slow end keeps the rate reachable. */
export const DEFAULT_PAGE_SECONDS = 0.15;

/** Where a segment's walk stands: the next page's token, or done. Absent: from the first page. */
export interface SegmentProgress {
  token?: string;
  done?: boolean;
}

export interface SegmentPage {
  /** The sub prefix ("" for the whole pool or a filtered walk). */
  segment: string;
  users: UserType[];
  /** The token of this segment's next page; undefined when this was its last. */
  nextToken?: string;
}

export interface SegmentedListOptions {
  /** Sub prefixes (default HEX_SEGMENTS); ignored with `filter`. */
  segments?: readonly string[];
  /** A caller's ListUsers filter: one sequential walk with it (segment ""). */
  filter?: string;
  /** UserList requests/s the caller's limiter allows for this pool: what the listing should reach. */
  targetRate: number;
  /** Expected seconds per page (default DEFAULT_PAGE_SECONDS). */
  pageSeconds?: number;
  /** Resume: per segment, where it stopped. */
  start?: Readonly<Record<string, SegmentProgress>>;
  /**
   * Each page as it arrives, awaited before that segment's next request (so a slow consumer slows
   * its segment, and a page is fully handled before the next is asked for).
   */
  onPage(page: SegmentPage): void | Promise<void>;
}

export interface ListingSummary {
  segments: number;
  /** Segments walked at once. */
  concurrency: number;
  pages: number;
  users: number;
}

/**
 * Little's law (L = λ·W): to sustain λ pages/s when each takes W s, about λ·W requests must be in
 * flight; +1 absorbs latency variance and the consumer's time. Clamped to [1, segments].
 */
export function listingConcurrency(targetRate: number, pageSeconds: number, segments: number): number {
  if (!(targetRate > 0)) throw new RangeError(`the listing's target rate must be a positive number of requests/s (got ${targetRate})`);
  if (!(pageSeconds > 0)) throw new RangeError(`the expected page time must be a positive number of seconds (got ${pageSeconds})`);
  return Math.max(1, Math.min(segments, Math.ceil(targetRate * pageSeconds) + 1));
}

/** The segments a listing walks: the caller's filter forces one. */
export function segmentsFor(opts: Pick<SegmentedListOptions, "segments" | "filter">): readonly string[] {
  if (opts.filter) return WHOLE_POOL;
  const segments = opts.segments ?? HEX_SEGMENTS;
  if (segments.length === 0) throw new RangeError("a segmented listing needs at least one segment");
  for (const s of segments) {
    // A sub is hex digits and dashes: anything else could break out of the filter's quotes.
    if (!/^[0-9a-f-]*$/.test(s)) throw new RangeError(`segment "${s}" is not a sub prefix (lowercase hex digits and dashes)`);
  }
  // Overlapping prefixes would list users twice.
  for (const a of segments) for (const b of segments) if (a !== b && b.startsWith(a)) throw new RangeError(`segments "${a}" and "${b}" overlap`);
  if (new Set(segments).size !== segments.length) throw new RangeError("segments repeat");
  return segments;
}

/** Lists `poolId` segment by segment, pages delivered to `onPage` as they arrive. */
export async function listSegmented(cognito: Cognito, poolId: string, opts: SegmentedListOptions): Promise<ListingSummary> {
  const segments = segmentsFor(opts);
  const concurrency = listingConcurrency(opts.targetRate, opts.pageSeconds ?? DEFAULT_PAGE_SECONDS, segments.length);
  const queue = segments.filter((s) => !opts.start?.[s]?.done);
  const summary: ListingSummary = { segments: segments.length, concurrency, pages: 0, users: 0 };
  let failure: { error: unknown } | undefined;

  const walk = async (segment: string) => {
    const filter = opts.filter ?? (segment ? `sub ^= "${segment}"` : undefined);
    let token = opts.start?.[segment]?.token;
    let page = 0;
    do {
      let out;
      try {
        out = await listUsersPage(cognito, poolId, { token, filter });
      } catch (err) {
        throw segmentError(err, poolId, segment, filter, page);
      }
      page++;
      summary.pages++;
      summary.users += out.users.length;
      await opts.onPage({ segment, users: out.users, nextToken: out.nextToken });
      token = out.nextToken;
    } while (token && !failure);
  };
  const worker = async () => {
    // A failed segment stops the others at their next page: no page is handled after the rejection.
    while (queue.length > 0 && !failure) {
      const segment = queue.shift()!;
      try {
        await walk(segment);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  if (failure) throw failure.error;
  return summary;
}

/** The error with the segment named; its name (the AWS error code) and metadata kept for classification. */
// The filter's value is not named: an operator's filter may hold an email address.
function segmentError(err: unknown, poolId: string, segment: string, filter: string | undefined, page: number): Error {
  const e = err as Error & { name?: string };
  const where = `listing pool ${poolId}, segment ${segment ? `sub ^= "${segment}"` : filter ? "(a filtered walk)" : "(whole pool)"}, page ${page + 1}`;
  const wrapped = new Error(`${where}: ${e?.message ?? String(err)}`, { cause: err });
  if (e && typeof e === "object") Object.assign(wrapped, { name: e.name, $metadata: (e as { $metadata?: unknown }).$metadata, $fault: (e as { $fault?: unknown }).$fault });
  return Object.assign(wrapped, { segment });
}
