// Reading a DynamoDB stream as Lambda's poller does: the stream's shards (described again every
// second, children after their parents), one iterator per shard (renewed when it expires or was
// trimmed), and where the mapping stands in each shard: its checkpoint, whether it has read
// everything the stream held at some moment (caughtUp), and moving it back (rewind).

import { AwsCallError } from "../../aws";
import type { MappingConfig } from "../esm";
import { sleep } from "./poller";

/** A stream record as GetRecords returns it. */
export interface StreamRecord {
  eventID: string;
  eventName: string;
  dynamodb: Record<string, unknown> & { SequenceNumber: string; ApproximateCreationDateTime?: unknown };
  userIdentity?: unknown;
}

/** A stream record as Lambda delivers it. */
export interface LambdaDdbRecord {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  dynamodb: Record<string, unknown> & { SequenceNumber: string; ApproximateCreationDateTime: number };
  eventSourceARN: string;
  userIdentity?: unknown;
}

export interface ShardState {
  id: string;
  parent?: string;
  iterator?: string;
  iteratorAt: number;
  closed: boolean;
  buffer: LambdaDdbRecord[];
  /** Sizes of the pending bisected sub-batches (front = next). */
  limits: number[];
  attempts: number;
  /** Last sequence number read from the shard (to re-acquire an expired iterator). */
  lastReadSeq?: string;
  firstBufferedAt?: number;
  invokeCounts: Map<string, number>;
  lastResponse?: { statusCode: number; functionError?: string };
  /** `epoch` when the last GetRecords that came back empty was sent (see caughtUp). */
  emptyReadEpoch: number;
}

/** A stream mapping's position in one shard: the last sequence number it has read (and handled, once caught up). */
export interface ShardCheckpoint {
  shardId: string;
  /** Undefined until the mapping has read a record of the shard. */
  checkpoint?: string;
}

type StreamCall = <T>(operation: string, body: unknown) => Promise<T>;

export class StreamShards {
  private shards = new Map<string, ShardState>();
  private lastDescribe = 0;
  private described = false;
  /** Bumped by each caughtUp call; reads and describes remember the value they were sent under. */
  private epoch = 0;
  private describedEpoch = -1;
  private rewinds: Array<{ shards: ShardCheckpoint[]; done: (err?: Error) => void }> = [];

  constructor(
    private readonly m: MappingConfig,
    private readonly call: StreamCall,
    private readonly signal: AbortSignal,
  ) {}

  /** Looks for new shards on the first poll and then at most every second; applies pending rewinds. */
  async refresh(): Promise<void> {
    if (!this.described || Date.now() - this.lastDescribe > 1000) {
      await this.describe(!this.described);
      this.described = true;
    }
    await this.applyRewinds();
  }

  /** Shards to read now: a child only once its parent is read and delivered (per-key order). */
  *readable(): Generator<ShardState> {
    for (const shard of this.shards.values()) {
      if (this.signal.aborted) return;
      if (shard.parent && this.shards.has(shard.parent)) {
        const p = this.shards.get(shard.parent)!;
        if (!(p.closed && p.buffer.length === 0)) continue;
      }
      yield shard;
    }
  }

  private async describe(initial: boolean): Promise<void> {
    this.lastDescribe = Date.now();
    const epoch = this.epoch;
    let start: string | undefined;
    const seen: { ShardId: string; ParentShardId?: string }[] = [];
    do {
      const r = await this.call<{ StreamDescription: { Shards?: { ShardId: string; ParentShardId?: string }[]; LastEvaluatedShardId?: string } }>(
        "DescribeStream",
        { StreamArn: this.m.EventSourceArn, ...(start ? { ExclusiveStartShardId: start } : {}) },
      );
      seen.push(...(r.StreamDescription.Shards ?? []));
      start = r.StreamDescription.LastEvaluatedShardId;
    } while (start);
    for (const s of seen) {
      if (this.shards.has(s.ShardId)) continue;
      const type = initial ? (this.m.StartingPosition === "LATEST" ? "LATEST" : "TRIM_HORIZON") : "TRIM_HORIZON";
      const it = await this.call<{ ShardIterator?: string }>("GetShardIterator", {
        StreamArn: this.m.EventSourceArn,
        ShardId: s.ShardId,
        ShardIteratorType: type,
      });
      this.shards.set(s.ShardId, {
        id: s.ShardId,
        parent: s.ParentShardId,
        iterator: it.ShardIterator,
        iteratorAt: Date.now(),
        closed: !it.ShardIterator,
        buffer: [],
        limits: [],
        attempts: 0,
        invokeCounts: new Map(),
        emptyReadEpoch: -1,
      });
    }
    this.describedEpoch = epoch;
  }

