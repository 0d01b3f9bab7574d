/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// DynamoDB global tables (version 2019.11.21) on top of moto, which ignores ReplicaUpdates.
//
// - UpdateTable ReplicaUpdates Create/Delete (and CreateTable `Replicas`, CreateGlobalTable
//   ReplicationGroup): the replica table is created/deleted in the replica region via moto with the
//   same key schema, attributes, indexes, billing and stream, encrypted with the replica's KMS key;
//   the ReplicaUpdates are stripped before moto sees the request.
// - DescribeTable in every member region reports the other regions under `Replicas` (ACTIVE, with
//   their KMS key) and GlobalTableVersion, so terraform's `replica` block completes.
// - Item changes are copied between regions asynchronously: every member's moto stream is polled and
//   each change is applied (PutItem/DeleteItem) to the other members after a configurable delay.
//   Last writer wins by the change's creation time. A change that replication applied is recognised
//   when it comes back on the destination's stream and is not copied again (no ping-pong).
// - While a region is in an injected outage, reading from and writing into it pauses; the backlog
//   (moto's stream + the pending queue) drains on restore.
// - A write that changes nothing leaves no stream record, as in DynamoDB (moto records a MODIFY
//   for it): GetRecords through the gateway leaves such records out, and replication ignores them.
// - Admin: POST /__sandbox/ttl-sweep {region, table} deletes expired items like DynamoDB TTL;
//   POST /__sandbox/replication {delayMs}; GET /__sandbox/replication;
//   POST /__sandbox/replication/flush {timeoutMs?} waits until the backlog is empty.

import { AwsCallError, motoJson, parseJson, responseWithJson, withJson } from "./aws";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "./gateway";
import type { AwsRequest, AwsResponse, Next } from "./types";

type AttrMap = Record<string, unknown>;

interface StreamRecord {
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  dynamodb: {
    ApproximateCreationDateTime?: number;
    Keys: AttrMap;
    NewImage?: AttrMap;
    OldImage?: AttrMap;
    SequenceNumber?: string;
  };
}

interface Member {
  region: string;
  /** KMS key of this region's table (ARN or id), reported to the other regions. */
  kmsKeyId?: string;
}

interface Group {
  table: string;
  members: Map<string, Member>;
}

interface Reader {
  region: string;
  table: string;
  streamArn?: string;
  iterators: Map<string, string | null>;
  startAt: "LATEST" | "TRIM_HORIZON";
}

interface Pending {
  dest: string;
  table: string;
  source: string;
  record: StreamRecord;
  ts: number;
  dueAt: number;
  attempts?: number;
}

/** Failed applies of one change before it is dropped (about 30 s of retries at the default poll). */
const MAX_APPLY_ATTEMPTS = 300;

export interface GlobalTablesOptions {
  motoEndpoint: string;
  /** Delay before a change reaches the other regions (ms). Default 0. */
  delayMs?: number;
  /** Stream poll interval (ms). Default 100. */
  pollIntervalMs?: number;
  /** True while a service (or the whole region) is in an injected outage. */
  isDown?: (region: string, service: string) => boolean;
}

