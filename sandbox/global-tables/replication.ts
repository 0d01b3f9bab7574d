/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Item replication between the regions of a global table:
// - every member's moto stream is polled and each change is applied (PutItem/DeleteItem) to the
//   other members after a configurable delay. Last writer wins by the change's creation time. A
//   change that replication applied is recognised when it comes back on the destination's stream
//   and is not copied again (no ping-pong);
// - while a region is in an injected outage, reading from and writing into it pauses; the backlog
//   (moto's stream + the pending queue) drains on restore;
// - a write that changes nothing (moto records a MODIFY for it, DynamoDB none) is not copied.

import { AwsCallError } from "../aws";
import { canon, changesNothing, ddb, streams, type GlobalTablesState, type Pending, type Reader, type StreamRecord } from "./state";
import { isTtlRecord } from "./ttl";

/** Failed applies of one change before it is dropped (about 30 s of retries at the default poll). */
const MAX_APPLY_ATTEMPTS = 300;

export class Replication {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly s: GlobalTablesState) {}

  async startReader(region: string, table: string, startAt: Reader["startAt"]): Promise<void> {
    const key = `${region}|${table}`;
    if (this.s.readers.has(key)) return;
    const r: Reader = { region, table, iterators: new Map(), startAt };
    this.s.readers.set(key, r);
    await this.initReader(r);
  }

  private async initReader(r: Reader): Promise<void> {
    const d = await ddb(this.s, r.region, "DescribeTable", { TableName: r.table });
    const arn: string | undefined = d.Table?.LatestStreamArn;
    if (!arn) return;
    r.streamArn = arn;
    const sd = await streams(this.s, r.region, "DescribeStream", { StreamArn: arn });
    for (const sh of sd.StreamDescription?.Shards ?? []) {
      if (r.iterators.has(sh.ShardId)) continue;
      const it = await streams(this.s, r.region, "GetShardIterator", { StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: r.startAt });
      r.iterators.set(sh.ShardId, it.ShardIterator ?? null);
    }
    // Shards found later (none in moto today) start from their beginning.
    r.startAt = "TRIM_HORIZON";
  }

  /** Arms the poll timer while there is a group to replicate. */
  schedule(): void {
    if (this.stopped || this.timer || this.s.groups.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => this.schedule());
    }, this.s.pollIntervalMs);
    this.timer.unref?.();
  }

  /** One poll-and-apply round; concurrent callers share it. */
  tick(): Promise<number> {
    this.ticking ??= (async () => {
      let read = 0;
      try {
        for (const r of [...this.s.readers.values()]) read += await this.poll(r);
        await this.applyDue();
      } catch (e) {
        this.s.counters.errors += 1;
        this.s.lastError = (e as Error).message;
      } finally {
        this.ticking = undefined;
      }
      return read;
    })();
    return this.ticking;
  }

  private async poll(r: Reader): Promise<number> {
    if (this.s.isDown(r.region, "dynamodb")) return 0;
    if (!this.s.readers.has(`${r.region}|${r.table}`)) return 0;
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
          out = await streams(this.s, r.region, "GetRecords", { ShardIterator: it, Limit: 1000 });
        } catch (e) {
          this.s.counters.errors += 1;
          this.s.lastError = `GetRecords ${r.region}/${r.table}: ${(e as Error).message}`;
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
    this.s.counters.read += 1;
    isTtlRecord(this.s, r.region, r.table, rec); // learn its sequence number for other readers
    const g = this.s.groups.get(r.table);
    if (!g || !g.members.has(r.region)) return;
    // A change replication applied here comes back on this region's stream: do not copy it again.
    const fp = this.fingerprint(r.table, rec);
    const echoes = this.s.echoes.get(r.region);
    const list = echoes?.get(fp);
    if (list && list.length > 0) {
      list.shift();
      if (list.length === 0) echoes!.delete(fp);
      this.s.counters.echoesSkipped += 1;
      return;
    }
    // Only after the echo check: an applied write that changed nothing still consumes its echo.
    if (changesNothing(rec)) {
      this.s.counters.unchangedSkipped += 1;
      return;
    }
    const ts = Math.round((rec.dynamodb.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000);
    const vkey = `${r.region}|${r.table}|${canon(rec.dynamodb.Keys)}`;
    this.s.versions.set(vkey, Math.max(this.s.versions.get(vkey) ?? 0, ts));
    const now = Date.now();
    for (const m of g.members.keys()) {
      if (m === r.region) continue;
      this.s.queue.push({ dest: m, table: r.table, source: r.region, record: rec, ts, dueAt: now + this.s.delayMs });
    }
  }

  private async applyDue(): Promise<void> {
    const now = Date.now();
    const keep: Pending[] = [];
    const due: Pending[] = [];
    for (const p of this.s.queue) (p.dueAt <= now && !this.s.isDown(p.dest, "dynamodb") ? due : keep).push(p);
    this.s.queue = keep;
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
        this.s.counters.errors += 1;
        this.s.lastError = `apply ${p.source}->${p.dest} ${p.table}: ${(e as Error).message}`;
        p.attempts = (p.attempts ?? 0) + 1;
        if (p.attempts >= MAX_APPLY_ATTEMPTS) {
          this.s.counters.dropped += 1; // poison change (e.g. the item no longer fits the table)
          continue;
        }
        blocked.add(p.dest);
        retry.push(p);
      }
    }
    this.s.queue = [...retry, ...this.s.queue];
  }

  private async apply(p: Pending): Promise<void> {
    const g = this.s.groups.get(p.table);
    if (!g || !g.members.has(p.dest)) return;
    const vkey = `${p.dest}|${p.table}|${canon(p.record.dynamodb.Keys)}`;
    const current = this.s.versions.get(vkey) ?? 0;
    if (p.ts < current) {
      // A newer write of this item already exists in the destination: last writer wins.
      this.s.counters.staleSkipped += 1;
      return;
    }
    const fp = this.fingerprint(p.table, p.record);
    let echoes = this.s.echoes.get(p.dest);
    if (!echoes) {
      echoes = new Map();
      this.s.echoes.set(p.dest, echoes);
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
        const out = await ddb(this.s, p.dest, "DeleteItem", { TableName: p.table, Key: p.record.dynamodb.Keys, ReturnValues: "ALL_OLD" });
        if (!out?.Attributes) unregister(); // nothing deleted: no stream record will come back
      } else if (p.record.dynamodb.NewImage) {
        await ddb(this.s, p.dest, "PutItem", { TableName: p.table, Item: p.record.dynamodb.NewImage });
      } else {
        unregister();
        return;
      }
    } catch (e) {
      unregister();
      throw e;
    }
    this.s.versions.set(vkey, p.ts);
    this.s.counters.applied += 1;
  }

  private pendingByRegion(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.s.queue) out[p.dest] = (out[p.dest] ?? 0) + 1;
    return out;
  }

  /** Polls and applies until nothing is pending (or only changes for regions that are down). */
  async flush(timeoutMs = 30_000): Promise<{ drained: boolean; pending: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const read = (await this.tick()) + (await this.tick());
      const blocked = this.s.queue.every((p) => this.s.isDown(p.dest, "dynamodb"));
      if (read === 0 && (this.s.queue.length === 0 || blocked)) {
        return { drained: this.s.queue.length === 0, pending: this.s.queue.length };
      }
      if (Date.now() > deadline) return { drained: false, pending: this.s.queue.length };
      await new Promise((r) => setTimeout(r, Math.min(50, this.s.pollIntervalMs)));
    }
  }

  status() {
    return {
      delayMs: this.s.delayMs,
      tables: [...this.s.groups.values()].map((g) => ({ table: g.table, regions: [...g.members.keys()] })),
      pending: this.pendingByRegion(),
      counters: { ...this.s.counters },
      lastError: this.s.lastError,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
