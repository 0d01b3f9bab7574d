// The event source mappings API (Create/Get/Update/Delete/List and the mappings' tags), kept
// here rather than in moto (see esm.ts), and one poller per mapping: DynamoDbStreamPoller or
// SqsPoller, delivering to the function through the Invoker with the function's role.

import { randomUUID } from "node:crypto";
import { AwsCallError, parseArn, parseJsonObject } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { applyUpdate, describe, newMapping, type MappingConfig } from "./esm";
import { LAMBDA_API, parseFunctionRef } from "./function-ref";
import type { FunctionsApi } from "./functions";
import type { Invoker } from "./invoke";
import { validateRole, validateSource } from "./mapping-checks";
import { DynamoDbStreamPoller } from "./pollers/dynamodb-poller";
import type { ShardCheckpoint } from "./pollers/dynamodb-stream";
import type { MappingStats, Poller, PollerHost } from "./pollers/poller";
import { SqsPoller } from "./pollers/sqs-poller";
import { emptyAnswer, lambdaError, lambdaJson } from "./responses";
import type { LambdaPluginOptions, MappingInfo, MappingsCaughtUp } from "./types";

export class MappingsApi {
  private readonly mappings = new Map<string, MappingConfig>(); // uuid
  private readonly pollers = new Map<string, Poller>(); // uuid
  private readonly lastLogged = new Map<string, number>();
  private readonly pollerHost: PollerHost;

  constructor(
    private readonly opts: LambdaPluginOptions,
    private readonly functions: FunctionsApi,
    invoker: Invoker,
    private readonly stopped: () => boolean,
    log: (line: string) => void,
  ) {
    const authority = opts.authority;
    this.pollerHost = {
      gatewayEndpoint: opts.gatewayEndpoint,
      credentials: (functionArn) => {
        const entry = functions.lookup(functionArn, parseArn(functionArn).region);
        if (!authority || !entry?.cfg.role) return undefined;
        return authority.credentials(entry.cfg.role, `${entry.cfg.name}.event-source-mapping`, `sandbox-esm:${entry.cfg.name}`);
      },
      idlePollMs: opts.idlePollMs ?? 50,
      retryBackoffMs: opts.retryBackoffMs ?? 100,
      log: (m, msg) => {
        // The same message at most every 10 s per mapping (an outage would otherwise log every poll).
        const key = `${m.UUID}|${msg}`;
        const now = Date.now();
        if ((this.lastLogged.get(key) ?? 0) > now - 10_000) return;
        this.lastLogged.set(key, now);
        if (this.lastLogged.size > 1000) this.lastLogged.clear();
        log(`lambda: mapping ${m.UUID} (${m.EventSourceArn}): ${msg}`);
      },
      invoke: async (functionArn, event) => {
        const entry = functions.lookup(functionArn, parseArn(functionArn).region);
        if (!entry) return { kind: "missing", message: `Function not found: ${functionArn}` };
        return invoker.run(entry, event);
      },
    };
  }

  list(): MappingConfig[] {
    return [...this.mappings.values()];
  }

  /** Enabled, Disabling (a poll begun before the update is still delivering) or Disabled. */
  private stateOf(m: MappingConfig): string {
    return this.pollers.get(m.UUID)?.state() ?? (m.Enabled ? "Enabled" : "Disabled");
  }

  private startPoller(m: MappingConfig): void {
    if (this.stopped() || this.pollers.has(m.UUID)) return;
    const p = m.kind === "dynamodb" ? new DynamoDbStreamPoller(m, this.pollerHost) : new SqsPoller(m, this.pollerHost, this.opts.sqsPollersPerMapping ?? 2);
    this.pollers.set(m.UUID, p);
  }

