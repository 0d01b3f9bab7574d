// The sandbox's Lambda emulation as a gateway plugin: routes the Lambda API to its three parts —
// the functions API and code storage (functions.ts), invoke (invoke.ts) and the event source
// mappings API with its pollers (mappings.ts) — and answers the admin routes under
// /__sandbox/lambda. Functions run on the Runtime (runtime.ts), started on first use.

import { AwsCallError } from "../aws";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { AwsRequest, AwsResponse, LambdaInvoker, Next } from "../types";
import type { MappingConfig } from "./esm";
import { LAMBDA_API, parseFunctionRef } from "./function-ref";
import { putEventInvokeConfig } from "./event-invoke-config";
import { FunctionsApi } from "./functions";
import { Invoker } from "./invoke";
import { MappingsApi } from "./mappings";
import type { ShardCheckpoint } from "./pollers/dynamodb-stream";
import { lambdaJson } from "./responses";
import { RuntimeHost } from "./runtime-host";
import type { LambdaPluginOptions, LambdaStats, LogLine, MappingsCaughtUp } from "./types";

export class LambdaPlugin implements SandboxPlugin, LambdaInvoker {
  readonly name = "lambda";
  private stopped = false;
  private readonly runtimes: RuntimeHost;
  private readonly functions: FunctionsApi;
  private readonly invoker: Invoker;
  private readonly esm: MappingsApi;

