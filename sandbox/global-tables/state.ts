/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// What the parts of the global-tables plugin share: the replica groups, the stream readers, the
// queue of changes on their way, and the bookkeeping that tells echoes, stale writes and TTL
// deletions apart. One object per plugin, passed to each part (no module-level state).

import { motoJson } from "../aws";

export type AttrMap = Record<string, unknown>;

export interface StreamRecord {
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  dynamodb: {
    ApproximateCreationDateTime?: number;
    Keys: AttrMap;
    NewImage?: AttrMap;
    OldImage?: AttrMap;
    SequenceNumber?: string;
  };
}

export interface Member {
  region: string;
  /** KMS key of this region's table (ARN or id), reported to the other regions. */
  kmsKeyId?: string;
}

export interface Group {
  table: string;
  members: Map<string, Member>;
}

export interface Reader {
  region: string;
  table: string;
  streamArn?: string;
  iterators: Map<string, string | null>;
  startAt: "LATEST" | "TRIM_HORIZON";
}

export interface Pending {
  dest: string;
  table: string;
  source: string;
  record: StreamRecord;
  ts: number;
  dueAt: number;
  attempts?: number;
}

export interface Counters {
  read: number;
  applied: number;
  echoesSkipped: number;
  staleSkipped: number;
  unchangedSkipped: number;
  errors: number;
  dropped: number;
}

export interface GlobalTablesOptions {
  motoEndpoint: string;
  /** Delay before a change reaches the other regions (ms). Default 0. */
  delayMs?: number;
  /** Stream poll interval (ms). Default 100. */
  pollIntervalMs?: number;
  /** True while a service (or the whole region) is in an injected outage. */
  isDown?: (region: string, service: string) => boolean;
}

export interface GlobalTablesState {
  readonly moto: string;
  /** Delay before a change reaches the other regions (ms); the admin API changes it. */
  delayMs: number;
  readonly pollIntervalMs: number;
  readonly isDown: (region: string, service: string) => boolean;
  /** Replica groups by table name. */
  readonly groups: Map<string, Group>;
  /** Stream readers by `${region}|${table}`. */
  readonly readers: Map<string, Reader>;
  /** Changes waiting to be applied to another region (replaced, not mutated, when filtered). */
  queue: Pending[];
  /** Fingerprints of writes replication applied, per destination region, with expiry. */
  readonly echoes: Map<string, Map<string, number[]>>;
  /** Newest change time known per `${region}|${table}|${key}`. */
  readonly versions: Map<string, number>;
  /** TTL deletions not yet seen on a stream: `${region}|${table}|${keys}` -> count. */
  readonly ttlPending: Map<string, number>;
  /** Stream records known to be TTL deletions: `${region}|${table}|${sequenceNumber}`. */
  readonly ttlSeqs: Set<string>;
  readonly counters: Counters;
  lastError: string | undefined;
}

export function createState(opts: GlobalTablesOptions): GlobalTablesState {
  return {
    moto: opts.motoEndpoint,
    delayMs: opts.delayMs ?? 0,
    pollIntervalMs: opts.pollIntervalMs ?? 100,
    isDown: opts.isDown ?? (() => false),
    groups: new Map(),
    readers: new Map(),
    queue: [],
    echoes: new Map(),
    versions: new Map(),
    ttlPending: new Map(),
    ttlSeqs: new Set(),
    counters: { read: 0, applied: 0, echoesSkipped: 0, staleSkipped: 0, unchangedSkipped: 0, errors: 0, dropped: 0 },
    lastError: undefined,
  };
}

/** A DynamoDB call straight to moto (bypasses the plugin chain, quotas and faults). */
export function ddb<T = any>(s: GlobalTablesState, region: string, op: string, input: unknown): Promise<T> {
  return motoJson<T>(s.moto, "dynamodb", region, op, input);
}

/** A DynamoDB Streams call straight to moto. */
export function streams<T = any>(s: GlobalTablesState, region: string, op: string, input: unknown): Promise<T> {
  return motoJson<T>(s.moto, "streams", region, op, input);
}

/** Canonical JSON (sorted keys) for fingerprints. */
export function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** `canon` of an attribute map with the members of sets (SS, NS, BS) in order: sets are unordered. */
function canonImage(image: AttrMap): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (!v || typeof v !== "object") return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ["SS", "NS", "BS"].includes(k) && Array.isArray(x) ? [...(x as string[])].sort() : sorted(x)]));
  };
  return canon(sorted(image));
}

/**
 * "If you perform a PutItem or UpdateItem operation that does not change any data in an item,
 * DynamoDB Streams does not write a stream record for that operation." (DynamoDB Developer Guide,
 * "Change data capture for DynamoDB Streams",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). moto writes a
 * MODIFY with equal images for it; only a stream with both images shows that.
 */
export function changesNothing(rec: StreamRecord): boolean {
  const { OldImage, NewImage } = rec.dynamodb;
  return rec.eventName === "MODIFY" && OldImage !== undefined && NewImage !== undefined && canonImage(OldImage) === canonImage(NewImage);
}