  /** The function's ARN (with the qualifier asked for) from a name or ARN: known here, or asked of moto. */
  private async resolveFunctionArn(req: AwsRequest, next: Next, ref: unknown): Promise<string> {
    if (typeof ref !== "string" || !ref) throw new AwsCallError("InvalidParameterValueException", "Missing FunctionName", 400);
    const p = parseFunctionRef(ref);
    let arn = this.functions.get(`${p.region ?? req.region}/${p.name}`)?.cfg.arn;
    if (!arn) {
      const probe = await next({ ...req, method: "GET", path: `${LAMBDA_API}/functions/${encodeURIComponent(p.name)}`, query: new URLSearchParams(), body: Buffer.alloc(0), json: undefined });
      const cfg = parseJsonObject(probe)?.Configuration as { FunctionArn?: string } | undefined;
      if (probe.status >= 300 || !cfg?.FunctionArn) throw new AwsCallError("ResourceNotFoundException", `Function not found: ${ref}`, 404);
      arn = cfg.FunctionArn;
    }
    return p.qualifier && p.qualifier !== "$LATEST" ? `${arn}:${p.qualifier}` : arn;
  }

  /** `/event-source-mappings[/<uuid>]`. */
  async handle(req: AwsRequest, next: Next, uuid: string | undefined): Promise<AwsResponse> {
    try {
      if (!uuid && req.method === "POST") return await this.create(req, next);
      if (!uuid && req.method === "GET") return this.listPage(req);
      const m = uuid ? this.mappings.get(uuid) : undefined;
      if (!m || m.region !== req.region) {
        throw new AwsCallError("ResourceNotFoundException", `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`, 404);
      }
      if (req.method === "GET") return lambdaJson(200, describe(m, this.stateOf(m)));
      if (req.method === "PUT") {
        const body = parseJsonObject(req) ?? {};
        const before = JSON.stringify(describe(m));
        const candidate: MappingConfig = { ...m, explicit: new Set(m.explicit) };
        if (typeof body.FunctionName === "string") candidate.FunctionArn = await this.resolveFunctionArn(req, next, body.FunctionName);
        applyUpdate(candidate, body);
        Object.assign(m, candidate);
        if (before !== JSON.stringify(describe(m))) m.StateTransitionReason = "User action";
        return lambdaJson(202, describe(m, this.stateOf(m)));
      }
      if (req.method === "DELETE") {
        this.mappings.delete(m.UUID);
        const p = this.pollers.get(m.UUID);
        this.pollers.delete(m.UUID);
        m.Enabled = false;
        if (p) void p.stop();
        return lambdaJson(202, describe(m, "Deleting"));
      }
      return lambdaError(405, "InvalidParameterValueException", `Unsupported method ${req.method}`);
    } catch (e) {
      if (e instanceof AwsCallError) return lambdaError(e.status, e.code, e.detail);
      throw e;
    }
  }

  private async create(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const body = parseJsonObject(req) ?? {};
    const functionArn = await this.resolveFunctionArn(req, next, body.FunctionName);
    const account = parseArn(functionArn).account || "123456789012";
    const m = newMapping(req.region, account, body, functionArn);
    for (const other of this.mappings.values()) {
      if (other.EventSourceArn === m.EventSourceArn && other.FunctionArn === m.FunctionArn) {
        throw new AwsCallError(
          "ResourceConflictException",
          `The event source arn (" ${m.EventSourceArn} ") and function (" ${parseFunctionRef(functionArn).name} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${other.UUID}`,
          409,
        );
      }
    }
    await validateSource(this.opts.motoEndpoint, m);
    await validateRole(this.opts.authority, this.functions.lookup(m.FunctionArn, parseArn(m.FunctionArn).region), m);
    this.mappings.set(m.UUID, m);
    this.startPoller(m);
    return lambdaJson(202, describe(m, this.stateOf(m)));
  }

