// Event source pollers with Lambda's semantics.
//
// Both pollers talk to the event source through the sandbox GATEWAY endpoint
// (not moto directly), so that injected faults, throttling and region outages
// apply to Lambda's reads as they would in AWS.

import { randomUUID } from "node:crypto";
import { awsJson, AwsCallError, parseArn } from "../aws";
import type { MappingConfig } from "./esm";
import { matchesAny, parseFilterCriteria, type FilterPattern } from "./filter";
import type { ErrorPayload, InvokeOutcome } from "./runtime";

export type HostInvokeOutcome = InvokeOutcome | { kind: "missing"; message: string };

export interface PollerHost {
  gatewayEndpoint: string;
  /**
   * Credentials of the mapping's function's execution role: Lambda reads the source and delivers
   * on-failure records with that role (Lambda developer guide, "Execution role permissions" of the
   * DynamoDB and SQS event source pages). Undefined: the sandbox's own keys.
   */
  credentials?(functionArn: string): { accessKeyId: string; sessionToken?: string } | undefined;
  invoke(functionArn: string, event: unknown): Promise<HostInvokeOutcome>;
  log(m: MappingConfig, msg: string): void;
  /** Poll interval when the source is idle. */
  idlePollMs: number;
  /** Base delay before retrying a failed batch (grows linearly with the attempt, capped at 1 s). */
  retryBackoffMs: number;
}

export interface MappingStats {
  invocations: number;
  /** Records of successful invocations (a record delivered again, as on a retry, counts again). */
  recordsDelivered: number;
  /** Records the filter criteria dropped (Lambda discards them: never delivered, never retried). */
  recordsFiltered: number;
  /** recordsDelivered and recordsFiltered per stream record `eventName` (DynamoDB streams only). */
  deliveredByEventName: Record<string, number>;
  filteredByEventName: Record<string, number>;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  bisects: number;
  onFailureSent: number;
  deleted: number;
  pollErrors: number;
  lastError?: string;
  lastBatchAt?: number;
}

export function newStats(): MappingStats {
  return {
    invocations: 0,
    recordsDelivered: 0,
    recordsFiltered: 0,
    deliveredByEventName: {},
    filteredByEventName: {},
    functionErrors: 0,
    partialFailures: 0,
    retries: 0,
    bisects: 0,
    onFailureSent: 0,
    deleted: 0,
    pollErrors: 0,
  };
}

export interface Poller {
  stats: MappingStats;
  stop(): Promise<void>;
}

/** A stream mapping's position in one shard: the last sequence number it has read (and handled, once caught up). */
export interface ShardCheckpoint {
  shardId: string;
  /** Undefined until the mapping has read a record of the shard. */
  checkpoint?: string;
}

/** Interprets a function response under ReportBatchItemFailures. `null` = whole batch failed; [] = all succeeded. */
export function parseBatchItemFailures(payload: string, ids: Set<string>): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (parsed === null || parsed === undefined) return [];
  if (typeof parsed !== "object" || Array.isArray(parsed)) return [];
  const list = (parsed as Record<string, unknown>).batchItemFailures;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return null;
  const failed: string[] = [];
  for (const item of list) {
    const id = item && typeof item === "object" ? (item as Record<string, unknown>).itemIdentifier : undefined;
    if (typeof id !== "string" || id === "" || !ids.has(id)) return null;
    failed.push(id);
  }
  return failed;
}

// ---------------------------------------------------------------- DynamoDB Streams

interface StreamRecord {
  eventID: string;
  eventName: string;
  dynamodb: Record<string, unknown> & { SequenceNumber: string; ApproximateCreationDateTime?: unknown };
  userIdentity?: unknown;
}

interface LambdaDdbRecord {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  dynamodb: Record<string, unknown> & { SequenceNumber: string; ApproximateCreationDateTime: number };
  eventSourceARN: string;
  userIdentity?: unknown;
}

