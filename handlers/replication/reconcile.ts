// The reconcile core: lists both pools, joins users by canonical id (DR: custom:canonical_id,
// primary: the user's own sub), reports every kind of drift and, when asked, repairs it through
// the shared upsert (the same code the replicator runs). Primary users in a canonical-id conflict
// (canonical-claims.ts) are reported and never repaired. The operator CLI
// (scripts/operator/reconcile.ts) and the scheduled reconcile Lambda (handlers/reconcile) both
// run this. It is the net under change capture: what it repairs of the kinds capture carries is
// counted as missed by capture, so a rising count means capture is broken.
// Two-way mode (D3, D12; reconcile-two-way.ts): canonical ids are the attribute ?? sub in both pools,
// a DR user born in DR or whose latest record originates there is `missing_in_primary` (repaired by
// copying it to the primary with the same upsert), and same-email pairs are reported, never merged.
import { AdminDeleteUserCommand, type CognitoIdentityProviderClient, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { performance } from "node:perf_hooks";
import { attributeMap } from "./attributes";
import { claimedCanonicalId, primaryConflicts } from "./canonical-claims";
import { classifyAwsError } from "../shared/classify";
import type { ReplicationMode } from "../contract";
import type { DrDirectory } from "./dr-directory";
import { COGNITO_QUOTAS } from "./cognito-quotas";
import { drCanonicalId, groupMembership, listUsersPage, poolStateFromUser, primaryCanonicalId, recordFromUser, replicable, userKeeper } from "./pool-users";
import { DEFAULT_QUOTA_SHARE } from "./rate-limit";
import { classifyDrOnly, deletedInDr, latestRecord, missingInPrimary, sameEmailPairs, type RecordReader, type SameEmailPair } from "./reconcile-two-way";
import type { ReplicatedUser } from "./record";
import type { ReplicationConfig } from "./replication-config";
import { listSegmented, type ListingSummary } from "./segmented-list";
import { keptTwin } from "./twins";
import { MemoryPartitions, type PoolSide, type UserPartitions } from "./user-partitions";
import { desiredAttributes, planUser, upsertDrUser } from "./upsert";

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

export type DriftKind = "missing_in_dr" | "missing_in_primary" | "extra_in_dr" | "twin" | "attributes" | "enabled" | "groups" | "invalid" | "conflict";
export const DRIFT_KINDS: readonly DriftKind[] = ["missing_in_dr", "missing_in_primary", "extra_in_dr", "twin", "attributes", "enabled", "groups", "invalid", "conflict"];

/**
 * The drift change capture exists to prevent: a user created, changed or deleted in the primary
 * whose DR user does not follow. (Twins come from the upsert's old email lookup, invalid users and
 * conflicts from the data: not capture's to carry.)
 */
export type CapturedKind = "missing_in_dr" | "missing_in_primary" | "extra_in_dr" | "attributes" | "enabled" | "groups";
export const CAPTURED_KINDS: readonly CapturedKind[] = ["missing_in_dr", "missing_in_primary", "extra_in_dr", "attributes", "enabled", "groups"];

/** A primary change younger than this may still be on its way through CloudTrail and the replicator. */
export const DEFAULT_CAPTURE_GRACE_MS = 15 * 60_000;

export interface DriftItem {
  kind: DriftKind;
  canonicalId?: string;
  primaryUsername?: string;
  drUsername?: string;
  /** Value-free: attribute names, group names, enabled flags. */
  detail: string;
  repaired?: boolean;
  error?: string;
  /** Of a kind capture carries, and older than the grace period: capture should have carried it. */
  missedByCapture?: boolean;
}

export interface ReconcileDeps {
  /** Rate-limited clients. */
  primary: Cognito;
  dr: Cognito;
  primaryPoolId: string;
  drPoolId: string;
  primaryRegion: string;
  config: ReplicationConfig;
  ttlDays: number;
  /** The DR region's canonical id -> DR user items: which twin to keep; the upsert finds and remembers DR users there. */
  directory?: DrDirectory;
  /** Two-way: the primary region's canonical id -> primary user items (primary#), kept for the copies reconcile makes there. */
  primaryDirectory?: DrDirectory;
  now?: () => number;
  /** Default one-way (today's behaviour). */
  mode?: ReplicationMode;
  /** Two-way: the DR region (origin of DR records, region of same-email holders). */
  drRegion?: string;
  /** Two-way: the table's latest record of a canonical id (whose origin decides missing_in_primary). */
  records?: RecordReader;
  /**
   * Users listed beforehand (the scheduled reconcile lists in segments across invocations,
   * handlers/reconcile/pass.ts): used instead of listing both pools here; the rest is unchanged.
   */
  listings?: PoolListings;
}

/**
 * Users listed beforehand, and both pools' group memberships (username -> group names). `users`
 * hands them over a batch at a time (the scheduled reconcile: one stored unit at a time), so the
 * caller need not hold them all at once.
 */
export interface PoolListings {
  users: (add: (side: PoolSide, users: readonly UserType[]) => void) => Promise<void>;
  primaryGroups: Map<string, string[]>;
  drGroups: Map<string, string[]>;
}

export interface ReconcileOptions {
  apply?: boolean;
  allowDelete?: boolean;
  /** ListUsers filter applied to both pools (each then listed in one sequential walk). */
  filter?: string;
  /** Sub prefixes each pool is listed in (segmented-list.ts; default the 16 hex digits). */
  segments?: readonly string[];
  /** UserList requests/s each region's limiter allows: the rate the listing sizes its walks for (default the default share of the quota). */
  listRate?: number;
  /** Expected seconds per ListUsers page (segmented-list.ts DEFAULT_PAGE_SECONDS). */
  pageSeconds?: number;
  concurrency?: number;
  /** Drift of a primary user modified more recently than this is not counted as missed by capture. */
  captureGraceMs?: number;
  /**
   * Two-way, with apply: copy missing_in_primary users to the primary pool (default true). The
   * scheduled reconcile runs in DR without a primary-pool write grant: it reports them only.
   */
  repairInPrimary?: boolean;
  /**
   * Leaves users out of the comparison, given one partition's users of both pools (a user and its
   * copy are always in one partition): the scheduled reconcile drops users changed while its pass
   * listed. Must give the same answer each time it is asked about the same users.
   */
  settle?: (primary: UserType[], dr: UserType[]) => { primary: UserType[]; dr: UserType[] };
  /**
   * Where the listed users wait for the join (user-partitions.ts): default all in memory, one
   * partition. The operator CLI spills them to files, so its memory does not grow with the pools.
   */
  partitions?: UserPartitions;
  onListed?: (primary: number, dr: number) => void;
  onRepaired?: (done: number, total: number) => void;
  /**
   * Asked before each repair starts: false leaves the rest unrepaired (reported; the next run
   * repairs them). The scheduled reconcile stops before its time budget runs out.
   */
  keepRepairing?: () => boolean;
}

/**
 * A primary user whose email is not verified (confirmed by an administrator without proving it, or
 * changed and not verified since). Not drift: DR carries the same state. Listed on its own because
 * on-call should know who may struggle to sign in by EMAIL_OTP in DR. (Cognito's passwordless docs
 * say a correct OTP marks the address verified, so AWS may still send the code; the address itself
 * was never proven to be the user's.)
 */
export interface UnverifiedEmail {
  canonicalId: string;
  primaryUsername?: string;
}

export interface ReconcileResult {
  counts: {
    primaryUsers: number;
    /** Primary users outside the listing (a filter, or created meanwhile) found by a DR user's canonical id. */
    primaryOutsideList: number;
    drUsers: number;
    matched: number;
    inSync: number;
    unverifiedEmail: number;
    /** Two-way: emails held by two canonical ids across the pools (never repaired). */
    same_email: number;
  } & Record<DriftKind, number> & { repaired: number; deleted: number; repairFailed: number };
  drift: DriftItem[];
  unverifiedEmail: UnverifiedEmail[];
  /** Two-way: same-email pairs, by canonical id and region (the email is never shown). */
  sameEmail: SameEmailPair[];
  /** Drift change capture should have carried, by kind (found, whether repaired or not). */
  missedByCapture: Record<CapturedKind, number>;
  /** Of those, what this run repaired. */
  repairedMissedByCapture: Record<CapturedKind, number>;
  /** Drift still there after this run (everything when not applying). */
  unrepaired: number;
  listSeconds: number;
  /** How the pools were listed: sub-prefix segments per pool, walked this many at once (per pool), and pages read. */
  listing: { segments: number; concurrency: number; pages: { primary: number; dr: number } };
  seconds: number;
}

function describePlan(plan: ReturnType<typeof planUser>): Array<{ kind: DriftKind; detail: string }> {
  const out: Array<{ kind: DriftKind; detail: string }> = [];
  const attrs = [...plan.update.map((a) => a.Name!), ...plan.delete.map((n) => `-${n}`)];
  if (attrs.length > 0) out.push({ kind: "attributes", detail: attrs.join(",") });
  if (plan.enabled !== undefined) out.push({ kind: "enabled", detail: plan.enabled ? "enabled in primary, disabled in DR" : "disabled in primary, enabled in DR" });
  if (plan.addGroups.length + plan.removeGroups.length > 0) out.push({ kind: "groups", detail: [...plan.addGroups.map((g) => `+${g}`), ...plan.removeGroups.map((g) => `-${g}`)].join(",") });
  return out;
}

const byKind = (items: readonly DriftItem[], pick: (d: DriftItem) => boolean): Record<CapturedKind, number> =>
  Object.fromEntries(CAPTURED_KINDS.map((k) => [k, items.filter((d) => d.kind === k && pick(d)).length])) as Record<CapturedKind, number>;

/**
 * DR users whose canonical id the listed primary users lack may still have a primary user: a
 * filter leaves out a user whose email changed (its DR copy still matches the filter), and a user
 * created while the pools were listed is in one list only. Each is looked up by sub (UserList);
 * the primary users found join the run, so their DR users are repaired, never deleted.
 */
async function primaryUsersOutsideTheList(deps: ReconcileDeps, ids: string[], concurrency: number): Promise<UserType[]> {
  const found: UserType[] = [];
  await mapLimit(ids, concurrency, async (id) => {
    // A canonical id is a sub (UUID); one that could break out of the quotes is never a primary sub.
    if (!/^[\w-]+$/.test(id)) return;
    const page = await listUsersPage(deps.primary, deps.primaryPoolId, { filter: `sub = "${id}"`, limit: 1 });
    const user = page.users.find((u) => primaryCanonicalId(u, deps.config, deps.mode) === id);
    if (user) found.push(user);
  });
  return found;
}

interface Repair {
  record: ReplicatedUser;
  drUser?: UserType;
  items: DriftItem[];
  /** The pool the upsert writes: DR, or (missing_in_primary) the primary. */
  target?: "dr" | "primary";
}

/** Drops, in place, every user whose Username was already seen (the first listed stays). */
function onePerUsername(users: UserType[]): void {
  const seen = new Set<string>();
  let kept = 0;
  for (const u of users) {
    if (u.Username !== undefined && seen.has(u.Username)) continue;
    if (u.Username !== undefined) seen.add(u.Username);
    users[kept++] = u;
  }
  users.length = kept;
}

export async function reconcilePools(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = performance.now();
  const now = (deps.now ?? Date.now)();
  const concurrency = opts.concurrency ?? 8;
  const grace = opts.captureGraceMs ?? DEFAULT_CAPTURE_GRACE_MS;
  const mode = deps.mode ?? "one-way";
  const twoWay = mode === "two-way";
  if (twoWay && !deps.drRegion) throw new Error("reconcile in two-way mode needs the DR region");
  const pId = (u: UserType) => primaryCanonicalId(u, deps.config, mode);
  const dId = (u: UserType) => drCanonicalId(u, deps.config, mode);
  // The listings are kept until the join, each user as little as the join needs (userKeeper), by
  // canonical id in partitions (user-partitions.ts): the join reads one partition at a time, so with
  // partitions on disk (the CLI) memory follows a partition and the drift found, not the pools.
  // What needs more than one partition is gathered while listing or in a first read of the
  // partitions, and is as small as the drift: claims of canonical ids (conflicts), primary users
  // outside the listing, and (two-way) users one pool lacks, whose emails may pair up.
  const parts = opts.partitions ?? new MemoryPartitions();
  const keep = userKeeper(deps.config);
  // Every canonical id a listed user claims, so the first read can note the users it names. Whose
  // claim counts is decided there, from the users the comparison keeps (after `settle`).
  const claimedIds = new Set<string>();
  let [primaryListed, drListed] = [0, 0];
  const addPrimary = (users: readonly UserType[]) => {
    for (const raw of users) {
      const u = keep(raw);
      const claim = claimedCanonicalId(u, deps.config);
      if (claim) claimedIds.add(claim);
      parts.add("primary", pId(u), u);
    }
    primaryListed += users.length;
  };
  const addDr = (users: readonly UserType[]) => {
    for (const raw of users) {
      const u = keep(raw);
      parts.add("dr", dId(u), u);
    }
    drListed += users.length;
  };
  const listing = { segments: opts.segments, filter: opts.filter, targetRate: opts.listRate ?? COGNITO_QUOTAS.UserList * DEFAULT_QUOTA_SHARE, pageSeconds: opts.pageSeconds };
  let summaries: [ListingSummary, ListingSummary] | undefined;
  let pGroups: Map<string, string[]>;
  let dGroups: Map<string, string[]>;
  if (deps.listings) {
    await deps.listings.users((side, users) => (side === "primary" ? addPrimary(users) : addDr(users)));
    [pGroups, dGroups] = [deps.listings.primaryGroups, deps.listings.drGroups];
  } else {
    let pListing: ListingSummary;
    let dListing: ListingSummary;
    [pListing, dListing, pGroups, dGroups] = await Promise.all([
      listSegmented(deps.primary, deps.primaryPoolId, { ...listing, onPage: (p) => (addPrimary(p.users), opts.onListed?.(primaryListed, drListed)) }),
      listSegmented(deps.dr, deps.drPoolId, { ...listing, onPage: (p) => (addDr(p.users), opts.onListed?.(primaryListed, drListed)) }),
      groupMembership(deps.primary, deps.primaryPoolId),
      groupMembership(deps.dr, deps.drPoolId),
    ]);
    summaries = [pListing, dListing];
  }
  const listSeconds = (performance.now() - started) / 1000;
  const partitions = Array.from({ length: parts.count }, (_, i) => i);
  // One user listed twice (a listing that repeated a page) is one user, never a pair of twins: a
  // twin's repair deletes one of the pair, which here would be the user itself. Both copies carry
  // one canonical id, so they are in one partition. `settle` sees both copies first: when the later
  // one was changed during the pass, the user is left out, not compared from its older copy.
  const readBoth = (p: number): [UserType[], UserType[]] => {
    let [primary, dr] = [parts.read("primary", p), parts.read("dr", p)];
    if (opts.settle) ({ primary, dr } = opts.settle(primary, dr));
    onePerUsername(primary);
    onePerUsername(dr);
    return [primary, dr];
  };

  // First read: counts, users whose sub a claim names, DR canonical ids the listed primary users
  // lack, and (two-way) the users only one pool has.
  const subOf = (u: UserType) => attributeMap(u.Attributes).sub;
  // Users whose claim counts: only those the comparison keeps (a claimer changed during the pass is
  // left to the next one, and must not put the user it names in conflict meanwhile).
  const claimers = new Map<string, UserType>();
  const noteClaimer = (u: UserType) => {
    if (claimedCanonicalId(u, deps.config) && u.Username !== undefined) claimers.set(u.Username, u);
  };
  const claimed = new Map<string, UserType>();
  const noteClaimed = (u: UserType) => {
    const sub = subOf(u);
    if (sub && claimedIds.has(sub) && u.Username !== undefined) claimed.set(u.Username, u);
  };
  const unmatchedDrIds = new Set<string>();
  const primaryOnly: UserType[] = [];
  const drOnly: UserType[] = [];
  let [primaryCount, drCount] = [0, 0];
  for (const p of partitions) {
    const [pl, dl] = readBoth(p);
    primaryCount += pl.length;
    drCount += dl.length;
    const pIdsHere = new Set(pl.map(pId).filter((id): id is string => !!id));
    const dIdsHere = new Set(dl.map(dId).filter((id): id is string => !!id));
    for (const u of pl) {
      noteClaimer(u);
      noteClaimed(u);
      const id = pId(u);
      if (twoWay && id && !dIdsHere.has(id)) primaryOnly.push(u);
    }
    for (const u of dl) {
      const id = dId(u);
      if (!id || pIdsHere.has(id)) continue;
      unmatchedDrIds.add(id);
      if (twoWay) drOnly.push(u);
    }
  }
  const outside = await primaryUsersOutsideTheList(deps, [...unmatchedDrIds], concurrency);
  const outsideIds = new Set(outside.map(pId).filter((id): id is string => !!id));
  const outsideByPartition = new Map<number, UserType[]>();
  for (const u of outside) {
    const p = parts.partitionOf(pId(u));
    outsideByPartition.set(p, [...(outsideByPartition.get(p) ?? []), u]);
    noteClaimer(u);
  }
  // A claim carried only by a user found outside the listing: the users it names are looked for again.
  const newClaims = [...claimers.values()].map((u) => claimedCanonicalId(u, deps.config)!).filter((id) => !claimedIds.has(id));
  if (newClaims.length > 0) {
    for (const id of newClaims) claimedIds.add(id);
    for (const p of partitions) readBoth(p)[0].forEach(noteClaimed);
  }
  outside.forEach(noteClaimed);
  // Whether an id a user claims is another user's sub is all a conflict needs: the claimers and the
  // users they name decide it, as they would among every primary user.
  const conflictByUsername = new Map([...primaryConflicts([...new Map([...claimers, ...claimed]).values()], deps.config, mode)].map(([u, c]) => [u.Username, c]));
  const same = twoWay
    ? sameEmailPairs(primaryOnly, drOnly, { primary: pId, dr: dId }, { primary: deps.primaryRegion, dr: deps.drRegion! }, { primary: outsideIds, dr: new Set() })
    : { pairs: [], ids: new Set<string>() };

  const drift: DriftItem[] = [];
  const SAME_EMAIL = "its email is held by another canonical id in the other pool (same_email): never merged, not repaired";
  const unverifiedEmail: UnverifiedEmail[] = [];
  const repairs = new Map<string, Repair>();
  const twinDeletes: Array<{ user: UserType; kept: UserType; item: DriftItem }> = [];
  let matched = 0;
  let inSync = 0;
  /** Whether drift of this primary user is old enough that capture should have carried it. */
  const stale = (u: UserType): boolean => !u.UserLastModifiedDate || now - new Date(u.UserLastModifiedDate).getTime() >= grace;
  const extras: Array<{ user: UserType; item: DriftItem }> = [];

  // The join, a partition at a time.
  for (const p of partitions) {
    const [listedHere, dUsers] = readBoth(p);
    const pUsers = [...listedHere, ...(outsideByPartition.get(p) ?? [])];
    const drById = new Map<string, UserType[]>();
    for (const u of dUsers) {
      const id = dId(u);
      if (id) drById.set(id, [...(drById.get(id) ?? []), u]);
    }
    const primaryIds = new Set<string>();
    for (const u of pUsers) {
      const id = pId(u);
      if (id) primaryIds.add(id);
      const conflict = u.Username === undefined ? undefined : conflictByUsername.get(u.Username);
      const drUsers = id ? (drById.get(id) ?? []) : [];
      if (conflict) {
        // Never repaired, unconfirmed users included: whichever side a repair took, it could hand one
        // person's DR account to the other.
        drift.push({ kind: "conflict", canonicalId: conflict.canonicalId, primaryUsername: u.Username, drUsername: drUsers[0]?.Username, detail: conflict.detail });
        continue;
      }
      if (!replicable(u)) continue;
      let record: ReplicatedUser;
      try {
        // Stryker disable next-line StringLiteral: equivalent, a user without a username is in no group map, whatever key stands in for it
        record = recordFromUser(u, pGroups.get(u.Username ?? "") ?? [], { canonicalId: id, region: deps.primaryRegion, poolId: deps.primaryPoolId, config: deps.config, ttlDays: deps.ttlDays, now });
      } catch (err) {
        drift.push({ kind: "invalid", canonicalId: id, primaryUsername: u.Username, detail: classifyAwsError(err).message });
        continue;
      }
      if (record.attributes.email_verified !== "true") unverifiedEmail.push({ canonicalId: record.canonicalId, primaryUsername: u.Username });
      const missed = stale(u);
      if (drUsers.length === 0) {
        try {
          desiredAttributes(record, deps.config); // one that cannot be created (no email) is invalid, not missing
        } catch (err) {
          drift.push({ kind: "invalid", canonicalId: record.canonicalId, primaryUsername: u.Username, detail: classifyAwsError(err).message });
          continue;
        }
        if (twoWay && (same.ids.has(record.canonicalId) || deletedInDr(await latestRecord(deps.records, record.canonicalId), deps.drRegion!))) {
          // Neither is re-created in DR: one would merge two people, the other undo a deletion made in DR (the primary's replicator removes the primary user).
          const detail = same.ids.has(record.canonicalId) ? SAME_EMAIL : "deleted in DR (a DR-origin tombstone): the primary's replicator removes the primary user; not re-created in DR";
          drift.push({ kind: "missing_in_dr", canonicalId: record.canonicalId, primaryUsername: u.Username, detail, missedByCapture: missed });
          continue;
        }
        const item: DriftItem = { kind: "missing_in_dr", canonicalId: record.canonicalId, primaryUsername: u.Username, detail: "no DR user with this canonical id", missedByCapture: missed };
        drift.push(item);
        repairs.set(record.canonicalId, { record, items: [item] });
        continue;
      }
      let dr = drUsers[0];
      if (drUsers.length > 1) {
        const { kept, why } = await keptTwin(drUsers, record.canonicalId, record.attributes.email, deps.directory);
        dr = kept;
        for (const twin of drUsers.filter((t) => t !== kept)) {
          const item: DriftItem = { kind: "twin", canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: twin.Username, detail: `a second DR user with this canonical id; kept: ${why} (${kept.Username})` };
          drift.push(item);
          twinDeletes.push({ user: twin, kept, item });
        }
      }
      matched++;
      let found: Array<{ kind: DriftKind; detail: string }>;
      try {
        // Stryker disable next-line StringLiteral: equivalent, as above
        found = describePlan(planUser(record, poolStateFromUser(dr, dGroups.get(dr.Username ?? "") ?? [], record.canonicalId, deps.config), deps.config));
      } catch (err) {
        drift.push({ kind: "invalid", canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: dr.Username, detail: classifyAwsError(err).message });
        continue;
      }
      if (found.length === 0) {
        inSync++;
        continue;
      }
      const items = found.map((f) => ({ ...f, canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: dr.Username, missedByCapture: missed }));
      drift.push(...items);
      repairs.set(record.canonicalId, { record, drUser: dr, items });
    }

    for (const u of dUsers) {
      const id = dId(u);
      if (id && primaryIds.has(id)) continue;
      if (twoWay && id) {
        const verdict = classifyDrOnly(u, await latestRecord(deps.records, id), deps.drRegion!, deps.config);
        if (verdict.kind === "missing_in_primary") {
          const repair = missingInPrimary(u, dGroups.get(u.Username ?? "") ?? [], { canonicalId: id, region: deps.drRegion!, poolId: deps.drPoolId, config: deps.config, ttlDays: deps.ttlDays, now }, { detail: verdict.detail, stale: stale(u), blocked: same.ids.has(id) ? SAME_EMAIL : undefined });
          if (!repair) continue; // not confirmed yet: not replicable
          drift.push(...repair.items);
          if (repair.record && !same.ids.has(id)) repairs.set(`primary:${id}`, { record: repair.record, items: repair.items, target: "primary" });
          continue;
        }
        const item: DriftItem = { kind: "extra_in_dr", canonicalId: id, drUsername: u.Username, detail: verdict.detail, missedByCapture: true };
        drift.push(item);
        extras.push({ user: u, item });
        continue;
      }
      // A deletion capture should have carried (a tombstone); a DR user without a canonical id is not the replicator's.
      const item: DriftItem = { kind: "extra_in_dr", canonicalId: id, drUsername: u.Username, detail: id ? "canonical id not in the primary pool" : "DR user without a canonical id", missedByCapture: !!id };
      drift.push(item);
      extras.push({ user: u, item });
    }

  }

  let repaired = 0;
  let deleted = 0;
  let repairFailed = 0;
  if (opts.apply) {
    const jobs = [...repairs.values()].filter((j) => j.target !== "primary" || opts.repairInPrimary !== false);
    const total = jobs.length + twinDeletes.length + (opts.allowDelete ? extras.length : 0);
    let done = 0;
    const deleteDr = async (username: string): Promise<void> => {
      try {
        await deps.dr.send(new AdminDeleteUserCommand({ UserPoolId: deps.drPoolId, Username: username }));
      } catch (err) {
        if ((err as { name?: string }).name !== "UserNotFoundException") throw err;
      }
    };
    const fail = (items: DriftItem[], err: unknown): void => {
      const e = classifyAwsError(err);
      for (const i of items) {
        i.repaired = false;
        i.error = `${e.reason}: ${e.message}`;
      }
      repairFailed++;
    };
    /** Out of time: left unrepaired, with why (the next run repairs it). */
    const outOfTime = (items: DriftItem[]): boolean => {
      if (opts.keepRepairing?.() !== false) return false;
      for (const i of items) i.error = "not attempted: the run's time budget ran out; the next run repairs it";
      return true;
    };
    // Deletions first: a deleted user's DR copy may hold the email a new primary user needs, and a
    // twin the email its kept sibling moves to.
    if (opts.allowDelete) {
      await mapLimit(extras, concurrency, async ({ user, item }) => {
        if (outOfTime([item])) return;
        try {
          await deleteDr(user.Username!);
          item.repaired = true;
          deleted++;
        } catch (err) {
          fail([item], err);
        }
        opts.onRepaired?.(++done, total);
      });
    }
    await mapLimit(twinDeletes, concurrency, async ({ user, kept, item }) => {
      if (outOfTime([item])) return;
      try {
        await deleteDr(user.Username!);
        await deps.directory?.remember(item.canonicalId!, kept.Username!, attributeMap(kept.Attributes).sub);
        item.repaired = true;
        deleted++;
      } catch (err) {
        fail([item], err);
      }
      opts.onRepaired?.(++done, total);
    });
    await mapLimit(jobs, concurrency, async ({ record, drUser, items, target }) => {
      if (outOfTime(items)) return;
      const previousEmail = drUser ? attributeMap(drUser.Attributes).email : undefined;
      // The primary copy goes through the same upsert with the primary pool's own directory (primary#,
      // in the primary replica), so the replicator and capture find the copy by canonical id and sub.
      const ctx =
        target === "primary"
          ? { cognito: deps.primary, userPoolId: deps.primaryPoolId, config: deps.config, directory: deps.primaryDirectory }
          : { cognito: deps.dr, userPoolId: deps.drPoolId, config: deps.config, directory: deps.directory };
      try {
        await upsertDrUser(ctx, record, { previousEmail });
        for (const i of items) i.repaired = true;
        repaired++;
      } catch (err) {
        fail(items, err);
      }
      opts.onRepaired?.(++done, total);
    });
  }

  const counts = {
    primaryUsers: primaryCount,
    primaryOutsideList: outside.length,
    drUsers: drCount,
    matched,
    inSync,
    unverifiedEmail: unverifiedEmail.length,
    same_email: same.pairs.length,
    ...(Object.fromEntries(DRIFT_KINDS.map((k) => [k, drift.filter((d) => d.kind === k).length])) as Record<DriftKind, number>),
    repaired,
    deleted,
    repairFailed,
  };
  return {
    counts,
    drift,
    unverifiedEmail,
    sameEmail: same.pairs,
    missedByCapture: byKind(drift, (d) => d.missedByCapture === true),
    repairedMissedByCapture: byKind(drift, (d) => d.missedByCapture === true && d.repaired === true),
    unrepaired: drift.filter((d) => !d.repaired).length,
    listSeconds,
    listing: summaries ? listingReport(...summaries) : { segments: 0, concurrency: 0, pages: { primary: 0, dr: 0 } },
    seconds: (performance.now() - started) / 1000,
  };
}


function listingReport(primary: ListingSummary, dr: ListingSummary): ReconcileResult["listing"] {
  return { segments: primary.segments, concurrency: primary.concurrency, pages: { primary: primary.pages, dr: dr.pages } };
}
