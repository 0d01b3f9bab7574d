// The replicator's DLQ holds two kinds of message: records the handler parked
// (full record + reason) and batch positions Lambda sent after retries ran out
// (stream shard + sequence range, no record). Reading and classifying them is shared by
// redrive (scripts/operator), the game day and the tests; moving them back is redrive's.
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { parseRecord, type ReplicatedUser } from "../../handlers/replication/record";

export type DlqEntry =
  | { kind: "parked"; message: Message; reason: string; detail: string; record?: ReplicatedUser }
  | { kind: "batch"; message: Message; reason: string; streamArn: string; shardId: string; start: string; end: string; size: number }
  | { kind: "unreadable"; message: Message; reason: "UNREADABLE"; detail: string };

/** The fields redrive reads of either message kind. */
interface DlqBody {
  reason?: unknown;
  message?: unknown;
  record?: unknown;
  requestContext?: { condition?: string };
  DDBStreamBatchInfo?: { streamArn: string; shardId: string; startSequenceNumber: string; endSequenceNumber: string; batchSize?: number };
}

export function classifyMessage(message: Message): DlqEntry {
  let body: DlqBody;
  try {
    body = JSON.parse(message.Body ?? "");
  } catch {
    return { kind: "unreadable", message, reason: "UNREADABLE", detail: "body is not JSON" };
  }
  if (body.DDBStreamBatchInfo) {
    const b = body.DDBStreamBatchInfo;
    return {
      kind: "batch",
      message,
      reason: `BATCH_${String(body.requestContext?.condition ?? "FAILED")}`,
      streamArn: b.streamArn,
      shardId: b.shardId,
      start: b.startSequenceNumber,
      end: b.endSequenceNumber,
      size: Number(b.batchSize ?? 0),
    };
  }
  if (typeof body.reason === "string") {
    let record: ReplicatedUser | undefined;
    try {
      record = parseRecord(body.record);
    } catch {
      record = undefined; // the raw image did not parse: only a fixed source can replay it
    }
    return { kind: "parked", message, reason: body.reason, detail: String(body.message ?? ""), record };
  }
  return { kind: "unreadable", message, reason: "UNREADABLE", detail: "neither a parked record nor a Lambda batch record" };
}

/** Reads every message currently visible, then makes them visible again. */
export async function readDlq(sqs: SQSClient, queueUrl: string, opts: { max?: number } = {}): Promise<DlqEntry[]> {
  const seen = new Map<string, Message>();
  const max = opts.max ?? 10_000;
  for (let empty = 0; empty < 2 && seen.size < max; ) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0, MessageAttributeNames: ["All"] }),
    );
    const batch = (out.Messages ?? []).filter((m) => !seen.has(m.MessageId!));
    if (batch.length === 0) empty++;
    for (const m of batch) seen.set(m.MessageId!, m);
  }
  const entries = [...seen.values()].map(classifyMessage);
  await Promise.all(
    entries.map((e) => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: e.message.ReceiptHandle!, VisibilityTimeout: 0 }))),
  );
  return entries;
}

export function countByReason(entries: DlqEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.reason] = (counts[e.reason] ?? 0) + 1;
  return counts;
}
