/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// DynamoDB global tables (version 2019.11.21) on top of moto, which ignores ReplicaUpdates.
// The plugin the gateway runs; its parts share one GlobalTablesState (state.ts):
// - control-plane.ts: ReplicaUpdates / Replicas / CreateGlobalTable create and delete replica
//   tables, DescribeTable reports the other regions, TTL settings follow the table;
// - replication.ts: item changes copied between regions from moto's streams, last writer wins,
//   after a configurable delay, paused while a region is in an injected outage;
// - ttl.ts: the TTL sweep and GetRecords as DynamoDB answers it (no records of writes that changed
//   nothing, TTL deletions marked as the service's);
// - admin.ts: /__sandbox/ttl-sweep and /__sandbox/replication(/flush).

import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { globalTablesAdmin } from "./admin";
import { ControlPlane } from "./control-plane";
import { Replication } from "./replication";
import { createState, type GlobalTablesOptions, type GlobalTablesState } from "./state";
import { streamRecords, ttlSweep } from "./ttl";

export type { GlobalTablesOptions } from "./state";

export class GlobalTablesPlugin implements SandboxPlugin {
  readonly name = "global-tables";
  private readonly s: GlobalTablesState;
  private readonly replication: Replication;
  private readonly controlPlane: ControlPlane;

  constructor(opts: GlobalTablesOptions) {
    this.s = createState(opts);
    this.replication = new Replication(this.s);
    this.controlPlane = new ControlPlane(this.s, this.replication);
  }

  /** Delay before a change reaches the other regions (ms). */
  get delayMs(): number {
    return this.s.delayMs;
  }
  set delayMs(ms: number) {
    this.s.delayMs = ms;
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "dynamodb" || !req.operation || !req.json || typeof req.json !== "object") return next(req);
    const body = req.json as Record<string, any>;
    if (req.operation === "GetRecords" && (req.headers["x-amz-target"] ?? "").startsWith("DynamoDBStreams")) {
      return streamRecords(this.s, req, body, await next(req));
    }
    return this.controlPlane.handle(req, body, next);
  }

  /** One poll-and-apply round; concurrent callers share it. */
  tick(): Promise<number> {
    return this.replication.tick();
  }

  /** Creates `table` in `replicaRegion` like the one in `sourceRegion`, copies its items and starts replicating. */
  addReplica(sourceRegion: string, table: string, replicaRegion: string, kmsKeyId?: string): Promise<void> {
    return this.controlPlane.addReplica(sourceRegion, table, replicaRegion, kmsKeyId);
  }

  deleteReplica(table: string, region: string): Promise<void> {
    return this.controlPlane.deleteReplica(table, region);
  }

  /** Polls and applies until nothing is pending (or only changes for regions that are down). */
  flush(timeoutMs?: number): Promise<{ drained: boolean; pending: number }> {
    return this.replication.flush(timeoutMs);
  }

  status() {
    return this.replication.status();
  }

  /** Deletes items whose TTL attribute (epoch seconds) is in the past, as DynamoDB TTL does. */
  ttlSweep(region: string, table: string, nowSeconds?: number): Promise<{ deleted: number; attribute?: string }> {
    return ttlSweep(this.s, region, table, nowSeconds);
  }

  admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    return globalTablesAdmin(this.s, this.replication, req);
  }

  stop(): Promise<void> {
    return this.replication.stop();
  }
}
