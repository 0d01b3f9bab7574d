/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// The control plane of global tables (version 2019.11.21), which moto ignores:
// - UpdateTable ReplicaUpdates Create/Delete (and CreateTable `Replicas`, CreateGlobalTable
//   ReplicationGroup): the replica table is created/deleted in the replica region via moto with the
//   same key schema, attributes, indexes, billing and stream, encrypted with the replica's KMS key;
//   the ReplicaUpdates are stripped before moto sees the request.
// - DescribeTable in every member region reports the other regions under `Replicas` (ACTIVE, with
//   their KMS key) and GlobalTableVersion, so terraform's `replica` block completes.
// - DeleteTable leaves the group; UpdateTimeToLive follows to the other members.

import { AwsCallError, fakeSigV4, httpCall, parseJson, responseWithJson, withJson } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import type { Replication } from "./replication";
import { ddb, type Group, type GlobalTablesState } from "./state";

export class ControlPlane {
  constructor(
    private readonly s: GlobalTablesState,
    private readonly replication: Replication,
  ) {}

  /** A DynamoDB control-plane request (anything but GetRecords), answered or passed to `next`. */
  async handle(req: AwsRequest, body: Record<string, any>, next: Next): Promise<AwsResponse> {
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
    const g = this.s.groups.get(desc.TableName);
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
          const m = this.s.groups.get(table)?.members.get(String(u.Update.RegionName));
          if (m && u.Update.KMSMasterKeyId) m.kmsKeyId = u.Update.KMSMasterKeyId;
        }
      }
    } catch (e) {
      return errorResponse(req, e);
    }
    const desc = await ddb(this.s, req.region, "DescribeTable", { TableName: table });
    const g = this.s.groups.get(table);
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
        const d = await ddb(this.s, region, "DescribeTable", { TableName: table });
        this.ensureGroup(table, region, d.Table?.SSEDescription?.KMSMasterKeyArn);
        await this.replication.startReader(region, table, "LATEST");
      }
    } catch (e) {
      return errorResponse(req, e);
    }
    this.replication.schedule();
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
    let g = this.s.groups.get(table);
    if (!g) {
      g = { table, members: new Map() };
      this.s.groups.set(table, g);
    }
    if (!g.members.has(region)) g.members.set(region, { region, kmsKeyId });
    return g;
  }

  /**
   * DynamoDB "automatically creates the AWSServiceRoleForDynamoDBReplication service-linked role
   * when you create your first global table" (developer guide, "DynamoDB global tables security"):
   * from then on adding a replica needs no iam:CreateServiceLinkedRole of the caller. moto names the
   * role its own way; the sandbox's authorizer looks for it by its path,
   * `/aws-service-role/replication.dynamodb.amazonaws.com/`.
   */
  private async ensureReplicationRole(): Promise<void> {
    const form = (action: string, extra: string) => Buffer.from(`Action=${action}&Version=2010-05-08&${extra}`);
    const call = (body: Buffer) =>
      httpCall(this.s.moto, "POST", "/", { "content-type": "application/x-www-form-urlencoded", authorization: fakeSigV4({ region: "us-east-1", service: "iam" }), "content-length": String(body.length) }, body);
    const listed = await call(form("ListRoles", `PathPrefix=${encodeURIComponent("/aws-service-role/replication.dynamodb.amazonaws.com/")}`));
    if (listed.body.toString("utf8").includes("<RoleName>")) return;
    await call(form("CreateServiceLinkedRole", "AWSServiceName=replication.dynamodb.amazonaws.com"));
  }

  /** Creates `table` in `replicaRegion` like the one in `sourceRegion`, copies its items and starts replicating. */
  async addReplica(sourceRegion: string, table: string, replicaRegion: string, kmsKeyId?: string): Promise<void> {
    if (replicaRegion === sourceRegion) throw new AwsCallError("ValidationException", "Cannot add a replica in the table's own region", 400);
    const g0 = this.s.groups.get(table);
    if (g0?.members.has(replicaRegion)) return; // idempotent
    let src = (await ddb(this.s, sourceRegion, "DescribeTable", { TableName: table })).Table;
    if (src.StreamSpecification?.StreamEnabled !== true || src.StreamSpecification?.StreamViewType !== "NEW_AND_OLD_IMAGES") {
      // Global tables replicate from a NEW_AND_OLD_IMAGES stream; DynamoDB turns it on.
      if (src.StreamSpecification?.StreamEnabled) {
        await ddb(this.s, sourceRegion, "UpdateTable", { TableName: table, StreamSpecification: { StreamEnabled: false } });
      }
      await ddb(this.s, sourceRegion, "UpdateTable", { TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } });
      src = (await ddb(this.s, sourceRegion, "DescribeTable", { TableName: table })).Table;
    }
    const srcKms: string | undefined = src.SSEDescription?.KMSMasterKeyArn;
    await this.ensureReplicationRole();
    let existing = false;
    try {
      await ddb(this.s, replicaRegion, "CreateTable", replicaTableInput(table, src, kmsKeyId));
    } catch (e) {
      if (!(e instanceof AwsCallError && e.code === "ResourceInUseException")) throw e;
      existing = true;
    }
    // TTL follows the table.
    try {
      const ttl = await ddb(this.s, sourceRegion, "DescribeTimeToLive", { TableName: table });
      const d = ttl.TimeToLiveDescription;
      if (d?.TimeToLiveStatus === "ENABLED" && d.AttributeName) {
        await ddb(this.s, replicaRegion, "UpdateTimeToLive", { TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: d.AttributeName } }).catch(() => undefined);
      }
    } catch {
      /* no TTL */
    }

    const g = this.ensureGroup(table, sourceRegion, srcKms);
    // Start reading the source before copying, so nothing written meanwhile is missed.
    await this.replication.startReader(sourceRegion, table, "LATEST");
    if (!existing) await this.backfill(sourceRegion, replicaRegion, table);
    g.members.set(replicaRegion, { region: replicaRegion, kmsKeyId: kmsKeyId ?? srcKms });
    await this.replication.startReader(replicaRegion, table, "LATEST");
    this.replication.schedule();
  }

  private async backfill(from: string, to: string, table: string): Promise<void> {
    let start: unknown;
    do {
      const page: any = await ddb(this.s, from, "Scan", { TableName: table, ExclusiveStartKey: start, ConsistentRead: true });
      for (const item of page.Items ?? []) await ddb(this.s, to, "PutItem", { TableName: table, Item: item });
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async deleteReplica(table: string, region: string): Promise<void> {
    const g = this.s.groups.get(table);
    if (!g || !g.members.has(region)) {
      throw new AwsCallError("ValidationException", `Replica ${region} not found for table ${table}`, 400);
    }
    this.removeMember(table, region);
    try {
      await ddb(this.s, region, "DeleteTable", { TableName: table });
    } catch (e) {
      if (!(e instanceof AwsCallError && e.code === "ResourceNotFoundException")) throw e;
    }
  }

  private removeMember(table: string, region: string): void {
    const g = this.s.groups.get(table);
    if (!g) return;
    g.members.delete(region);
    this.s.readers.delete(`${region}|${table}`);
    this.s.queue = this.s.queue.filter((p) => !(p.table === table && (p.dest === region || p.source === region)));
    if (g.members.size <= 1) {
      for (const m of g.members.keys()) this.s.readers.delete(`${m}|${table}`);
      this.s.groups.delete(table);
      this.s.queue = this.s.queue.filter((p) => p.table !== table);
    }
  }

  private async propagateTtl(region: string, table: string, spec: unknown): Promise<void> {
    const g = this.s.groups.get(table);
    if (!g || !g.members.has(region)) return;
    for (const m of g.members.keys()) {
      if (m === region) continue;
      await ddb(this.s, m, "UpdateTimeToLive", { TableName: table, TimeToLiveSpecification: spec }).catch(() => undefined);
    }
  }
}

/**
 * CreateTable input for the replica of `src` (a DescribeTable `Table`): same key schema,
 * attributes, indexes, billing, class and deletion protection, with a NEW_AND_OLD_IMAGES stream,
 * encrypted with `kmsKeyId` or, when the source is KMS-encrypted, the AWS-managed key.
 */
function replicaTableInput(table: string, src: any, kmsKeyId: string | undefined): Record<string, unknown> {
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
  return create;
}

function errorResponse(_req: AwsRequest, e: unknown): AwsResponse {
  const code = e instanceof AwsCallError ? e.code : "InternalServerError";
  const status = e instanceof AwsCallError ? e.status : 500;
  const message = e instanceof AwsCallError ? e.detail : (e as Error).message;
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-errortype": code },
    body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message })),
  };
}