interface ShardState {
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

export class DynamoDbPoller implements Poller {
  stats = newStats();
  private abort = new AbortController();
  private shards = new Map<string, ShardState>();
  private loop: Promise<void>;
  private lastDescribe = 0;
  private readonly streamRegion: string;
  private filters: FilterPattern[] = [];
  private filterSource?: unknown;
  /** Bumped by each caughtUp call; reads and describes remember the value they were sent under. */
  private epoch = 0;
  private describedEpoch = -1;
  private rewinds: Array<{ shards: ShardCheckpoint[]; done: (err?: Error) => void }> = [];

  constructor(
    private readonly m: MappingConfig,
    private readonly host: PollerHost,
  ) {
    this.streamRegion = parseArn(m.EventSourceArn).region || m.region;
    this.loop = this.run();
  }

  private call<T>(target: string, body: unknown): Promise<T> {
    return awsJson<T>({
      endpoint: this.host.gatewayEndpoint,
      region: this.streamRegion,
      service: "streams",
      operation: target,
      body,
      signal: this.abort.signal,
      timeoutMs: 10_000,
      credentials: this.host.credentials?.(this.m.FunctionArn),
    });
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.abort.signal.aborted) {
      if (!this.m.Enabled) {
        await sleep(200, this.abort.signal);
        continue;
      }
      let didWork = false;
      try {
        if (first || Date.now() - this.lastDescribe > 1000) {
          await this.describe(first);
          first = false;
        }
        await this.applyRewinds();
        for (const shard of this.shards.values()) {
          if (this.abort.signal.aborted) break;
          if (shard.parent && this.shards.has(shard.parent)) {
            const p = this.shards.get(shard.parent)!;
            if (!(p.closed && p.buffer.length === 0)) continue; // parent first: per-key order
          }
          if (await this.step(shard)) didWork = true;
        }
      } catch (e) {
        if (this.abort.signal.aborted) break;
        this.stats.pollErrors++;
        this.stats.lastError = describeError(e);
        this.host.log(this.m, `poll error: ${this.stats.lastError}`);
        await sleep(500, this.abort.signal);
        continue;
      }
      if (!didWork) await sleep(this.host.idlePollMs, this.abort.signal);
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
   * Resolves true once every record the stream held when called has been handled: a DescribeStream
   * and, in each shard, a GetRecords sent after the call came back empty, and nothing is left in
   * flight or waiting for a retry (every record was delivered in a successful invocation, dropped
   * by the filter criteria or sent to the on-failure destination). False after `timeoutMs`.
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    const target = ++this.epoch;
    this.lastDescribe = 0; // look for new shards now rather than within the second
    const deadline = Date.now() + timeoutMs;
    while (!this.abort.signal.aborted) {
      const shards = [...this.shards.values()];
      if (this.describedEpoch >= target && shards.every((s) => s.buffer.length === 0 && (s.closed || s.emptyReadEpoch >= target))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(20, this.abort.signal);
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

  private currentFilters(): FilterPattern[] {
    if (this.filterSource !== this.m.FilterCriteria) {
      this.filterSource = this.m.FilterCriteria;
      try {
        this.filters = parseFilterCriteria(this.m.FilterCriteria);
      } catch {
        this.filters = [];
      }
    }
    return this.filters;
  }

  /** One poll/invoke step for a shard; true when it did something worth polling again at once. */
  private async step(shard: ShardState): Promise<boolean> {
    const batchSize = this.m.BatchSize;
    let fetched = false;
    if (shard.buffer.length < batchSize && shard.iterator && !shard.closed) {
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
          return true;
        }
        throw e;
      }
      // An iterator stays valid (15 min in AWS) and re-reads from the same position, so an idle
      // shard keeps polling with the same one for a while instead of minting a new one per poll
      // (moto keeps every iterator it ever issued).
      const empty = (r.Records ?? []).length === 0;
      if (empty) shard.emptyReadEpoch = epoch;
      if (!r.NextShardIterator) {
        shard.iterator = undefined;
        shard.closed = true;
      } else if (!empty || Date.now() - shard.iteratorAt > 5 * 60_000) {
        shard.iterator = r.NextShardIterator;
        shard.iteratorAt = Date.now();
      }
      const filters = this.currentFilters();
      for (const raw of r.Records ?? []) {
        shard.lastReadSeq = raw.dynamodb.SequenceNumber;
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

    const outcome = await this.host.invoke(this.m.FunctionArn, { Records: batch });
    if (outcome.kind === "missing") {
      this.stats.lastError = outcome.message;
      this.host.log(this.m, `function missing, will retry: ${outcome.message}`);
      for (const r of batch) shard.invokeCounts.set(r.dynamodb.SequenceNumber, (shard.invokeCounts.get(r.dynamodb.SequenceNumber) ?? 1) - 1);
      this.m.LastProcessingResult = "PROBLEM: Function not found";
      await sleep(1000, this.abort.signal);
      return;
    }
    this.stats.invocations++;
    this.stats.lastBatchAt = Date.now();

    if (outcome.kind === "ok") {
      const reportFailures = this.m.FunctionResponseTypes.includes("ReportBatchItemFailures");
      const failed = reportFailures
        ? parseBatchItemFailures(outcome.payload, new Set(batch.map((r) => r.dynamodb.SequenceNumber)))
        : [];
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

    this.stats.functionErrors++;
    this.m.LastProcessingResult = "PROBLEM: Function call failed";
    shard.lastResponse = { statusCode: 200, functionError: "Unhandled" };
    this.host.log(this.m, `batch of ${batch.length} failed: ${describePayload(outcome.error)}`);
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
    const ok = await sendToDestination(this.host, this.m, dest, JSON.stringify(message), this.abort.signal);
    if (ok) this.stats.onFailureSent++;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop.catch(() => undefined);
    for (const r of this.rewinds.splice(0)) r.done(new Error("the mapping was stopped"));
  }
}

/** Sends an on-failure record to an SQS destination (other destination types are logged only). */
export async function sendToDestination(host: PollerHost, m: MappingConfig, destArn: string, body: string, signal: AbortSignal): Promise<boolean> {
  const arn = parseArn(destArn);
  if (arn.service !== "sqs") {
    host.log(m, `on-failure destination ${destArn} is not an SQS queue; the sandbox only delivers to SQS. Record: ${body}`);
    return false;
  }
  for (let attempt = 1; attempt <= 10 && !signal.aborted; attempt++) {
    try {
      const { QueueUrl } = await awsJson<{ QueueUrl: string }>({
        endpoint: host.gatewayEndpoint,
        region: arn.region,
        service: "sqs",
        operation: "GetQueueUrl",
        body: { QueueName: arn.resource, QueueOwnerAWSAccountId: arn.account },
        signal,
        timeoutMs: 10_000,
      });
      await awsJson({
        endpoint: host.gatewayEndpoint,
        region: arn.region,
        service: "sqs",
        operation: "SendMessage",
        body: { QueueUrl, MessageBody: body },
        signal,
        timeoutMs: 10_000,
        credentials: host.credentials?.(m.FunctionArn),
      });
      return true;
    } catch (e) {
      if (signal.aborted) return false;
      host.log(m, `on-failure delivery to ${destArn} failed (attempt ${attempt}): ${describeError(e)}`);
      await sleep(Math.min(2000, 100 * attempt), signal);
    }
  }
  host.log(m, `on-failure record dropped after 10 attempts: ${body}`);
  return false;
}

// ---------------------------------------------------------------- SQS

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  MD5OfBody?: string;
  MD5OfMessageAttributes?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { StringValue?: string; BinaryValue?: string; DataType: string; StringListValues?: string[]; BinaryListValues?: string[] }>;
}

export class SqsPoller implements Poller {
  stats = newStats();
  private abort = new AbortController();
  private loops: Promise<void>[];
  private queueUrl?: string;
  private readonly arn: ReturnType<typeof parseArn>;
  private filters: FilterPattern[] = [];
  private filterSource?: unknown;

  constructor(
    private readonly m: MappingConfig,
    private readonly host: PollerHost,
    concurrency: number,
  ) {
    this.arn = parseArn(m.EventSourceArn);
    const n = Math.max(1, Math.min(concurrency, m.ScalingConfig?.MaximumConcurrency ?? concurrency));
    this.loops = Array.from({ length: n }, () => this.run());
  }

  /** `asService`: a call Lambda makes without the role (it knows the queue's URL from its ARN). */
  private call<T>(op: string, body: unknown, timeoutMs = 10_000, asService = false): Promise<T> {
    return awsJson<T>({
      endpoint: this.host.gatewayEndpoint,
      region: this.arn.region,
      service: "sqs",
      operation: op,
      body,
      signal: this.abort.signal,
      timeoutMs,
      credentials: asService ? undefined : this.host.credentials?.(this.m.FunctionArn),
    });
  }

  private currentFilters(): FilterPattern[] {
    if (this.filterSource !== this.m.FilterCriteria) {
      this.filterSource = this.m.FilterCriteria;
      try {
        this.filters = parseFilterCriteria(this.m.FilterCriteria);
      } catch {
        this.filters = [];
      }
    }
    return this.filters;
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      if (!this.m.Enabled) {
        await sleep(200, this.abort.signal);
        continue;
      }
      try {
        if (!this.queueUrl) {
          const r = await this.call<{ QueueUrl: string }>("GetQueueUrl", { QueueName: this.arn.resource, QueueOwnerAWSAccountId: this.arn.account }, 10_000, true);
          this.queueUrl = r.QueueUrl;
        }
        const batch = await this.collect();
        if (batch.length === 0) continue;
        await this.process(batch);
      } catch (e) {
        if (this.abort.signal.aborted) break;
        this.stats.pollErrors++;
        this.stats.lastError = describeError(e);
        if (e instanceof AwsCallError && /NonExistentQueue|QueueDoesNotExist/.test(e.code)) this.queueUrl = undefined;
        this.host.log(this.m, `poll error: ${this.stats.lastError}`);
        await sleep(500, this.abort.signal);
      }
    }
  }

  /** Receives up to BatchSize messages, waiting up to the batching window once the first arrives. */
  private async collect(): Promise<SqsMessage[]> {
    const batchSize = this.m.BatchSize;
    const windowMs = (this.m.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    const out: SqsMessage[] = [];
    let firstAt = 0;
    for (;;) {
      const waitSec = out.length === 0 ? 1 : windowMs > 0 ? Math.max(0, Math.min(1, Math.ceil((firstAt + windowMs - Date.now()) / 1000))) : 0;
      const r = await this.call<{ Messages?: SqsMessage[] }>(
        "ReceiveMessage",
        {
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - out.length),
          WaitTimeSeconds: waitSec,
          AttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        },
        (waitSec + 10) * 1000,
      );
      const msgs = r.Messages ?? [];
      if (msgs.length && out.length === 0) firstAt = Date.now();
      out.push(...msgs);
      if (out.length === 0) return out;
      if (out.length >= batchSize || windowMs === 0 || Date.now() - firstAt >= windowMs) return out;
      if (this.abort.signal.aborted) return out;
      if (msgs.length === 0 && waitSec === 0) await sleep(Math.min(100, windowMs), this.abort.signal);
    }
  }

  private toRecord(msg: SqsMessage): Record<string, unknown> {
    const messageAttributes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(msg.MessageAttributes ?? {})) {
      messageAttributes[k] = {
        ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: v.BinaryValue } : {}),
        stringListValues: v.StringListValues ?? [],
        binaryListValues: v.BinaryListValues ?? [],
        dataType: v.DataType,
      };
    }
    const attrs = msg.Attributes ?? {};
    const attributes: Record<string, string> = {};
    for (const k of [
      "ApproximateReceiveCount",
      "SentTimestamp",
      "SenderId",
      "ApproximateFirstReceiveTimestamp",
      "SequenceNumber",
      "MessageGroupId",
      "MessageDeduplicationId",
      "AWSTraceHeader",
      "DeadLetterQueueSourceArn",
    ]) {
      if (attrs[k] !== undefined) attributes[k] = attrs[k]!;
    }
    return {
      messageId: msg.MessageId,
      receiptHandle: msg.ReceiptHandle,
      body: msg.Body,
      attributes,
      messageAttributes,
      md5OfBody: msg.MD5OfBody,
      ...(msg.MD5OfMessageAttributes ? { md5OfMessageAttributes: msg.MD5OfMessageAttributes } : {}),
      eventSource: "aws:sqs",
      eventSourceARN: this.m.EventSourceArn,
      awsRegion: this.arn.region,
    };
  }

