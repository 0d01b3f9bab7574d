// An SQS event source mapping, with Lambda's semantics: a few concurrent pollers (ScalingConfig
// caps them), ReceiveMessage long polls up to BatchSize within the batching window, Lambda's SQS
// record shape, filter criteria (non-matching messages are deleted), successes deleted, and
// failures (a function error, or the items ReportBatchItemFailures names) left on the queue to
// reappear after its visibility timeout (moto applies the queue's RedrivePolicy on receive).

import { AwsCallError, parseArn } from "../../aws";
import type { MappingConfig } from "../esm";
import { matchesAny } from "../filter";
import { Poller, sleep, type PollerHost } from "./poller";

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  MD5OfBody?: string;
  MD5OfMessageAttributes?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { StringValue?: string; BinaryValue?: string; DataType: string; StringListValues?: string[]; BinaryListValues?: string[] }>;
}

/** The message system attributes Lambda puts in a record's `attributes`. */
const RECORD_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "SentTimestamp",
  "SenderId",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageGroupId",
  "MessageDeduplicationId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
];

export class SqsPoller extends Poller {
  private queueUrl?: string;
  private readonly arn: ReturnType<typeof parseArn>;

  constructor(m: MappingConfig, host: PollerHost, concurrency: number) {
    super(m, host);
    this.arn = parseArn(m.EventSourceArn);
    this.start(Math.max(1, Math.min(concurrency, m.ScalingConfig?.MaximumConcurrency ?? concurrency)));
  }

  private sqs<T>(op: string, body: unknown, timeoutMs = 10_000, asService = false): Promise<T> {
    return this.call<T>("sqs", this.arn.region, op, body, timeoutMs, asService);
  }

  protected async pollOnce(): Promise<void> {
    if (!this.queueUrl) {
      // Lambda knows the queue's URL from its ARN: a call it makes without the role.
      const r = await this.sqs<{ QueueUrl: string }>("GetQueueUrl", { QueueName: this.arn.resource, QueueOwnerAWSAccountId: this.arn.account }, 10_000, true);
      this.queueUrl = r.QueueUrl;
    }
    const batch = await this.collect();
    if (batch.length === 0) return;
    await this.process(batch);
  }

  protected override onPollError(e: unknown): void {
    if (e instanceof AwsCallError && /NonExistentQueue|QueueDoesNotExist/.test(e.code)) this.queueUrl = undefined;
  }

  /** Receives up to BatchSize messages, waiting up to the batching window once the first arrives. */
  private async collect(): Promise<SqsMessage[]> {
    const batchSize = this.m.BatchSize;
    const windowMs = (this.m.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    const out: SqsMessage[] = [];
    let firstAt = 0;
    for (;;) {
      const waitSec = out.length === 0 ? 1 : windowMs > 0 ? Math.max(0, Math.min(1, Math.ceil((firstAt + windowMs - Date.now()) / 1000))) : 0;
      const r = await this.sqs<{ Messages?: SqsMessage[] }>(
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
    for (const k of RECORD_ATTRIBUTES) {
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

    const outcome = await this.invokeBatch(records, "messages left on the queue");
    if (!outcome) {
      await sleep(1000, this.abort.signal);
      return;
    }
    if (outcome.kind === "error") return; // messages reappear after the visibility timeout
    const failed = this.failedItems(outcome.payload, new Set(keep.map((x) => x.MessageId)));
    if (failed === null) {
      this.stats.partialFailures++;
      this.host.log(this.m, `invalid batchItemFailures response; whole batch of ${records.length} will be retried`);
      return;
    }
    if (failed.length) this.stats.partialFailures++;
    const f = new Set(failed);
    const succeeded = keep.filter((x) => !f.has(x.MessageId));
    this.stats.recordsDelivered += succeeded.length;
    await this.deleteMessages(succeeded);
  }

  private async deleteMessages(msgs: SqsMessage[]): Promise<void> {
    for (let i = 0; i < msgs.length; i += 10) {
      const chunk = msgs.slice(i, i + 10);
      await this.sqs("DeleteMessageBatch", {
        QueueUrl: this.queueUrl,
        Entries: chunk.map((x, j) => ({ Id: String(j), ReceiptHandle: x.ReceiptHandle })),
      });
      this.stats.deleted += chunk.length;
    }
  }
}
