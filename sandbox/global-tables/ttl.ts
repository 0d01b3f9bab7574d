/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// DynamoDB TTL, which moto never runs, and the stream records it leaves:
// - ttlSweep (POST /__sandbox/ttl-sweep) deletes expired items like DynamoDB TTL, remembering
//   each deletion so its REMOVE record can be told apart on the stream;
// - GetRecords through the gateway answers as DynamoDB does: without records of writes that
//   changed nothing, and with TTL deletions marked as the service's.

import { parseJson, responseWithJson } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";
import { canon, changesNothing, ddb, type AttrMap, type GlobalTablesState, type StreamRecord } from "./state";

/**
 * Whether `rec` is a deletion TTL made in `region`. The first time a pending TTL deletion is
 * matched by its keys, its sequence number is remembered so every later reader of the same record
 * (the gateway's GetRecords, replication's poller) gets the same answer.
 */
export function isTtlRecord(s: GlobalTablesState, region: string, table: string, rec: StreamRecord): boolean {
  if (rec.eventName !== "REMOVE") return false;
  const seqKey = `${region}|${table}|${rec.dynamodb.SequenceNumber ?? ""}`;
  if (s.ttlSeqs.has(seqKey)) return true;
  const fp = `${region}|${table}|${canon(rec.dynamodb.Keys)}`;
  const n = s.ttlPending.get(fp) ?? 0;
  if (n <= 0) return false;
  if (n === 1) s.ttlPending.delete(fp);
  else s.ttlPending.set(fp, n - 1);
  s.ttlSeqs.add(seqKey);
  return true;
}

/**
 * GetRecords as DynamoDB answers it: without records of writes that changed nothing, and with
 * TTL deletions marked `userIdentity: {type: "Service", principalId: "dynamodb.amazonaws.com"}`
 * (in the region where TTL deleted the item only; the replicated deletion carries none).
 */
export function streamRecords(s: GlobalTablesState, req: AwsRequest, body: Record<string, any>, res: AwsResponse): AwsResponse {
  if (res.status >= 300) return res;
  const json = parseJson(res);
  const records = (json?.Records ?? []) as Array<StreamRecord & { userIdentity?: unknown }>;
  const kept = records.filter((rec) => !changesNothing(rec));
  let changed = kept.length !== records.length;
  const table = /:table\/([^/|]+)/.exec(String(body.ShardIterator ?? ""))?.[1];
  if (table && (s.ttlPending.size > 0 || s.ttlSeqs.size > 0)) {
    for (const rec of kept) {
      if (isTtlRecord(s, req.region, table, rec)) {
        rec.userIdentity = { type: "Service", principalId: "dynamodb.amazonaws.com" };
        changed = true;
      }
    }
  }
  return changed ? responseWithJson(res, { ...json, Records: kept }) : res;
}

/** Deletes items whose TTL attribute (epoch seconds) is in the past, as DynamoDB TTL does. */
export async function ttlSweep(s: GlobalTablesState, region: string, table: string, nowSeconds = Date.now() / 1000): Promise<{ deleted: number; attribute?: string }> {
  const ttl = await ddb(s, region, "DescribeTimeToLive", { TableName: table });
  const d = ttl.TimeToLiveDescription;
  if (!d || d.TimeToLiveStatus !== "ENABLED" || !d.AttributeName) return { deleted: 0 };
  const attr: string = d.AttributeName;
  const desc = await ddb(s, region, "DescribeTable", { TableName: table });
  const keyNames: string[] = (desc.Table.KeySchema ?? []).map((k: any) => k.AttributeName);
  const streamed = desc.Table.StreamSpecification?.StreamEnabled === true;
  let deleted = 0;
  let start: unknown;
  do {
    const page: any = await ddb(s, region, "Scan", { TableName: table, ExclusiveStartKey: start, ConsistentRead: true });
    for (const item of page.Items ?? []) {
      const v = item[attr];
      const n = v && typeof v === "object" && "N" in v ? Number(v.N) : NaN;
      if (!Number.isFinite(n) || n >= nowSeconds) continue;
      const Key: AttrMap = {};
      for (const k of keyNames) Key[k] = item[k];
      const fp = `${region}|${table}|${canon(Key)}`;
      if (streamed) s.ttlPending.set(fp, (s.ttlPending.get(fp) ?? 0) + 1);
      const out = await ddb(s, region, "DeleteItem", { TableName: table, Key, ReturnValues: "ALL_OLD" }).catch((e) => {
        if (streamed) s.ttlPending.set(fp, (s.ttlPending.get(fp) ?? 1) - 1);
        throw e;
      });
      if (!out?.Attributes) {
        if (streamed) {
          const n = (s.ttlPending.get(fp) ?? 1) - 1;
          if (n <= 0) s.ttlPending.delete(fp);
          else s.ttlPending.set(fp, n);
        }
        continue;
      }
      deleted += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { deleted, attribute: attr };
}