  /**
   * One GetRecords on the shard's iterator. Undefined when the iterator had expired or its
   * position was trimmed and was replaced instead (read again at once).
   */
  async read(shard: ShardState): Promise<StreamRecord[] | undefined> {
    let r: { Records?: StreamRecord[]; NextShardIterator?: string };
    const epoch = this.epoch;
    try {
      r = await this.call("GetRecords", { ShardIterator: shard.iterator, Limit: 1000 });
    } catch (e) {
      if (e instanceof AwsCallError && (e.code === "ExpiredIteratorException" || e.code === "TrimmedDataAccessException")) {
        const it = await this.call<{ ShardIterator?: string }>("GetShardIterator", {
          StreamArn: this.m.EventSourceArn,
          ShardId: shard.id,
          ...(shard.lastReadSeq && e.code === "ExpiredIteratorException"
            ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: shard.lastReadSeq }
            : { ShardIteratorType: "TRIM_HORIZON" }),
        });
        shard.iterator = it.ShardIterator;
        shard.iteratorAt = Date.now();
        return undefined;
      }
      throw e;
    }
    // An iterator stays valid (15 min in AWS) and re-reads from the same position, so an idle
    // shard keeps polling with the same one for a while instead of minting a new one per poll
    // (moto keeps every iterator it ever issued).
    const records = r.Records ?? [];
    const empty = records.length === 0;
    if (empty) shard.emptyReadEpoch = epoch;
    if (!r.NextShardIterator) {
      shard.iterator = undefined;
      shard.closed = true;
    } else if (!empty || Date.now() - shard.iteratorAt > 5 * 60_000) {
      shard.iterator = r.NextShardIterator;
      shard.iteratorAt = Date.now();
    }
    if (!empty) shard.lastReadSeq = records[records.length - 1]!.dynamodb.SequenceNumber;
    return records;
  }

  /**
   * Resolves true once every record the stream held when called has been handled: a DescribeStream
   * and, in each shard, a GetRecords sent after the call came back empty, and nothing is left in
   * flight or waiting for a retry (every record was delivered in a successful invocation, dropped
   * by the filter criteria or sent to the on-failure destination). False after `timeoutMs`.
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    const target = ++this.epoch;
    this.lastDescribe = 0; // look for new shards now rather than within the second
    const deadline = Date.now() + timeoutMs;
    while (!this.signal.aborted) {
      const shards = [...this.shards.values()];
      if (this.describedEpoch >= target && shards.every((s) => s.buffer.length === 0 && (s.closed || s.emptyReadEpoch >= target))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(20, this.signal);
    }
    return false;
  }

  checkpoints(): ShardCheckpoint[] {
    return [...this.shards.values()].map((s) => ({ shardId: s.id, checkpoint: s.lastReadSeq }));
  }

  /**
   * Moves the mapping back to checkpoints `checkpoints()` reported earlier: it reads and delivers
   * every record after them again, as Lambda does when it retries from its checkpoint after a
   * failure (records the failed attempt had already processed arrive a second time). Applied by the
   * poll loop before its next read, so never in the middle of a batch.
   */
  rewind(shards: ShardCheckpoint[]): Promise<void> {
    return new Promise((resolve, reject) => this.rewinds.push({ shards, done: (err) => (err ? reject(err) : resolve()) }));
  }

  private async applyRewinds(): Promise<void> {
    for (const r of this.rewinds.splice(0)) {
      try {
        for (const { shardId, checkpoint } of r.shards) {
          const shard = this.shards.get(shardId);
          if (!shard) throw new Error(`the mapping has no shard ${shardId}`);
          const it = await this.call<{ ShardIterator?: string }>("GetShardIterator", {
            StreamArn: this.m.EventSourceArn,
            ShardId: shardId,
            ...(checkpoint ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: checkpoint } : { ShardIteratorType: "TRIM_HORIZON" }),
          });
          Object.assign(shard, { iterator: it.ShardIterator, iteratorAt: Date.now(), closed: !it.ShardIterator, buffer: [], limits: [], attempts: 0, lastReadSeq: checkpoint, emptyReadEpoch: -1 });
          shard.invokeCounts.clear();
          shard.lastResponse = undefined;
          shard.firstBufferedAt = undefined;
        }
        r.done();
      } catch (e) {
        r.done(e as Error);
      }
    }
  }

  /** Fails the rewinds still waiting (the mapping stopped). */
  failRewinds(err: Error): void {
    for (const r of this.rewinds.splice(0)) r.done(err);
  }
}
