// One invocation's share of a reconcile pass (a state machine over the checkpoint in checkpoint.ts):
//   no pass in progress and none due  -> "not-due";
//   none in progress and one due      -> a new pass starts, then as below;
//   units left                        -> list units (both pools at once, each pool's units in turn)
//                                        while the time budget lasts; save; "in-progress";
//   every unit listed                 -> read them back, compare (and repair while the budget lasts),
//                                        record the pass as completed, delete its objects; "completed".
// A unit cut short by the budget (checked before each ListUsers page) or by a crash is redone by a
// later invocation; the comparison, cut short, is redone from the same listings. So each pass yields
// exactly one "completed", the only state in which the handler reports.
import type { CognitoIdentityProviderClient, UserType } from "@aws-sdk/client-cognito-identity-provider";
import type { Logger } from "@aws-lambda-powertools/logger";
import { randomUUID } from "node:crypto";
import { groupMembership } from "../replication/pool-users";
import { listSegmented } from "../replication/segmented-list";
import type { PoolListings, ReconcileResult } from "../replication/reconcile";
import { CHECKPOINT_SCHEMA_VERSION, parseCheckpoint, passDue, type Checkpoint, type PassIdentity, type PassProgress } from "./checkpoint";
import { StoreConflict, type ObjectStore } from "./store";
import { decodeGroups, decodeUsers, encodeGroups, encodeUsers, SEGMENTS, unitName, unitsOf, type PoolSide, type Unit } from "./units";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

/** One segment's users, its pages one after another (a unit is one walk; the pools' units run side by side). */
async function listUnit(cognito: Cognito, poolId: string, segment: string): Promise<UserType[]> {
  const users: UserType[] = [];
  await listSegmented(cognito, poolId, { segments: [segment], targetRate: 1, onPage: (page) => void users.push(...page.users) });
  return users;
}

/**
 * A pass still unfinished when the next would be due (and at least STALL_FLOOR_MS old): thrown by
 * every later invocation, after its work is saved, so the function's Errors alarm fires. The usual
 * cause is a unit that never fits one budget (a segment too large for the share, a slow region);
 * without this, only an INFO line a tick said so.
 */
export class PassStalledError extends Error {
  override readonly name = "PassStalledError";
}
/** A pass younger than this is never called stalled: listing 2 million users at prod's share takes about 1.5 hours. */
export const STALL_FLOOR_MS = 4 * 3_600_000;

/** A unit's listing recorded as done is not in the bucket: the comparison stops before it starts. */
class ListingsMissing extends Error {
  override readonly name = "ListingsMissing";
}

/** A save found the checkpoint changed by another invocation: this one stops. */
class Superseded extends Error {
  override readonly name = "Superseded";
}

/** Thrown before a Cognito call once the budget is spent: the unit in flight is abandoned (redone later). */
export class BudgetSpent extends Error {
  override readonly name = "BudgetSpent";
}

export interface PassDeps {
  store: ObjectStore;
  /** Key prefix of the checkpoint and the listings in the bucket. */
  prefix: string;
  identity: PassIdentity;
  /** Rate-limited clients of each pool. */
  pools: Record<PoolSide, Cognito>;
  drPoolId: string;
  /** The primary pool's id (found by name), once per pass. */
  findPrimaryPool: () => Promise<string>;
  /** Milliseconds of this invocation's budget left (safety margin already taken off). */
  remainingMs: () => number;
  now: () => number;
  logger: Logger;
  /** Compares (and repairs) the pre-listed users: reconcilePools with `listings`. */
  compare: (listings: PoolListings, primaryPoolId: string, keepRepairing: () => boolean, passStartedAt: number) => Promise<ReconcileResult>;
  /** The comparison starts only with more than this left (ms). */
  compareReserveMs: number;
  segments?: readonly string[];
}

export type InvocationOutcome =
  | { status: "not-due"; nextPassAt: number }
  | { status: "superseded" }
  | { status: "in-progress"; passId: string; unitsDone: number; unitsTotal: number }
  | { status: "completed"; passId: string; invocations: number; startedAt: number; result: ReconcileResult };

