// Redrive turns the DLQ's messages (scripts/lib/dlq.ts reads them) back into table
// writes in the DR region with a bumped version, so they flow through the normal
// stream → replicator path again, and deletes each message once that write is in.
import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import { DeleteMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { TABLE_KEY } from "../../handlers/contract";
import { fromItem, type ReplicatedUser } from "../../handlers/replication/record";
import { putRecord } from "../../handlers/replication/table";
import type { DlqEntry } from "../lib/dlq";

export interface RedriveDeps {
  sqs: SQSClient;
  /** DynamoDB client in the DR region (the replica table lives there). */
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  queueUrl: string;
  tableName: string;
  now?: () => number;
}

export interface RedriveResult {
  redriven: number;
  skipped: Array<{ reason: string; why: string }>;
}

/** The latest known state of a user: the table's item when newer than what we hold. */
async function latest(deps: RedriveDeps, canonicalId: string, fallback?: ReplicatedUser): Promise<ReplicatedUser | undefined> {
  const out = await deps.dynamodb.send(new GetItemCommand({ TableName: deps.tableName, Key: { [TABLE_KEY]: { S: canonicalId } }, ConsistentRead: true }));
  const current = out.Item ? fromItem(out.Item) : undefined;
  if (!current) return fallback;
  if (!fallback) return current;
  return current.version >= fallback.version ? current : fallback;
}

async function rewrite(deps: RedriveDeps, record: ReplicatedUser): Promise<void> {
  const now = (deps.now ?? Date.now)();
  // A version above everything seen makes the conditional put pass and the
  // stream carry the user again; a genuinely newer change still wins later.
  await putRecord(deps.dynamodb, deps.tableName, { ...record, version: Math.max(now, record.version + 1) });
}

async function keysInBatch(deps: RedriveDeps, e: Extract<DlqEntry, { kind: "batch" }>): Promise<string[]> {
  const keys = new Set<string>();
  const it = await deps.streams.send(
    new GetShardIteratorCommand({ StreamArn: e.streamArn, ShardId: e.shardId, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: e.start }),
  );
  let iterator = it.ShardIterator;
  while (iterator) {
    const page = await deps.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    for (const r of page.Records ?? []) {
      if (BigInt(r.dynamodb!.SequenceNumber!) > BigInt(e.end)) return [...keys];
      const key = r.dynamodb?.Keys?.[TABLE_KEY]?.S;
      if (key && r.eventName !== "REMOVE") keys.add(key);
    }
    if ((page.Records ?? []).length === 0) break;
    iterator = page.NextShardIterator;
  }
  return [...keys];
}

export async function redrive(deps: RedriveDeps, entries: DlqEntry[], opts: { reason?: string; dryRun?: boolean } = {}): Promise<RedriveResult> {
  const result: RedriveResult = { redriven: 0, skipped: [] };
  for (const e of entries) {
    if (opts.reason && e.reason !== opts.reason) continue;
    if (e.kind === "unreadable") {
      result.skipped.push({ reason: e.reason, why: `message ${e.message.MessageId}: ${e.detail}` });
      continue;
    }
    const records: ReplicatedUser[] = [];
    if (e.kind === "parked") {
      if (!e.record) {
        result.skipped.push({ reason: e.reason, why: `message ${e.message.MessageId}: the parked image is not a valid record; fix the source and run reconcile` });
        continue;
      }
      const r = await latest(deps, e.record.canonicalId, e.record);
      if (r) records.push(r);
    } else {
      let keys: string[];
      try {
        keys = await keysInBatch(deps, e);
      } catch (err) {
        result.skipped.push({ reason: e.reason, why: `message ${e.message.MessageId}: stream records unreadable (${(err as Error).name}); run reconcile` });
        continue;
      }
      for (const k of keys) {
        const r = await latest(deps, k);
        if (r) records.push(r);
      }
    }
    if (opts.dryRun) {
      result.redriven += records.length;
      continue;
    }
    for (const r of records) await rewrite(deps, r);
    await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: e.message.ReceiptHandle! }));
    result.redriven += records.length;
  }
  return result;
}
