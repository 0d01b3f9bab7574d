// The scheduled reconcile's pass checkpoint: which pass is in progress, which of its work units are
// done, and when the last full pass ended. One JSON object in the reconcile bucket, read at the
// start of each invocation and written after each unit. Versioned: a checkpoint of another schema,
// pass interval, mode or pool describes another pass and is discarded (with a log line), and an
// unreadable one starts a new pass, so a bad object never makes every tick fail.
import type { ReplicationMode } from "../contract";

export const CHECKPOINT_SCHEMA_VERSION = 1;

/** What a pass is of: a checkpoint of another identity is not continued. */
export interface PassIdentity {
  intervalMs: number;
  mode: ReplicationMode;
  primaryPoolName: string;
  drPoolId: string;
}

export interface PassProgress {
  /** Unique per pass: the prefix of its listing objects. */
  id: string;
  startedAt: number;
  primaryPoolId: string;
  /** Units done (listing objects written): see units.ts. */
  done: string[];
  /** The longest unit so far (ms): a unit is not started with less time than this left. */
  longestUnitMs: number;
  /** Invocations that worked on this pass (reported at its end). */
  invocations: number;
}

export interface Checkpoint {
  schemaVersion: typeof CHECKPOINT_SCHEMA_VERSION;
  identity: PassIdentity;
  current?: PassProgress;
  lastCompleted?: { id: string; startedAt: number; finishedAt: number };
}

export type LoadedCheckpoint = { checkpoint?: Checkpoint; discarded?: string };

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function progress(v: unknown): PassProgress | undefined {
  const p = v as Partial<PassProgress> | undefined;
  if (!p || !isStr(p.id) || !isNum(p.startedAt) || !isStr(p.primaryPoolId) || !Array.isArray(p.done) || !p.done.every(isStr) || !isNum(p.longestUnitMs) || !isNum(p.invocations)) return undefined;
  return { id: p.id, startedAt: p.startedAt, primaryPoolId: p.primaryPoolId, done: [...p.done], longestUnitMs: p.longestUnitMs, invocations: p.invocations };
}

/** The stored checkpoint if it is valid and of this identity; otherwise why it is not used. */
export function parseCheckpoint(raw: string | undefined, identity: PassIdentity): LoadedCheckpoint {
  if (raw === undefined) return {};
  let v: Partial<Checkpoint>;
  try {
    v = JSON.parse(raw) as Partial<Checkpoint>;
  } catch {
    return { discarded: "not JSON" };
  }
  if (!v || typeof v !== "object") return { discarded: "not an object" };
  if (v.schemaVersion !== CHECKPOINT_SCHEMA_VERSION) return { discarded: `schema version ${String(v.schemaVersion)}, expected ${CHECKPOINT_SCHEMA_VERSION}` };
  const id = v.identity as Partial<PassIdentity> | undefined;
  for (const k of ["intervalMs", "mode", "primaryPoolName", "drPoolId"] as const) {
    if (id?.[k] !== identity[k]) return { discarded: `another ${k} (${String(id?.[k])}, now ${String(identity[k])})` };
  }
  const current = v.current === undefined ? undefined : progress(v.current);
  if (v.current !== undefined && !current) return { discarded: "malformed pass in progress" };
  const last = v.lastCompleted;
  if (last !== undefined && (!isStr(last.id) || !isNum(last.startedAt) || !isNum(last.finishedAt))) return { discarded: "malformed last pass" };
  return { checkpoint: { schemaVersion: CHECKPOINT_SCHEMA_VERSION, identity, current, lastCompleted: last } };
}

/** Whether a new pass starts now: none in progress and the last one started an interval ago (or never ran). */
export function passDue(cp: Checkpoint, now: number): boolean {
  if (cp.current) return false;
  return !cp.lastCompleted || now - cp.lastCompleted.startedAt >= cp.identity.intervalMs;
}
