// A DynamoDB stream event source mapping, with Lambda's semantics: batches per shard (BatchSize,
// batching window, 6 MB payload), filter criteria (non-matching records are dropped and
// checkpointed), ReportBatchItemFailures (checkpoint before the lowest failed sequence number),
// retries with bisect on function error, MaximumRetryAttempts and MaximumRecordAgeInSeconds with
// Lambda's on-failure record. Reading the stream is StreamShards' job (dynamodb-stream.ts).

import { randomUUID } from "node:crypto";
import { parseArn } from "../../aws";
import type { MappingConfig } from "../esm";
import { matchesAny } from "../filter";
import { StreamShards, type LambdaDdbRecord, type ShardCheckpoint, type ShardState, type StreamRecord } from "./dynamodb-stream";
import { Poller, sleep, type PollerHost } from "./poller";

function toEpochSeconds(v: unknown): number {
  if (typeof v === "number") return v > 1e11 ? Math.floor(v / 1000) : v;
  if (typeof v === "string") {
    const n = Number(v);
    if (!Number.isNaN(n)) return n > 1e11 ? Math.floor(n / 1000) : n;
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return Math.floor(t / 1000);
  }
  return Math.floor(Date.now() / 1000);
}

function tally(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function seqLess(a: string, b: string): boolean {
  try {
    return BigInt(a) < BigInt(b);
  } catch {
    return a.length === b.length ? a < b : a.length < b.length;
  }
}

export class DynamoDbStreamPoller extends Poller {
  private readonly streamRegion: string;
  private readonly stream: StreamShards;

  constructor(m: MappingConfig, host: PollerHost) {
    super(m, host);
    this.streamRegion = parseArn(m.EventSourceArn).region || m.region;
    this.stream = new StreamShards(m, (operation, body) => this.call("streams", this.streamRegion, operation, body), this.abort.signal);
    this.start(1);
  }

  protected async pollOnce(): Promise<void> {
    let didWork = false;
    await this.stream.refresh();
    for (const shard of this.stream.readable()) {
      if (await this.step(shard)) didWork = true;
    }
    if (!didWork) await sleep(this.host.idlePollMs, this.abort.signal);
  }

  /** See StreamShards.caughtUp. */
  caughtUp(timeoutMs: number): Promise<boolean> {
    return this.stream.caughtUp(timeoutMs);
  }

  checkpoints(): ShardCheckpoint[] {
    return this.stream.checkpoints();
  }

  /** See StreamShards.rewind. */
  rewind(shards: ShardCheckpoint[]): Promise<void> {
    return this.stream.rewind(shards);
  }

  /** One poll/invoke step for a shard; true when it did something worth polling again at once. */
  private async step(shard: ShardState): Promise<boolean> {
    const batchSize = this.m.BatchSize;
    let fetched = false;
    if (shard.buffer.length < batchSize && shard.iterator && !shard.closed) {
      const records = await this.stream.read(shard);
      if (records === undefined) return true; // a new iterator: read again at once
      const filters = this.currentFilters();
      for (const raw of records) {
        const rec = this.toLambdaRecord(raw);
        if (!matchesAny(filters, rec)) {
          this.stats.recordsFiltered++;
          tally(this.stats.filteredByEventName, rec.eventName);
          continue;
        }
        if (shard.buffer.length === 0) shard.firstBufferedAt = Date.now();
        shard.buffer.push(rec);
        fetched = true;
      }
    }
    if (shard.buffer.length === 0) return fetched;
    const window = (this.m.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    if (shard.buffer.length < batchSize && window > 0 && !shard.closed && Date.now() - (shard.firstBufferedAt ?? 0) < window) {
      return false;
    }
    await this.processBatch(shard);
    return true;
  }

  private toLambdaRecord(raw: StreamRecord): LambdaDdbRecord {
    const dynamodb = { ...raw.dynamodb, ApproximateCreationDateTime: toEpochSeconds(raw.dynamodb.ApproximateCreationDateTime) };
    const rec: LambdaDdbRecord = {
      eventID: raw.eventID,
      eventName: raw.eventName,
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: this.streamRegion,
      dynamodb,
      eventSourceARN: this.m.EventSourceArn,
    };
    if (raw.userIdentity) rec.userIdentity = raw.userIdentity;
    return rec;
  }

  private delivered(records: LambdaDdbRecord[]): void {
    this.stats.recordsDelivered += records.length;
    for (const r of records) tally(this.stats.deliveredByEventName, r.eventName);
  }

  private checkpoint(shard: ShardState, n: number): void {
    const gone = shard.buffer.splice(0, n);
    for (const r of gone) shard.invokeCounts.delete(r.dynamodb.SequenceNumber);
    shard.attempts = 0;
    shard.lastResponse = undefined;
    shard.firstBufferedAt = shard.buffer.length ? Date.now() : undefined;
  }

  private async processBatch(shard: ShardState): Promise<void> {
    // Records past MaximumRecordAgeInSeconds are discarded to the on-failure destination.
    const maxAge = this.m.MaximumRecordAgeInSeconds ?? -1;
    if (maxAge >= 0) {
      const cutoff = Date.now() / 1000 - maxAge;
      let expired = 0;
      while (expired < shard.buffer.length && shard.buffer[expired]!.dynamodb.ApproximateCreationDateTime < cutoff) expired++;
      if (expired > 0) {
        const batch = shard.buffer.slice(0, Math.min(expired, this.m.BatchSize));
        await this.sendOnFailure(shard, batch, "RecordAgeExceeded");
        this.checkpoint(shard, batch.length);
        shard.limits = [];
        return;
      }
    }

    let size = Math.min(this.m.BatchSize, shard.buffer.length);
    if (shard.limits.length) size = Math.min(size, shard.limits[0]!);
    let batch = shard.buffer.slice(0, size);
    // Lambda's synchronous payload limit is 6 MB.
    while (batch.length > 1 && Buffer.byteLength(JSON.stringify({ Records: batch })) > 6 * 1024 * 1024) {
      batch = batch.slice(0, Math.ceil(batch.length / 2));
    }
    for (const r of batch) {
      const s = r.dynamodb.SequenceNumber;
      shard.invokeCounts.set(s, (shard.invokeCounts.get(s) ?? 0) + 1);
    }

    const outcome = await this.invokeBatch(batch, "will retry");
    if (!outcome) {
      for (const r of batch) shard.invokeCounts.set(r.dynamodb.SequenceNumber, (shard.invokeCounts.get(r.dynamodb.SequenceNumber) ?? 1) - 1);
      this.m.LastProcessingResult = "PROBLEM: Function not found";
      await sleep(1000, this.abort.signal);
      return;
    }

    if (outcome.kind === "ok") {
      const failed = this.failedItems(outcome.payload, new Set(batch.map((r) => r.dynamodb.SequenceNumber)));
      if (failed !== null && failed.length === 0) {
        this.delivered(batch);
        this.m.LastProcessingResult = "OK";
        this.checkpoint(shard, batch.length);
        if (shard.limits.length) shard.limits.shift();
        return;
      }
      this.stats.partialFailures++;
      shard.lastResponse = { statusCode: 200 };
      if (failed !== null) {
        // Checkpoint just before the lowest failed sequence number; retry from there.
        let lowest = failed[0]!;
        for (const f of failed) if (seqLess(f, lowest)) lowest = f;
        const idx = batch.findIndex((r) => r.dynamodb.SequenceNumber === lowest);
        if (idx > 0) {
          this.delivered(batch.slice(0, idx));
          // The remainder has been tried once: afterFailure counts that attempt.
          this.checkpoint(shard, idx);
          if (shard.limits.length) shard.limits[0] = shard.limits[0]! - idx;
          await this.afterFailure(shard, batch.slice(idx), false);
          return;
        }
      }
      await this.afterFailure(shard, batch, false, true);
      return;
    }

    this.m.LastProcessingResult = "PROBLEM: Function call failed";
    shard.lastResponse = { statusCode: 200, functionError: "Unhandled" };
    await this.afterFailure(shard, batch, true);
  }

  /** Counts an attempt for `batch` (the front of the buffer) and bisects, retries or gives up. */
  private async afterFailure(shard: ShardState, batch: LambdaDdbRecord[], functionError: boolean, countAttempt = true): Promise<void> {
    if (this.m.BisectBatchOnFunctionError && functionError && batch.length > 1) {
      // Split in two and retry each half; a split does not count against the retry limit.
      this.stats.bisects++;
      const a = Math.ceil(batch.length / 2);
      const rest = shard.limits.length ? shard.limits.slice(1) : [];
      shard.limits = [a, batch.length - a, ...rest];
      shard.attempts = 0;
      await sleep(this.backoff(1), this.abort.signal);
      return;
    }
    if (countAttempt) shard.attempts++;
    const maxRetries = this.m.MaximumRetryAttempts ?? -1;
    if (maxRetries >= 0 && shard.attempts > maxRetries) {
      await this.sendOnFailure(shard, batch, "RetryAttemptsExhausted");
      this.checkpoint(shard, batch.length);
      if (shard.limits.length) shard.limits.shift();
      return;
    }
    this.stats.retries++;
    await sleep(this.backoff(shard.attempts), this.abort.signal);
  }

  private backoff(attempt: number): number {
    return Math.min(1000, this.host.retryBackoffMs * Math.max(1, attempt));
  }

  private async sendOnFailure(shard: ShardState, batch: LambdaDdbRecord[], condition: string): Promise<void> {
    const dest = this.m.DestinationConfig?.OnFailure?.Destination;
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    const invokeCount = Math.max(...batch.map((r) => shard.invokeCounts.get(r.dynamodb.SequenceNumber) ?? 0));
    const message = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.m.FunctionArn,
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: {
        statusCode: shard.lastResponse?.statusCode ?? 200,
        executedVersion: "$LATEST",
        ...(shard.lastResponse?.functionError ? { functionError: shard.lastResponse.functionError } : {}),
      },
      version: "1.0",
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.id,
        startSequenceNumber: first.dynamodb.SequenceNumber,
        endSequenceNumber: last.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.dynamodb.ApproximateCreationDateTime * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.dynamodb.ApproximateCreationDateTime * 1000).toISOString(),
        batchSize: batch.length,
        streamArn: this.m.EventSourceArn,
      },
    };
    if (!dest) {
      this.host.log(this.m, `${condition}: dropping records ${message.DDBStreamBatchInfo.startSequenceNumber}..${message.DDBStreamBatchInfo.endSequenceNumber} (no on-failure destination)`);
      return;
    }
    const ok = await this.sendToDestination(dest, JSON.stringify(message));
    if (ok) this.stats.onFailureSent++;
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.stream.failRewinds(new Error("the mapping was stopped"));
  }
}