/** Canonical JSON (sorted keys) for fingerprints. */
function canon(v: unknown): string {
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
function changesNothing(rec: StreamRecord): boolean {
  const { OldImage, NewImage } = rec.dynamodb;
  return rec.eventName === "MODIFY" && OldImage !== undefined && NewImage !== undefined && canonImage(OldImage) === canonImage(NewImage);
}

export class GlobalTablesPlugin implements SandboxPlugin {
  readonly name = "global-tables";
  private readonly moto: string;
  delayMs: number;
  private readonly pollIntervalMs: number;
  private readonly isDown: (region: string, service: string) => boolean;
  private groups = new Map<string, Group>();
  private readers = new Map<string, Reader>(); // `${region}|${table}`
  private queue: Pending[] = [];
  /** Fingerprints of writes replication applied, per destination region, with expiry. */
  private echoes = new Map<string, Map<string, number[]>>();
  /** Newest change time known per `${region}|${table}|${key}`. */
  private versions = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;
  private stopped = false;
  /** TTL deletions not yet seen on a stream: `${region}|${table}|${keys}` -> count. */
  private ttlPending = new Map<string, number>();
  /** Stream records known to be TTL deletions: `${region}|${table}|${sequenceNumber}`. */
  private ttlSeqs = new Set<string>();
  private counters = { read: 0, applied: 0, echoesSkipped: 0, staleSkipped: 0, unchangedSkipped: 0, errors: 0, dropped: 0 };
  private lastError: string | undefined;

  constructor(opts: GlobalTablesOptions) {
    this.moto = opts.motoEndpoint;
    this.delayMs = opts.delayMs ?? 0;
    this.pollIntervalMs = opts.pollIntervalMs ?? 100;
    this.isDown = opts.isDown ?? (() => false);
  }

  private ddb<T = any>(region: string, op: string, input: unknown): Promise<T> {
    return motoJson<T>(this.moto, "dynamodb", region, op, input);
  }
  private streams<T = any>(region: string, op: string, input: unknown): Promise<T> {
    return motoJson<T>(this.moto, "streams", region, op, input);
  }

  // ---- request path --------------------------------------------------------------------------

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "dynamodb" || !req.operation || !req.json || typeof req.json !== "object") return next(req);
    const body = req.json as Record<string, any>;
    if (req.operation === "GetRecords" && (req.headers["x-amz-target"] ?? "").startsWith("DynamoDBStreams")) {
      return this.streamRecords(req, body, await next(req));
    }
    switch (req.operation) {
      case "UpdateTable":
        if (Array.isArray(body.ReplicaUpdates) && body.ReplicaUpdates.length > 0) return this.updateTable(req, body, next);
        return this.decorate(req, await next(req), "TableDescription");
      case "CreateTable":
        if (Array.isArray(body.Replicas) && body.Replicas.length > 0) return this.createTableWithReplicas(req, body, next);
        return next(req);
      case "CreateGlobalTable":
        return this.createGlobalTable(req, body);
      case "DescribeTable":
        return this.decorate(req, await next(req), "Table");
      case "DeleteTable": {
        const res = await next(req);
        if (res.status < 300) this.removeMember(String(body.TableName), req.region);
        return res;
      }
      case "UpdateTimeToLive": {
        const res = await next(req);
        if (res.status < 300) void this.propagateTtl(req.region, String(body.TableName), body.TimeToLiveSpecification);
        return res;
      }
      default:
        return next(req);
    }
  }

  private tableName(ref: string): string {
    // TableName may be an ARN.
    const m = /:table\/([^/]+)/.exec(ref);
    return m ? m[1]! : ref;
  }

  private decorate(req: AwsRequest, res: AwsResponse, field: "Table" | "TableDescription"): AwsResponse {
    if (res.status >= 300) return res;
    const json = parseJson(res);
    const desc = json?.[field];
    if (!desc) return res;
    const g = this.groups.get(desc.TableName);
    if (!g || !g.members.has(req.region)) return res;
    json[field] = this.withReplicas(desc, g, req.region);
    return responseWithJson(res, json);
  }

  private withReplicas(desc: any, g: Group, region: string): any {
    const replicas = [...g.members.values()]
      .filter((m) => m.region !== region)
      .map((m) => {
        const r: Record<string, unknown> = { RegionName: m.region, ReplicaStatus: "ACTIVE" };
        if (m.kmsKeyId) r.KMSMasterKeyId = m.kmsKeyId;
        return r;
      });
    if (replicas.length === 0) return desc;
    return { ...desc, Replicas: replicas, GlobalTableVersion: "2019.11.21" };
  }

  /**
   * GetRecords as DynamoDB answers it: without records of writes that changed nothing, and with
   * TTL deletions marked `userIdentity: {type: "Service", principalId: "dynamodb.amazonaws.com"}`
   * (in the region where TTL deleted the item only; the replicated deletion carries none).
   */
  private streamRecords(req: AwsRequest, body: Record<string, any>, res: AwsResponse): AwsResponse {
    if (res.status >= 300) return res;
    const json = parseJson(res);
    const records = (json?.Records ?? []) as Array<StreamRecord & { userIdentity?: unknown }>;
    const kept = records.filter((rec) => !changesNothing(rec));
    let changed = kept.length !== records.length;
    const table = /:table\/([^/|]+)/.exec(String(body.ShardIterator ?? ""))?.[1];
    if (table && (this.ttlPending.size > 0 || this.ttlSeqs.size > 0)) {
      for (const rec of kept) {
        if (this.isTtlRecord(req.region, table, rec)) {
          rec.userIdentity = { type: "Service", principalId: "dynamodb.amazonaws.com" };
          changed = true;
        }
      }
    }
    return changed ? responseWithJson(res, { ...json, Records: kept }) : res;
  }

  private isTtlRecord(region: string, table: string, rec: StreamRecord): boolean {
    if (rec.eventName !== "REMOVE") return false;
    const seqKey = `${region}|${table}|${rec.dynamodb.SequenceNumber ?? ""}`;
    if (this.ttlSeqs.has(seqKey)) return true;
    const fp = `${region}|${table}|${canon(rec.dynamodb.Keys)}`;
    const n = this.ttlPending.get(fp) ?? 0;
    if (n <= 0) return false;
    if (n === 1) this.ttlPending.delete(fp);
    else this.ttlPending.set(fp, n - 1);
    this.ttlSeqs.add(seqKey);
    return true;
  }

  private async updateTable(req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
    const table = this.tableName(String(body.TableName));
    const rest = { ...body };
    delete rest.ReplicaUpdates;
    let res: AwsResponse | undefined;
    if (Object.keys(rest).some((k) => k !== "TableName")) {
      res = await next(withJson(req, rest));
      if (res.status >= 300) return res;
    }
    try {
      for (const u of body.ReplicaUpdates as any[]) {
        if (u.Create) await this.addReplica(req.region, table, String(u.Create.RegionName), u.Create.KMSMasterKeyId);
        else if (u.Delete) await this.deleteReplica(table, String(u.Delete.RegionName));
        else if (u.Update) {
          const m = this.groups.get(table)?.members.get(String(u.Update.RegionName));
          if (m && u.Update.KMSMasterKeyId) m.kmsKeyId = u.Update.KMSMasterKeyId;
        }
      }
    } catch (e) {
      return errorResponse(req, e);
    }
    const desc = await this.ddb(req.region, "DescribeTable", { TableName: table });
    const g = this.groups.get(table);
    const out = g ? this.withReplicas(desc.Table, g, req.region) : desc.Table;
    if (res) return responseWithJson(res, { TableDescription: out });
    return {
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `sandbox-${Date.now()}` },
      body: Buffer.from(JSON.stringify({ TableDescription: out })),
    };
  }

  private async createTableWithReplicas(req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
    const rest = { ...body };
    delete rest.Replicas;
    const res = await next(withJson(req, rest));
    if (res.status >= 300) return res;
    try {
      for (const r of body.Replicas as any[]) {
        if (r.RegionName && r.RegionName !== req.region) await this.addReplica(req.region, String(body.TableName), String(r.RegionName), r.KMSMasterKeyId);
      }
    } catch (e) {
      return errorResponse(req, e);
    }
    return this.decorate(req, res, "TableDescription");
  }

  private async createGlobalTable(req: AwsRequest, body: Record<string, any>): Promise<AwsResponse> {
    const table = String(body.GlobalTableName);
    const regions: string[] = (body.ReplicationGroup ?? []).map((r: any) => String(r.RegionName));
    try {
      for (const region of regions) {
        const d = await this.ddb(region, "DescribeTable", { TableName: table });
        this.ensureGroup(table, region, d.Table?.SSEDescription?.KMSMasterKeyArn);
        await this.startReader(region, table, "LATEST");
      }
    } catch (e) {
      return errorResponse(req, e);
    }
    this.schedule();
    const gd = {
      GlobalTableName: table,
      ReplicationGroup: regions.map((r) => ({ RegionName: r })),
      GlobalTableStatus: "ACTIVE",
      CreationDateTime: Date.now() / 1000,
      GlobalTableArn: `arn:aws:dynamodb::123456789012:global-table/${table}`,
    };
    return {
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: Buffer.from(JSON.stringify({ GlobalTableDescription: gd })),
    };
  }

  private ensureGroup(table: string, region: string, kmsKeyId?: string): Group {
    let g = this.groups.get(table);
    if (!g) {
      g = { table, members: new Map() };
      this.groups.set(table, g);
    }
    if (!g.members.has(region)) g.members.set(region, { region, kmsKeyId });
    return g;
  }

  /** Creates `table` in `replicaRegion` like the one in `sourceRegion`, copies its items and starts replicating. */
  async addReplica(sourceRegion: string, table: string, replicaRegion: string, kmsKeyId?: string): Promise<void> {
    if (replicaRegion === sourceRegion) throw new AwsCallError("ValidationException", "Cannot add a replica in the table's own region", 400);
    const g0 = this.groups.get(table);
    if (g0?.members.has(replicaRegion)) return; // idempotent
    let src = (await this.ddb(sourceRegion, "DescribeTable", { TableName: table })).Table;
    if (src.StreamSpecification?.StreamEnabled !== true || src.StreamSpecification?.StreamViewType !== "NEW_AND_OLD_IMAGES") {
      // Global tables replicate from a NEW_AND_OLD_IMAGES stream; DynamoDB turns it on.
      if (src.StreamSpecification?.StreamEnabled) {
        await this.ddb(sourceRegion, "UpdateTable", { TableName: table, StreamSpecification: { StreamEnabled: false } });
      }
      await this.ddb(sourceRegion, "UpdateTable", { TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } });
      src = (await this.ddb(sourceRegion, "DescribeTable", { TableName: table })).Table;
    }
    const create: Record<string, unknown> = {
      TableName: table,
      KeySchema: src.KeySchema,
      AttributeDefinitions: src.AttributeDefinitions,
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    };
    const billing = src.BillingModeSummary?.BillingMode ?? "PROVISIONED";
    create.BillingMode = billing;
    if (billing === "PROVISIONED") {
      create.ProvisionedThroughput = {
        ReadCapacityUnits: src.ProvisionedThroughput?.ReadCapacityUnits || 1,
        WriteCapacityUnits: src.ProvisionedThroughput?.WriteCapacityUnits || 1,
      };
    }
    const gsis = (src.GlobalSecondaryIndexes ?? []).map((i: any) => {
      const o: Record<string, unknown> = { IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection };
      if (billing === "PROVISIONED")
        o.ProvisionedThroughput = {
          ReadCapacityUnits: i.ProvisionedThroughput?.ReadCapacityUnits || 1,
          WriteCapacityUnits: i.ProvisionedThroughput?.WriteCapacityUnits || 1,
        };
      return o;
    });
    if (gsis.length) create.GlobalSecondaryIndexes = gsis;
    const lsis = (src.LocalSecondaryIndexes ?? []).map((i: any) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }));
    if (lsis.length) create.LocalSecondaryIndexes = lsis;
    const srcKms: string | undefined = src.SSEDescription?.KMSMasterKeyArn;
    if (kmsKeyId || srcKms) {
      create.SSESpecification = kmsKeyId
        ? { Enabled: true, SSEType: "KMS", KMSMasterKeyId: kmsKeyId }
        : { Enabled: true, SSEType: "KMS" }; // AWS-managed key in the replica region
    }
    if (src.TableClassSummary?.TableClass) create.TableClass = src.TableClassSummary.TableClass;
    if (src.DeletionProtectionEnabled) create.DeletionProtectionEnabled = true;

    let existing = false;
    try {
      await this.ddb(replicaRegion, "CreateTable", create);
    } catch (e) {
      if (!(e instanceof AwsCallError && e.code === "ResourceInUseException")) throw e;
      existing = true;
    }
    // TTL follows the table.
    try {
      const ttl = await this.ddb(sourceRegion, "DescribeTimeToLive", { TableName: table });
      const d = ttl.TimeToLiveDescription;
      if (d?.TimeToLiveStatus === "ENABLED" && d.AttributeName) {
        await this.ddb(replicaRegion, "UpdateTimeToLive", { TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: d.AttributeName } }).catch(() => undefined);
      }
    } catch {
      /* no TTL */
    }

    const g = this.ensureGroup(table, sourceRegion, srcKms);
    // Start reading the source before copying, so nothing written meanwhile is missed.
    await this.startReader(sourceRegion, table, "LATEST");
    if (!existing) await this.backfill(sourceRegion, replicaRegion, table);
    g.members.set(replicaRegion, { region: replicaRegion, kmsKeyId: kmsKeyId ?? srcKms });
    await this.startReader(replicaRegion, table, "LATEST");
    this.schedule();
  }

  private async backfill(from: string, to: string, table: string): Promise<void> {
    let start: unknown;
    do {
      const page: any = await this.ddb(from, "Scan", { TableName: table, ExclusiveStartKey: start, ConsistentRead: true });
      for (const item of page.Items ?? []) await this.ddb(to, "PutItem", { TableName: table, Item: item });
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async deleteReplica(table: string, region: string): Promise<void> {
    const g = this.groups.get(table);
    if (!g || !g.members.has(region)) {
      throw new AwsCallError("ValidationException", `Replica ${region} not found for table ${table}`, 400);
    }
    this.removeMember(table, region);
    try {
      await this.ddb(region, "DeleteTable", { TableName: table });
    } catch (e) {
      if (!(e instanceof AwsCallError && e.code === "ResourceNotFoundException")) throw e;
    }
  }

  private removeMember(table: string, region: string): void {
    const g = this.groups.get(table);
    if (!g) return;
    g.members.delete(region);
    this.readers.delete(`${region}|${table}`);
    this.queue = this.queue.filter((p) => !(p.table === table && (p.dest === region || p.source === region)));
    if (g.members.size <= 1) {
      for (const m of g.members.keys()) this.readers.delete(`${m}|${table}`);
      this.groups.delete(table);
      this.queue = this.queue.filter((p) => p.table !== table);
    }
  }

  private async propagateTtl(region: string, table: string, spec: unknown): Promise<void> {
    const g = this.groups.get(table);
    if (!g || !g.members.has(region)) return;
    for (const m of g.members.keys()) {
      if (m === region) continue;
      await this.ddb(m, "UpdateTimeToLive", { TableName: table, TimeToLiveSpecification: spec }).catch(() => undefined);
    }
  }

  // ---- replication ---------------------------------------------------------------------------

  private async startReader(region: string, table: string, startAt: Reader["startAt"]): Promise<void> {
    const key = `${region}|${table}`;
    if (this.readers.has(key)) return;
    const r: Reader = { region, table, iterators: new Map(), startAt };
    this.readers.set(key, r);
    await this.initReader(r);
  }

  private async initReader(r: Reader): Promise<void> {
    const d = await this.ddb(r.region, "DescribeTable", { TableName: r.table });
    const arn: string | undefined = d.Table?.LatestStreamArn;
    if (!arn) return;
    r.streamArn = arn;
    const sd = await this.streams(r.region, "DescribeStream", { StreamArn: arn });
    for (const s of sd.StreamDescription?.Shards ?? []) {
      if (r.iterators.has(s.ShardId)) continue;
      const it = await this.streams(r.region, "GetShardIterator", { StreamArn: arn, ShardId: s.ShardId, ShardIteratorType: r.startAt });
      r.iterators.set(s.ShardId, it.ShardIterator ?? null);
    }
    // Shards found later (none in moto today) start from their beginning.
    r.startAt = "TRIM_HORIZON";
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.groups.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => this.schedule());
    }, this.pollIntervalMs);
    this.timer.unref?.();
  }

  /** One poll-and-apply round; concurrent callers share it. */
  tick(): Promise<number> {
    this.ticking ??= (async () => {
      let read = 0;
      try {
        for (const r of [...this.readers.values()]) read += await this.poll(r);
        await this.applyDue();
      } catch (e) {
        this.counters.errors += 1;
        this.lastError = (e as Error).message;
      } finally {
        this.ticking = undefined;
      }
      return read;
    })();
    return this.ticking;
  }

  private async poll(r: Reader): Promise<number> {
    if (this.isDown(r.region, "dynamodb")) return 0;
    if (!this.readers.has(`${r.region}|${r.table}`)) return 0;
    if (!r.streamArn) {
      await this.initReader(r);
      if (!r.streamArn) return 0;
    }
    let n = 0;
    for (const [shard, iterator] of r.iterators) {
      let it = iterator;
      while (it) {
        let out: any;
        try {
          out = await this.streams(r.region, "GetRecords", { ShardIterator: it, Limit: 1000 });
        } catch (e) {
          this.counters.errors += 1;
          this.lastError = `GetRecords ${r.region}/${r.table}: ${(e as Error).message}`;
          if (e instanceof AwsCallError && (e.code === "ExpiredIteratorException" || e.code === "ResourceNotFoundException")) {
            r.streamArn = undefined;
            r.iterators.clear();
          }
          return n;
        }
        const recs: StreamRecord[] = out.Records ?? [];
        for (const rec of recs) this.observe(r, rec);
        n += recs.length;
        it = out.NextShardIterator ?? null;
        r.iterators.set(shard, it);
        if (recs.length === 0) break;
      }
    }
    return n;
  }

  private fingerprint(table: string, rec: Pick<StreamRecord, "eventName" | "dynamodb">): string {
    const kind = rec.eventName === "REMOVE" ? "D" : "P";
    return `${table}|${kind}|${canon(rec.dynamodb.Keys)}|${kind === "P" ? canon(rec.dynamodb.NewImage) : ""}`;
  }

  private observe(r: Reader, rec: StreamRecord): void {
    this.counters.read += 1;
    this.isTtlRecord(r.region, r.table, rec); // learn its sequence number for other readers
    const g = this.groups.get(r.table);
    if (!g || !g.members.has(r.region)) return;
    // A change replication applied here comes back on this region's stream: do not copy it again.
    const fp = this.fingerprint(r.table, rec);
    const echoes = this.echoes.get(r.region);
    const list = echoes?.get(fp);
    if (list && list.length > 0) {
      list.shift();
      if (list.length === 0) echoes!.delete(fp);
      this.counters.echoesSkipped += 1;
      return;
    }
    // Only after the echo check: an applied write that changed nothing still consumes its echo.
    if (changesNothing(rec)) {
      this.counters.unchangedSkipped += 1;
      return;
    }
    const ts = Math.round((rec.dynamodb.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000);
    const vkey = `${r.region}|${r.table}|${canon(rec.dynamodb.Keys)}`;
    this.versions.set(vkey, Math.max(this.versions.get(vkey) ?? 0, ts));
    const now = Date.now();
    for (const m of g.members.keys()) {
      if (m === r.region) continue;
      this.queue.push({ dest: m, table: r.table, source: r.region, record: rec, ts, dueAt: now + this.delayMs });
    }
  }

  private async applyDue(): Promise<void> {
    const now = Date.now();
    const keep: Pending[] = [];
    const due: Pending[] = [];
    for (const p of this.queue) (p.dueAt <= now && !this.isDown(p.dest, "dynamodb") ? due : keep).push(p);
    this.queue = keep;
    const blocked = new Set<string>();
    const retry: Pending[] = [];
    for (const p of due) {
      // A failure holds back the rest for that destination (order per item is kept), not the others.
      if (blocked.has(p.dest)) {
        retry.push(p);
        continue;
      }
      try {
        await this.apply(p);
      } catch (e) {
        this.counters.errors += 1;
        this.lastError = `apply ${p.source}->${p.dest} ${p.table}: ${(e as Error).message}`;
        p.attempts = (p.attempts ?? 0) + 1;
        if (p.attempts >= MAX_APPLY_ATTEMPTS) {
          this.counters.dropped += 1; // poison change (e.g. the item no longer fits the table)
          continue;
        }
        blocked.add(p.dest);
        retry.push(p);
      }
    }
    this.queue = [...retry, ...this.queue];
  }

  private async apply(p: Pending): Promise<void> {
    const g = this.groups.get(p.table);
    if (!g || !g.members.has(p.dest)) return;
    const vkey = `${p.dest}|${p.table}|${canon(p.record.dynamodb.Keys)}`;
    const current = this.versions.get(vkey) ?? 0;
    if (p.ts < current) {
      // A newer write of this item already exists in the destination: last writer wins.
      this.counters.staleSkipped += 1;
      return;
    }
    const fp = this.fingerprint(p.table, p.record);
    let echoes = this.echoes.get(p.dest);
    if (!echoes) {
      echoes = new Map();
      this.echoes.set(p.dest, echoes);
    }
    const list = echoes.get(fp) ?? [];
    list.push(Date.now());
    echoes.set(fp, list);
    const unregister = () => {
      const l = echoes!.get(fp);
      if (!l) return;
      l.pop();
      if (l.length === 0) echoes!.delete(fp);
    };
    try {
      if (p.record.eventName === "REMOVE") {
        const out = await this.ddb(p.dest, "DeleteItem", { TableName: p.table, Key: p.record.dynamodb.Keys, ReturnValues: "ALL_OLD" });
        if (!out?.Attributes) unregister(); // nothing deleted: no stream record will come back
      } else if (p.record.dynamodb.NewImage) {
        await this.ddb(p.dest, "PutItem", { TableName: p.table, Item: p.record.dynamodb.NewImage });
      } else {
        unregister();
        return;
      }
    } catch (e) {
      unregister();
      throw e;
    }
    this.versions.set(vkey, p.ts);
    this.counters.applied += 1;
  }

  private pendingByRegion(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.queue) out[p.dest] = (out[p.dest] ?? 0) + 1;
    return out;
  }

  /** Polls and applies until nothing is pending (or only changes for regions that are down). */
  async flush(timeoutMs = 30_000): Promise<{ drained: boolean; pending: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const read = (await this.tick()) + (await this.tick());
      const blocked = this.queue.every((p) => this.isDown(p.dest, "dynamodb"));
      if (read === 0 && (this.queue.length === 0 || blocked)) {
        return { drained: this.queue.length === 0, pending: this.queue.length };
      }
      if (Date.now() > deadline) return { drained: false, pending: this.queue.length };
      await new Promise((r) => setTimeout(r, Math.min(50, this.pollIntervalMs)));
    }
  }

  status() {
    return {
      delayMs: this.delayMs,
      tables: [...this.groups.values()].map((g) => ({ table: g.table, regions: [...g.members.keys()] })),
      pending: this.pendingByRegion(),
      counters: { ...this.counters },
      lastError: this.lastError,
    };
  }

  /** Deletes items whose TTL attribute (epoch seconds) is in the past, as DynamoDB TTL does. */
  async ttlSweep(region: string, table: string, nowSeconds = Date.now() / 1000): Promise<{ deleted: number; attribute?: string }> {
    const ttl = await this.ddb(region, "DescribeTimeToLive", { TableName: table });
    const d = ttl.TimeToLiveDescription;
    if (!d || d.TimeToLiveStatus !== "ENABLED" || !d.AttributeName) return { deleted: 0 };
    const attr: string = d.AttributeName;
    const desc = await this.ddb(region, "DescribeTable", { TableName: table });
    const keyNames: string[] = (desc.Table.KeySchema ?? []).map((k: any) => k.AttributeName);
    const streamed = desc.Table.StreamSpecification?.StreamEnabled === true;
    let deleted = 0;
    let start: unknown;
    do {
      const page: any = await this.ddb(region, "Scan", { TableName: table, ExclusiveStartKey: start, ConsistentRead: true });
      for (const item of page.Items ?? []) {
        const v = item[attr];
        const n = v && typeof v === "object" && "N" in v ? Number(v.N) : NaN;
        if (!Number.isFinite(n) || n >= nowSeconds) continue;
        const Key: AttrMap = {};
        for (const k of keyNames) Key[k] = item[k];
        const fp = `${region}|${table}|${canon(Key)}`;
        if (streamed) this.ttlPending.set(fp, (this.ttlPending.get(fp) ?? 0) + 1);
        const out = await this.ddb(region, "DeleteItem", { TableName: table, Key, ReturnValues: "ALL_OLD" }).catch((e) => {
          if (streamed) this.ttlPending.set(fp, (this.ttlPending.get(fp) ?? 1) - 1);
          throw e;
        });
        if (!out?.Attributes) {
          if (streamed) {
            const n = (this.ttlPending.get(fp) ?? 1) - 1;
            if (n <= 0) this.ttlPending.delete(fp);
            else this.ttlPending.set(fp, n);
          }
          continue;
        }
        deleted += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { deleted, attribute: attr };
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    const { method, path, body } = req;
    if (path === "/ttl-sweep" && method === "POST") {
      if (!body.region || !body.table) return { status: 400, body: { error: "region and table are required" } };
      return { body: await this.ttlSweep(String(body.region), String(body.table), typeof body.now === "number" ? body.now : undefined) };
    }
    if (path === "/replication") {
      if (method === "GET") return { body: this.status() };
      if (method === "POST") {
        if (body.delayMs !== undefined) {
          const d = Number(body.delayMs);
          if (!Number.isFinite(d) || d < 0) return { status: 400, body: { error: "delayMs must be a number >= 0" } };
          this.delayMs = d;
        }
        return { body: this.status() };
      }
    }
    if (path === "/replication/flush" && method === "POST") {
      const r = await this.flush(typeof body.timeoutMs === "number" ? body.timeoutMs : undefined);
      return { body: { ...r, ...this.status() } };
    }
    return undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}

function errorResponse(_req: AwsRequest, e: unknown): AwsResponse {
  const code = e instanceof AwsCallError ? e.code : "InternalServerError";
  const status = e instanceof AwsCallError ? e.status : 500;
  const message = e instanceof AwsCallError ? e.message.replace(/^[^:]+: /, "") : (e as Error).message;
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-errortype": code },
    body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message })),
  };
}