  private listPage(req: AwsRequest): AwsResponse {
    const fnFilter = req.query.get("FunctionName");
    const srcFilter = req.query.get("EventSourceArn");
    let list = [...this.mappings.values()].filter((m) => m.region === req.region);
    if (fnFilter) {
      const p = parseFunctionRef(fnFilter);
      list = list.filter((m) => parseFunctionRef(m.FunctionArn).name === p.name);
    }
    if (srcFilter) list = list.filter((m) => m.EventSourceArn === srcFilter);
    const start = Number(req.query.get("Marker") ?? 0) || 0;
    const max = Number(req.query.get("MaxItems") ?? 100) || 100;
    const page = list.slice(start, start + max);
    return lambdaJson(200, {
      EventSourceMappings: page.map((m) => describe(m, this.stateOf(m))),
      ...(start + max < list.length ? { NextMarker: String(start + max) } : {}),
    });
  }

  /** ListTags / TagResource / UntagResource on a mapping's ARN. */
  handleTags(req: AwsRequest, arn: string): AwsResponse {
    const uuid = arn.split(":").pop() ?? "";
    const m = this.mappings.get(uuid);
    if (!m) return lambdaError(404, "ResourceNotFoundException", `Event source mapping ${uuid} not found.`);
    if (req.method === "GET") return lambdaJson(200, { Tags: m.Tags });
    if (req.method === "POST") {
      const body = parseJsonObject(req) ?? {};
      Object.assign(m.Tags, (body.Tags as Record<string, string>) ?? {});
      return emptyAnswer(204);
    }
    if (req.method === "DELETE") {
      for (const k of req.query.getAll("tagKeys")) delete m.Tags[k];
      return emptyAnswer(204);
    }
    return lambdaError(405, "InvalidParameterValueException", `Unsupported method ${req.method}`);
  }

  private streamPoller(m: MappingConfig): DynamoDbStreamPoller {
    const p = this.pollers.get(m.UUID);
    if (!(p instanceof DynamoDbStreamPoller)) throw new AwsCallError("ResourceNotFoundException", `mapping ${m.UUID} has no stream poller`, 404);
    return p;
  }

  /** See LambdaPlugin.mappingsCaughtUp. */
  async caughtUp(fn: string, region: string, timeoutMs = 30_000): Promise<MappingsCaughtUp> {
    const streams = [...this.mappings.values()].filter((m) => m.kind === "dynamodb" && m.region === region && parseFunctionRef(m.FunctionArn).name === parseFunctionRef(fn).name);
    if (streams.length === 0) throw new AwsCallError("ResourceNotFoundException", `${fn} has no DynamoDB stream mapping in ${region}`, 404);
    const done = await Promise.all(streams.map((m) => this.streamPoller(m).caughtUp(timeoutMs)));
    return {
      caughtUp: done.every(Boolean),
      mappings: streams.map((m) => ({
        uuid: m.UUID,
        eventSourceArn: m.EventSourceArn,
        state: this.stateOf(m),
        shards: this.streamPoller(m).checkpoints(),
        stats: structuredClone(this.streamPoller(m).stats),
      })),
    };
  }

  /** See LambdaPlugin.rewindMapping. */
  async rewind(uuid: string, shards: ShardCheckpoint[]): Promise<void> {
    const m = this.mappings.get(uuid);
    if (!m || m.kind !== "dynamodb") throw new AwsCallError("ResourceNotFoundException", `no DynamoDB stream mapping ${uuid}`, 404);
    // The poller applies a rewind between polls; a disabled mapping does not poll.
    if (!m.Enabled) throw new AwsCallError("ResourceConflictException", `mapping ${uuid} is disabled: enable it to rewind`, 409);
    await this.streamPoller(m).rewind(shards);
  }

  info(): MappingInfo[] {
    return [...this.mappings.values()].map((m) => ({
      uuid: m.UUID,
      region: m.region,
      functionArn: m.FunctionArn,
      eventSourceArn: m.EventSourceArn,
      state: this.stateOf(m),
      lastProcessingResult: m.LastProcessingResult,
      stats: this.pollers.get(m.UUID)?.stats ?? ({} as MappingStats),
    }));
  }

  /** Aborts every poller at once (synchronously) and resolves when their loops have ended. */
  stopPollers(): Promise<void> {
    const stops = [...this.pollers.values()].map((p) => p.stop());
    this.pollers.clear();
    return Promise.all(stops).then(() => undefined);
  }
}