  constructor(opts: LambdaPluginOptions) {
    const log = (line: string) => opts.onLog?.(line);
    const stopped = () => this.stopped;
    this.runtimes = new RuntimeHost(opts);
    this.functions = new FunctionsApi(opts, this.runtimes, log);
    this.invoker = new Invoker(opts, this.functions, this.runtimes, stopped, log);
    this.esm = new MappingsApi(opts, this.functions, this.invoker, stopped, log);
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "lambda" || this.stopped) return next(req);
    const p = req.path.replace(/\/+$/, "") || "/";
    const fns = this.functions;
    let m: RegExpExecArray | null;
    if (req.method === "POST" && p === `${LAMBDA_API}/functions`) return fns.createFunction(req, next);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(p)) && req.method === "POST") return this.invoker.invokeHttp(req, next, m[1]!);
    if ((m = /^\/2014-11-13\/functions\/([^/]+)\/invoke-async$/.exec(p)) && req.method === "POST") {
      const res = await this.invoker.invokeHttp({ ...req, headers: { ...req.headers, "x-amz-invocation-type": "Event" } }, next, m[1]!);
      return res.status === 202 ? lambdaJson(202, { Status: 202 }) : res;
    }
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/code$/.exec(p)) && req.method === "PUT") return fns.updateCode(req, next, m[1]!);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(p)) && req.method === "PUT") return fns.updateConfiguration(req, next, m[1]!);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)$/.exec(p)) && req.method === "DELETE") return fns.deleteFunction(req, next, m[1]!);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)$/.exec(p)) && req.method === "GET") return fns.withLogging(await next(req), req.region, decodeURIComponent(m[1]!), true);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(p)) && req.method === "GET") return fns.withLogging(await next(req), req.region, decodeURIComponent(m[1]!), false);
    if (/^\/2019-09-25\/functions\/[^/]+\/event-invoke-config$/.test(p) && req.method === "PUT") return putEventInvokeConfig(req, next);
    if ((m = /^\/2015-03-31\/event-source-mappings(?:\/([^/]+))?$/.exec(p))) return this.esm.handle(req, next, m[1] ? decodeURIComponent(m[1]) : undefined);
    if ((m = /^\/2017-03-31\/tags\/(.+)$/.exec(p))) {
      const arn = decodeURIComponent(m[1]!);
      if (arn.includes(":event-source-mapping:")) return this.esm.handleTags(req, arn);
    }
    return next(req);
  }

  /** Admin routes under /__sandbox/lambda: stats, logs, crash injection, and stream mappings' progress for tests. */
  async admin(req: Pick<AdminRequest, "method" | "path" | "query" | "body">): Promise<AdminResponse | undefined> {
    if (!req.path.startsWith("/lambda")) return undefined;
    if (req.method === "GET" && req.path === "/lambda/stats") return { body: this.stats() };
    if (req.method === "GET" && req.path === "/lambda/logs") {
      const fn = req.query.get("function");
      if (!fn) return { status: 400, body: { error: "query parameter `function` is required" } };
      return { body: { lines: this.logs(fn, req.query.get("region") ?? undefined) } };
    }
    if (req.method === "POST" && req.path === "/lambda/crash") {
      const { function: fn, region, afterMs = 0, count = 1, minRecords = 0 } = (req.body ?? {}) as { function?: unknown; region?: unknown; afterMs?: unknown; count?: unknown; minRecords?: unknown };
      if (typeof fn !== "string" || typeof region !== "string") return { status: 400, body: { error: "body needs `function` (name) and `region`" } };
      const runtime = this.runtimes.current;
      if (!runtime) return { status: 409, body: { error: "the Lambda runtime has not started: deploy a function first" } };
      runtime.armCrash(region, fn, Number(afterMs), Number(count), Number(minRecords));
      return { body: { armed: { function: fn, region, afterMs: Number(afterMs), count: Number(count), minRecords: Number(minRecords) } } };
    }
    if (req.method === "POST" && req.path === "/lambda/mappings/caught-up") {
      const { function: fn, region, timeoutMs } = (req.body ?? {}) as { function?: unknown; region?: unknown; timeoutMs?: unknown };
      if (typeof fn !== "string" || typeof region !== "string") return { status: 400, body: { error: "body needs `function` (name) and `region`" } };
      return esmAdmin(() => this.mappingsCaughtUp(fn, region, timeoutMs === undefined ? undefined : Number(timeoutMs)));
    }
    if (req.method === "POST" && req.path === "/lambda/mappings/rewind") {
      const { uuid, shards } = (req.body ?? {}) as { uuid?: unknown; shards?: unknown };
      if (typeof uuid !== "string" || !Array.isArray(shards)) return { status: 400, body: { error: "body needs `uuid` and `shards`: [{shardId, checkpoint?}]" } };
      return esmAdmin(async () => {
        await this.rewindMapping(uuid, shards as ShardCheckpoint[]);
        return { ok: true };
      });
    }
    return undefined;
  }

  /** LambdaInvoker (the Cognito triggers). */
  invoke(fn: string, region: string, event: unknown, o: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.invoker.invoke(fn, region, event, o);
  }

  /** Captured stdout/stderr and platform (START/END/REPORT) lines of a function; `fn` is a name or ARN. */
  logs(fn: string, region?: string): LogLine[] {
    const runtime = this.runtimes.current;
    const p = parseFunctionRef(fn);
    const r = p.region ?? region;
    if (r) return runtime?.getLogs(r, p.name) ?? [];
    for (const e of this.functions.all()) if (e.cfg.name === p.name) return runtime?.getLogs(e.cfg.region, p.name) ?? [];
    return [];
  }

  /** Every event source mapping the sandbox holds. */
  mappings(): MappingConfig[] {
    return this.esm.list();
  }

  /**
   * Waits until the function's DynamoDB stream mappings in `region` have handled every record
   * their streams held at the call (see StreamShards.caughtUp), and says where they stand.
   */
  mappingsCaughtUp(fn: string, region: string, timeoutMs?: number): Promise<MappingsCaughtUp> {
    return this.esm.caughtUp(fn, region, timeoutMs);
  }

  /** Moves a stream mapping back to checkpoints `mappingsCaughtUp` reported (StreamShards.rewind). */
  rewindMapping(uuid: string, shards: ShardCheckpoint[]): Promise<void> {
    return this.esm.rewind(uuid, shards);
  }

  stats(): LambdaStats {
    const rs = this.runtimes.current?.stats() ?? {};
    return {
      functions: this.functions.all().map((e) => {
        const s = rs[`${e.cfg.region}/${e.cfg.name}`];
        return {
          region: e.cfg.region,
          name: e.cfg.name,
          arn: e.cfg.arn,
          handler: e.cfg.handler,
          runtime: e.cfg.runtime,
          codeSha256: e.sha,
          warm: s?.warm ?? 0,
          busy: s?.busy ?? 0,
          invocations: s?.invocations ?? 0,
          errors: s?.errors ?? 0,
          timeouts: s?.timeouts ?? 0,
          coldStarts: s?.coldStarts ?? 0,
          queued: s?.queued ?? 0,
          memoryMb: e.cfg.memoryMb,
          durationMs: s?.durationMs ?? 0,
          billedMs: s?.billedMs ?? 0,
          logBytes: s?.logBytes ?? 0,
        };
      }),
      mappings: this.esm.info(),
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Abort the pollers first (stopPollers aborts synchronously), then kill the workers so that
    // in-flight invocations end at once, then wait for the poller loops.
    const pollersStopped = this.esm.stopPollers();
    await this.runtimes.stop();
    await pollersStopped;
    await this.invoker.drain();
    await this.runtimes.removeWorkDir();
  }
}

async function esmAdmin(run: () => Promise<unknown>): Promise<AdminResponse> {
  try {
    return { body: await run() };
  } catch (e) {
    if (e instanceof AwsCallError) return { status: e.status, body: { error: e.detail } };
    throw e;
  }
}