export async function runInvocation(deps: PassDeps): Promise<InvocationOutcome> {
  const { store, logger } = deps;
  const checkpointKey = `${deps.prefix}checkpoint.json`;
  const objectKey = (pass: string, u: Unit) => `${deps.prefix}passes/${pass}/${unitName(u)}.json`;
  const segments = deps.segments ?? SEGMENTS;
  const units = [...unitsOf("primary", segments), ...unitsOf("dr", segments)];

  const stored = await store.getVersioned(checkpointKey);
  // Every save is conditional on the version this invocation last read or wrote: a second
  // invocation on the same checkpoint (Scheduler and Lambda's async queue deliver at least once)
  // makes the older one's next save fail, and that one stops. So one invocation works on a pass.
  let version = stored?.version;
  const loaded = parseCheckpoint(stored?.body, deps.identity);
  if (loaded.discarded) logger.warn("reconcile checkpoint discarded; a new pass starts", { reason: loaded.discarded });
  const cp: Checkpoint = loaded.checkpoint ?? { schemaVersion: CHECKPOINT_SCHEMA_VERSION, identity: deps.identity };
  const now = deps.now();
  if (!cp.current && !passDue(cp, now)) return { status: "not-due", nextPassAt: cp.lastCompleted!.startedAt + cp.identity.intervalMs };
  let saving = Promise.resolve();
  let superseded = false;
  const save = () =>
    (saving = saving.then(async () => {
      if (superseded) throw new Superseded();
      try {
        version = await store.putIf(checkpointKey, JSON.stringify(cp), version);
      } catch (err) {
        if (!(err instanceof StoreConflict)) throw err;
        superseded = true;
        throw new Superseded();
      }
    }));
  const saved = async (): Promise<boolean> => {
    try {
      await save();
      return true;
    } catch (err) {
      if (err instanceof Superseded) return false;
      throw err;
    }
  };
  const stop = (): InvocationOutcome => {
    logger.warn("reconcile checkpoint changed under this invocation: another one works on the pass, this one stops", { passId: cp.current?.id });
    return { status: "superseded" };
  };
  if (!cp.current) {
    const id = `${new Date(now).toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}`;
    cp.current = { id, startedAt: now, primaryPoolId: await deps.findPrimaryPool(), done: [], longestUnitMs: 0, invocations: 0 };
    logger.info("reconcile pass started", { passId: id, units: units.length });
  }
  const pass: PassProgress = cp.current;
  pass.invocations++;
  if (!(await saved())) return stop();

  const poolId = (side: PoolSide) => (side === "primary" ? pass.primaryPoolId : deps.drPoolId);
  // Before each Cognito call: the budget, and whether a save already found the pass superseded (the
  // other lane then stops at its next page, not after its whole unit).
  const budgeted = (c: Cognito): Cognito => ({
    send: ((cmd: never, ...rest: never[]) => {
      if (superseded) return Promise.reject(new Superseded());
      if (deps.remainingMs() <= 0) return Promise.reject(new BudgetSpent("time budget spent"));
      return c.send(cmd, ...rest);
    }) as Cognito["send"],
  });
  const runUnit = async (u: Unit): Promise<void> => {
    const cognito = budgeted(deps.pools[u.side]);
    const started = deps.now();
    const body = u.kind === "groups" ? encodeGroups(await groupMembership(cognito, poolId(u.side))) : encodeUsers(await listUnit(cognito, poolId(u.side), u.segment));
    await store.put(objectKey(pass.id, u), body);
    pass.done.push(unitName(u));
    pass.longestUnitMs = Math.max(pass.longestUnitMs, deps.now() - started);
    await save();
  };
  // Each pool's units in turn (one lister per pool: its own region's quota), both pools at once. A
  // later unit starts only with at least the longest unit's time left, so few are cut short.
  // Each lane's first unit of an invocation always starts (while any time is left): a unit that once
  // took longer than a whole budget (a slow region) must not stop every later invocation from trying.
  const lane = async (side: PoolSide): Promise<void> => {
    let first = true;
    for (const u of units.filter((x) => x.side === side && !pass.done.includes(unitName(x)))) {
      if (deps.remainingMs() <= (first ? 0 : pass.longestUnitMs)) return;
      first = false;
      try {
        await runUnit(u);
      } catch (err) {
        // The lister wraps an error to name its segment, and keeps the original as the cause.
        if (err instanceof Superseded || (err as Error).cause instanceof Superseded) return;
        if (err instanceof BudgetSpent || (err as Error).cause instanceof BudgetSpent) {
          // A unit longer than a whole budget would never complete: more segments are the fix.
          logger.info("reconcile unit cut short by the time budget; a later invocation redoes it", { passId: pass.id, unit: unitName(u), longestUnitMs: pass.longestUnitMs });
          return;
        }
        throw err;
      }
    }
  };
  const lanes = await Promise.allSettled([lane("primary"), lane("dr")]);
  await saving.catch(() => undefined);
  if (superseded) return stop();
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === "rejected");
  if (failed) throw failed.reason;

  const left = units.filter((u) => !pass.done.includes(unitName(u)));
  const continues = (): InvocationOutcome => {
    const unitsDone = units.length - units.filter((u) => !pass.done.includes(unitName(u))).length;
    const ageMs = deps.now() - pass.startedAt;
    if (ageMs >= Math.max(cp.identity.intervalMs, STALL_FLOOR_MS)) {
      const why = `reconcile pass ${pass.id} has run ${Math.round(ageMs / 60_000)} minutes over ${pass.invocations} invocations and is not finished (${unitsDone} of ${units.length} units listed; the longest unit took ${Math.round(pass.longestUnitMs / 1000)} s)`;
      logger.error("reconcile pass stalled: the next pass is due and this one has not finished", { passId: pass.id, unitsDone, unitsTotal: units.length, invocations: pass.invocations, longestUnitMs: pass.longestUnitMs, ageMinutes: Math.round(ageMs / 60_000) });
      throw new PassStalledError(why);
    }
    logger.info("reconcile pass continues", { passId: pass.id, unitsDone, unitsTotal: units.length, invocations: pass.invocations });
    return { status: "in-progress", passId: pass.id, unitsDone, unitsTotal: units.length };
  };
  // The comparison starts only with its reserve left (it reads every listing; repairs stop when the
  // budget is near): otherwise the next invocation does it, from the start of its budget.
  if (left.length > 0 || deps.remainingMs() <= deps.compareReserveMs) return continues();

  // Claimed before comparing (repairs are made there): an invocation that started meanwhile makes
  // this save fail, and only one of the two compares.
  if (!(await saved())) return stop();
  // A listing recorded as done may be gone (the lifecycle rule expires listings of a pass that stalled
  // for days, say while the primary region was down): those units are listed again, or the pass
  // would fail the same way at every tick. The users' units are read one at a time, as the
  // comparison takes them, so the invocation never holds every listing at once.
  const read = (u: Unit) => store.get(objectKey(pass.id, u));
  const missing: string[] = [];
  const groups = async (side: PoolSide) => {
    const raw = await read({ side, kind: "groups" });
    if (raw === undefined) missing.push(unitName({ side, kind: "groups" }));
    return raw === undefined ? new Map<string, string[]>() : decodeGroups(raw, `${side}/groups`);
  };
  const [primaryGroups, drGroups] = [await groups("primary"), await groups("dr")];
  const users: PoolListings["users"] = async (add) => {
    for (const u of units) {
      if (u.kind !== "users") continue;
      const raw = await read(u);
      if (raw === undefined) missing.push(unitName(u));
      // Once one is missing the comparison is abandoned: the rest are only checked.
      else if (missing.length === 0) add(u.side, decodeUsers(raw, `${u.side}/${u.segment}`));
    }
    if (missing.length > 0) throw new ListingsMissing();
  };
  let result: ReconcileResult;
  try {
    result = await deps.compare({ users, primaryGroups, drGroups }, pass.primaryPoolId, () => deps.remainingMs() > 0, pass.startedAt);
  } catch (err) {
    if (!(err instanceof ListingsMissing)) throw err;
    pass.done = pass.done.filter((n) => !missing.includes(n));
    if (!(await saved())) return stop();
    logger.warn("reconcile listings missing from the bucket: listed again by the next invocations", { passId: pass.id, units: missing });
    return continues();
  }
  cp.lastCompleted = { id: pass.id, startedAt: pass.startedAt, finishedAt: deps.now() };
  cp.current = undefined;
  // One that started during the comparison: it works on from the listings (its report may repeat this one's).
  if (!(await saved())) return stop();
  // The lifecycle rule expires whatever this leaves.
  await Promise.all(units.map((u) => store.delete(objectKey(pass.id, u)).catch((err: unknown) => logger.warn("reconcile listing not deleted", { key: objectKey(pass.id, u), error: String(err) }))));
  return { status: "completed", passId: pass.id, invocations: pass.invocations, startedAt: pass.startedAt, result };
}