  private async process(messages: SqsMessage[]): Promise<void> {
    const filters = this.currentFilters();
    const records: Record<string, unknown>[] = [];
    const dropped: SqsMessage[] = [];
    const keep: SqsMessage[] = [];
    for (const msg of messages) {
      const rec = this.toRecord(msg);
      let view: Record<string, unknown> = rec;
      if (filters.length) {
        try {
          view = { ...rec, body: JSON.parse(msg.Body) as unknown };
        } catch {
          /* plain-text body: only matchable as a string */
        }
      }
      if (matchesAny(filters, view)) {
        records.push(rec);
        keep.push(msg);
      } else {
        dropped.push(msg);
      }
    }
    // Lambda deletes messages that do not match the filter criteria.
    if (dropped.length) {
      this.stats.recordsFiltered += dropped.length;
      await this.deleteMessages(dropped);
    }
    if (records.length === 0) return;

    const outcome = await this.host.invoke(this.m.FunctionArn, { Records: records });
    if (outcome.kind === "missing") {
      this.stats.lastError = outcome.message;
      this.host.log(this.m, `function missing, messages left on the queue: ${outcome.message}`);
      await sleep(1000, this.abort.signal);
      return;
    }
    this.stats.invocations++;
    this.stats.lastBatchAt = Date.now();
    if (outcome.kind === "error") {
      this.stats.functionErrors++;
      this.host.log(this.m, `batch of ${records.length} failed: ${describePayload(outcome.error)}`);
      return; // messages reappear after the visibility timeout
    }
    let succeeded = keep;
    if (this.m.FunctionResponseTypes.includes("ReportBatchItemFailures")) {
      const failed = parseBatchItemFailures(outcome.payload, new Set(keep.map((x) => x.MessageId)));
      if (failed === null) {
        this.stats.partialFailures++;
        this.host.log(this.m, `invalid batchItemFailures response; whole batch of ${records.length} will be retried`);
        return;
      }
      if (failed.length) this.stats.partialFailures++;
      const f = new Set(failed);
      succeeded = keep.filter((x) => !f.has(x.MessageId));
    }
    this.stats.recordsDelivered += succeeded.length;
    await this.deleteMessages(succeeded);
  }

  private async deleteMessages(msgs: SqsMessage[]): Promise<void> {
    for (let i = 0; i < msgs.length; i += 10) {
      const chunk = msgs.slice(i, i + 10);
      await this.call("DeleteMessageBatch", {
        QueueUrl: this.queueUrl,
        Entries: chunk.map((x, j) => ({ Id: String(j), ReceiptHandle: x.ReceiptHandle })),
      });
      this.stats.deleted += chunk.length;
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops.map((l) => l.catch(() => undefined)));
  }
}

function describeError(e: unknown): string {
  // An AwsCallError's message already starts with its code (its name).
  if (e instanceof AwsCallError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function describePayload(e: ErrorPayload): string {
  return `${e.errorType ?? "Error"}: ${e.errorMessage}`;
}
