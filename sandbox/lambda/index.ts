// The sandbox's Lambda emulation, as a gateway plugin.
//
// - Captures function code and configuration from the Lambda REST API
//   (CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration /
//   DeleteFunction), forwarding each call to moto so GetFunction & co. keep working.
// - Answers Invoke by running the code in warm child `node` processes with the
//   function's own environment and handler setting (see runtime.ts).
// - Owns event source mappings (see esm.ts for why moto does not hold them) and
//   polls DynamoDB streams and SQS queues with Lambda's semantics (pollers.ts),
//   reading the sources through the gateway endpoint so faults apply.

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { Authority, AwsRequest, AwsResponse, GatewayPlugin, LambdaInvoker, Next } from "../types";
import { awsJson, AwsCallError, fakeSigV4, httpCall, jsonResponse, parseArn, parseJsonObject } from "../aws";
import { BOOTSTRAP_SOURCE } from "./bootstrap";
import { codeSha256, findSdkDir, materialize } from "./code";
import { applyUpdate, describe, newMapping, type MappingConfig } from "./esm";
import { DynamoDbPoller, SqsPoller, type HostInvokeOutcome, type MappingStats, type Poller, type PollerHost, type ShardCheckpoint } from "./pollers";
import { Runtime, type ErrorPayload, type FunctionConfig, type InvokeOutcome, type LogLine } from "./runtime";
import { runtimeState } from "./runtimes";

export type { LogLine } from "./runtime";
export type { MappingStats, ShardCheckpoint } from "./pollers";
export { matchesAny, parseFilterCriteria } from "./filter";

export interface LambdaPluginOptions {
  /** Endpoint the functions' SDK clients and the pollers use (AWS_ENDPOINT_URL). */
  gatewayEndpoint: string;
  /** moto_server endpoint (used to fetch S3-hosted code and to validate event sources). */
  motoEndpoint: string;
  /** Where code is unzipped and logs are mirrored. Default: a fresh dir under os.tmpdir(), removed on stop. */
  workDir?: string;
  /** Warm execution environments per function (default 10). */
  maxConcurrencyPerFunction?: number;
  /** Idle time after which a warm worker is stopped (default 5 min). */
  idleTimeoutMs?: number;
  /** Lines kept per function in the in-memory log ring buffer (default 2000). */
  logBufferLines?: number;
  /** Mirror function logs to `<workDir>/logs/<region>__<name>.log` (default true). */
  logToFile?: boolean;
  /** Poll interval of an idle event source (default 50 ms). */
  idlePollMs?: number;
  /** Base backoff between retries of a failed stream batch (default 100 ms). */
  retryBackoffMs?: number;
  /** Concurrent pollers per SQS mapping (default 2). */
  sqsPollersPerMapping?: number;
  /** Retries of failed asynchronous (Event) invocations and the delay between them (defaults: 2, 1000 ms). */
  asyncRetries?: number;
  asyncRetryDelayMs?: number;
  /** Receives sandbox-level messages (mapping errors, async failures). Default: none. */
  onLog?: (line: string) => void;
  /**
   * The gateway's authorizer: functions and their event source mappings then call AWS as the
   * function's execution role, and what Lambda itself checks (the role's trust, the mapping's
   * permissions, log delivery) is decided as in AWS. Without it every call is the sandbox's own.
   */
  authority?: Authority;
}

export interface FunctionStats {
  region: string;
  name: string;
  arn: string;
  handler: string;
  runtime: string;
  codeSha256: string;
  warm: number;
  busy: number;
  invocations: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
  queued: number;
}

export interface MappingInfo {
  uuid: string;
  region: string;
  functionArn: string;
  eventSourceArn: string;
  state: string;
  lastProcessingResult: string;
  stats: MappingStats;
}

/** A function's DynamoDB stream mappings once caught up (or not, when the wait timed out). */
export interface MappingsCaughtUp {
  /** False when the wait timed out: the mapping is disabled, or records are still failing and retried. */
  caughtUp: boolean;
  mappings: Array<{ uuid: string; eventSourceArn: string; state: string; shards: ShardCheckpoint[]; stats: MappingStats }>;
}

export interface LambdaStats {
  functions: FunctionStats[];
  mappings: MappingInfo[];
}

export type LambdaPlugin = GatewayPlugin &
  LambdaInvoker & {
    stats(): LambdaStats;
    /** Captured stdout/stderr and platform (START/END/REPORT) lines of a function; `fn` is a name or ARN. */
    logs(fn: string, region?: string): LogLine[];
    /** Every event source mapping the sandbox holds. */
    mappings(): MappingConfig[];
    /**
     * Waits until the function's DynamoDB stream mappings in `region` have handled every record
     * their streams held at the call (see DynamoDbPoller.caughtUp), and says where they stand.
     */
    mappingsCaughtUp(fn: string, region: string, timeoutMs?: number): Promise<MappingsCaughtUp>;
    /** Moves a stream mapping back to checkpoints `mappingsCaughtUp` reported (DynamoDbPoller.rewind). */
    rewindMapping(uuid: string, shards: ShardCheckpoint[]): Promise<void>;
    stop(): Promise<void>;
  };

interface FnEntry {
  cfg: FunctionConfig;
  sha: string;
  codeDir?: string;
  codeVersion: number;
}

const API = "/2015-03-31";

export function createLambdaPlugin(opts: LambdaPluginOptions): LambdaPlugin {
  const ownsWorkDir = !opts.workDir;
  const workDir = opts.workDir ?? path.join(os.tmpdir(), `sandbox-lambda-${process.pid}-${randomUUID().slice(0, 8)}`);
  const sdkDir = findSdkDir();
  const functions = new Map<string, FnEntry>(); // `${region}/${name}`
  const mappings = new Map<string, MappingConfig>(); // uuid
  const pollers = new Map<string, Poller>(); // uuid
  const asyncJobs = new Set<Promise<unknown>>();
  const lastLogged = new Map<string, number>();
  let stopped = false;
  let runtime: Runtime | undefined;
  let setup: Promise<Runtime> | undefined;

  const log = (line: string) => opts.onLog?.(line);
  const authority = opts.authority;

  function ensureRuntime(): Promise<Runtime> {
    if (runtime) return Promise.resolve(runtime);
    setup ??= (async () => {
      await fs.mkdir(workDir, { recursive: true });
      const bootstrapPath = path.join(workDir, "bootstrap.cjs");
      await fs.writeFile(bootstrapPath, BOOTSTRAP_SOURCE);
      const logDir = opts.logToFile === false ? undefined : path.join(workDir, "logs");
      if (logDir) await fs.mkdir(logDir, { recursive: true });
      runtime = new Runtime({
        bootstrapPath,
        gatewayEndpoint: opts.gatewayEndpoint,
        logDir,
        maxConcurrency: opts.maxConcurrencyPerFunction ?? 10,
        idleTimeoutMs: opts.idleTimeoutMs ?? 5 * 60_000,
        logBufferLines: opts.logBufferLines ?? 2000,
        credentialsFor: (fn) => (fn.role && authority ? authority.credentials(fn.role, fn.name, `sandbox-lambda:${fn.name}`) : undefined),
      });
      return runtime;
    })();
    return setup;
  }

  // ------------------------------------------------------------------ helpers

  /** Function name (without qualifier) from a name, partial ARN or ARN; also the ARN's region when given. */
  function parseFunctionRef(ref: string): { name: string; region?: string; qualifier?: string } {
    const s = decodeURIComponent(ref);
    if (s.startsWith("arn:")) {
      const parts = s.split(":"); // arn:aws:lambda:region:acct:function:name[:qual]
      return { name: parts[6] ?? "", region: parts[3] || undefined, qualifier: parts[7] };
    }
    const parts = s.split(":");
    if (parts.length >= 3 && parts[1] === "function") return { name: parts[2]!, qualifier: parts[3] };
    return { name: parts[0]!, qualifier: parts[1] };
  }

  function lookup(ref: string, region: string): FnEntry | undefined {
    const p = parseFunctionRef(ref);
    return functions.get(`${p.region ?? region}/${p.name}`);
  }

  async function codeFromRequest(code: Record<string, unknown> | undefined, region: string): Promise<Buffer | undefined> {
    if (!code) return undefined;
    if (typeof code.ZipFile === "string") return Buffer.from(code.ZipFile, "base64");
    if (typeof code.S3Bucket === "string" && typeof code.S3Key === "string") {
      const key = code.S3Key.split("/").map(encodeURIComponent).join("/");
      const res = await httpCall(opts.motoEndpoint, "GET", `/${code.S3Bucket}/${key}`, { authorization: fakeSigV4({ region, service: "s3" }), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, Buffer.alloc(0));
      if (res.status >= 300) throw new Error(`S3 GetObject ${code.S3Bucket}/${code.S3Key} failed: ${res.status}`);
      return res.body;
    }
    return undefined;
  }

  async function installCode(entry: FnEntry, zip: Buffer): Promise<void> {
    entry.codeVersion++;
    const dir = path.join(workDir, "functions", entry.cfg.region, entry.cfg.name, String(entry.codeVersion));
    const taskRoot = await materialize(zip, dir, sdkDir);
    const old = entry.codeDir;
    entry.codeDir = dir;
    entry.cfg = { ...entry.cfg, taskRoot, generation: entry.cfg.generation + 1 };
    entry.sha = codeSha256(zip);
    runtime?.recycle(entry.cfg.region, entry.cfg.name);
    if (old && old !== dir) setTimeout(() => void fs.rm(old, { recursive: true, force: true }).catch(() => undefined), 30_000).unref();
  }

  function configFrom(resp: Record<string, unknown>, region: string, prev?: FunctionConfig): FunctionConfig {
    const env = (resp.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    return {
      name: String(resp.FunctionName ?? prev?.name),
      region,
      arn: String(resp.FunctionArn ?? prev?.arn),
      handler: String(resp.Handler ?? prev?.handler ?? "index.handler"),
      runtime: String(resp.Runtime ?? prev?.runtime ?? "nodejs22.x"),
      timeoutSec: Number(resp.Timeout ?? prev?.timeoutSec ?? 3),
      memoryMb: Number(resp.MemorySize ?? prev?.memoryMb ?? 128),
      env: env ?? (resp.Environment === undefined && prev ? prev.env : {}),
      role: (resp.Role as string | undefined) ?? prev?.role,
      taskRoot: prev?.taskRoot ?? "",
      generation: (prev?.generation ?? 0) + 1,
    };
  }

  function header(req: AwsRequest, name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === lower) return v;
    return undefined;
  }

  /** Lambda's REST-JSON answer. */
  function json(status: number, body: unknown, headers: Record<string, string> = {}): AwsResponse {
    return jsonResponse(status, body, { "content-type": "application/json", "x-amzn-requestid": randomUUID(), ...headers });
  }

  function error(status: number, code: string, message: string): AwsResponse {
    return json(status, { Type: status >= 500 ? "Service" : "User", Message: message, message }, { "x-amzn-errortype": code });
  }

  /** Replaces CodeSha256/CodeSize in a moto response body when they differ from AWS's base64(sha256(zip)). */
  function patchCodeSha(res: AwsResponse, zip: Buffer | undefined): AwsResponse {
    if (!zip) return res;
    const body = parseJsonObject(res);
    if (!body) return res;
    const sha = codeSha256(zip);
    if (body.CodeSha256 === sha && body.CodeSize === zip.length) return res;
    body.CodeSha256 = sha;
    body.CodeSize = zip.length;
    const headers = { ...res.headers };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-length") delete headers[k];
    return { ...res, headers, body: Buffer.from(JSON.stringify(body)) };
  }

  // ------------------------------------------------------------------ functions API

  // moto forgets LoggingConfig; AWS echoes it, and terraform plans a change without it.
  const loggingConfigs = new Map<string, unknown>();

  function rememberLogging(region: string, name: unknown, body: Record<string, unknown> | undefined): void {
    if (typeof name === "string" && body?.LoggingConfig) loggingConfigs.set(`${region}/${name}`, body.LoggingConfig);
  }

  function withLogging(res: AwsResponse, region: string, ref: string, nested: boolean): AwsResponse {
    const logging = loggingConfigs.get(`${region}/${parseFunctionRef(ref).name}`);
    const resp = logging && res.status < 300 ? parseJsonObject(res) : undefined;
    if (!resp) return res;
    const target = (nested ? resp.Configuration : resp) as Record<string, unknown> | undefined;
    if (!target) return res;
    target.LoggingConfig = logging;
    return { ...res, body: Buffer.from(JSON.stringify(resp)), headers: { ...res.headers, "content-length": String(Buffer.byteLength(JSON.stringify(resp))) } };
  }

  /** What Lambda refuses before it creates or changes a function: a blocked runtime, a role it cannot assume. */
  async function refuseConfiguration(body: Record<string, unknown> | undefined): Promise<AwsResponse | undefined> {
    const rt = typeof body?.Runtime === "string" ? body.Runtime : undefined;
    const state = rt ? runtimeState(rt) : "unknown";
    if (state === "create-blocked" || state === "update-blocked") {
      // AWS's answer for a runtime past its block date (Lambda guide, "Runtime deprecation").
      return error(400, "InvalidParameterValueException", `The runtime parameter of ${rt} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
    }
    if (authority && typeof body?.Role === "string") {
      const trust = await authority.canAssume(body.Role, "lambda.amazonaws.com");
      if (!trust.allowed) return error(400, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.");
    }
    return undefined;
  }

  async function createFunction(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const body = parseJsonObject(req);
    const refused = await refuseConfiguration(body);
    if (refused) return refused;
    rememberLogging(req.region, body?.FunctionName, body);
    let zip: Buffer | undefined;
    try {
      zip = await codeFromRequest(body?.Code as Record<string, unknown> | undefined, req.region);
    } catch (e) {
      return error(400, "InvalidParameterValueException", (e as Error).message);
    }
    const res = await next(req);
    if (res.status >= 300) return res;
    const resp = parseJsonObject(res);
    if (!resp || !zip) return res;
    const cfg = configFrom({ ...body, ...resp }, req.region);
    await ensureRuntime();
    const key = `${req.region}/${cfg.name}`;
    const old = functions.get(key);
    if (old) runtime?.recycle(req.region, cfg.name);
    const entry: FnEntry = { cfg: { ...cfg, generation: (old?.cfg.generation ?? 0) + 1 }, sha: "", codeVersion: old?.codeVersion ?? 0 };
    try {
      await installCode(entry, zip);
    } catch (e) {
      log(`lambda: could not unpack code of ${cfg.name}: ${(e as Error).message}`);
    }
    functions.set(key, entry);
    return withLogging(patchCodeSha(res, zip), req.region, cfg.name, false);
  }

  async function updateCode(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const body = parseJsonObject(req);
    let zip: Buffer | undefined;
    try {
      zip = await codeFromRequest(body, req.region);
    } catch (e) {
      return error(400, "InvalidParameterValueException", (e as Error).message);
    }
    const res = await next(req);
    if (res.status >= 300 || body?.DryRun === true) return res;
    let entry = lookup(ref, req.region);
    const resp = parseJsonObject(res);
    if (!entry && zip && resp?.FunctionName) {
      // Created before this plugin started: the response carries the whole configuration.
      entry = { cfg: configFrom(resp, req.region), sha: "", codeVersion: 0 };
      functions.set(`${req.region}/${entry.cfg.name}`, entry);
    }
    if (entry && zip) {
      await ensureRuntime();
      await installCode(entry, zip);
    }
    return patchCodeSha(res, zip);
  }

  async function updateConfiguration(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const refused = await refuseConfiguration(parseJsonObject(req));
    if (refused) return refused;
    rememberLogging(req.region, parseFunctionRef(ref).name, parseJsonObject(req));
    const res = withLogging(await next(req), req.region, ref, false);
    if (res.status >= 300) return res;
    const entry = lookup(ref, req.region);
    const resp = parseJsonObject(res);
    if (entry && resp) {
      const body = parseJsonObject(req) ?? {};
      entry.cfg = configFrom({ ...body, ...resp }, entry.cfg.region, entry.cfg);
      runtime?.recycle(entry.cfg.region, entry.cfg.name);
    }
    return res;
  }

  async function deleteFunction(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const res = await next(req);
    if (res.status >= 300 || req.query.get("Qualifier")) return res;
    const p = parseFunctionRef(ref);
    const key = `${p.region ?? req.region}/${p.name}`;
    const entry = functions.get(key);
    if (entry) {
      functions.delete(key);
      runtime?.recycle(entry.cfg.region, entry.cfg.name);
      if (entry.codeDir) {
        const dir = entry.codeDir;
        setTimeout(() => void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined), 30_000).unref();
      }
    }
    return res;
  }

  // ------------------------------------------------------------------ invoke

  async function runFunction(entry: FnEntry, event: unknown, o: { timeoutMs?: number; clientContext?: unknown } = {}): Promise<InvokeOutcome> {
    const rt = await ensureRuntime();
    if (entry.cfg.runtime && !entry.cfg.runtime.startsWith("nodejs")) {
      return {
        kind: "error",
        error: { errorType: "Sandbox.UnsupportedRuntime", errorMessage: `The sandbox runs Node.js functions only (runtime ${entry.cfg.runtime})` },
        requestId: randomUUID(),
        logTail: "",
        durationMs: 0,
        timedOut: false,
      };
    }
    if (!entry.cfg.taskRoot || !existsSync(entry.cfg.taskRoot)) {
      return {
        kind: "error",
        error: { errorType: "Runtime.ImportModuleError", errorMessage: "Error: the sandbox has no code for this function" },
        requestId: randomUUID(),
        logTail: "",
        durationMs: 0,
        timedOut: false,
      };
    }
    await checkLogDelivery(rt, entry);
    return rt.invoke(entry.cfg, event, o);
  }

  const logsChecked = new Map<string, number>(); // `${region}/${name}` -> generation checked

  /**
   * Lambda writes a function's logs with its execution role (Lambda guide, "Sending Lambda function
   * logs to CloudWatch Logs": the role needs logs:CreateLogStream and logs:PutLogEvents). Without
   * them AWS runs the function and drops its logs; the sandbox keeps them and says so.
   */
  async function checkLogDelivery(rt: Runtime, entry: FnEntry): Promise<void> {
    const { cfg } = entry;
    const key = `${cfg.region}/${cfg.name}`;
    if (!authority || !cfg.role || logsChecked.get(key) === cfg.generation) return;
    logsChecked.set(key, cfg.generation);
    const account = parseArn(cfg.arn).account;
    const group = (loggingConfigs.get(key) as { LogGroup?: string } | undefined)?.LogGroup ?? `/aws/lambda/${cfg.name}`;
    const stream = `arn:aws:logs:${cfg.region}:${account}:log-group:${group}:log-stream:${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]sandbox`;
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
      const r = await authority.roleMay(cfg.role, cfg.name, { action, resource: stream });
      if (!r.allowed) rt.note(cfg.region, cfg.name, `sandbox: in AWS this function's logs would be lost: ${r.message}`);
    }
  }

  async function invokeHttp(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const entry = lookup(ref, req.region);
    if (!entry) {
      // Unknown to the sandbox: let moto answer (ResourceNotFoundException for a missing function).
      const probe = await next({ ...req, method: "GET", path: `${API}/functions/${encodeURIComponent(parseFunctionRef(ref).name)}`, body: Buffer.alloc(0), query: new URLSearchParams() });
      if (probe.status >= 300) return probe;
      return error(500, "ServiceException", "The sandbox has no code for this function (it was created before the sandbox Lambda emulation started); redeploy it.");
    }
    const type = header(req, "x-amz-invocation-type") ?? "RequestResponse";
    if (type === "DryRun") return { status: 204, headers: { "x-amzn-requestid": randomUUID() }, body: Buffer.alloc(0) };
    let event: unknown = {};
    if (req.body.length) {
      try {
        event = JSON.parse(req.body.toString("utf8"));
      } catch (e) {
        return error(400, "InvalidRequestContentException", `Could not parse request body into json: ${(e as Error).message}`);
      }
    }
    let clientContext: unknown;
    const cc = header(req, "x-amz-client-context");
    if (cc) {
      try {
        clientContext = JSON.parse(Buffer.from(cc, "base64").toString("utf8"));
      } catch {
        return error(400, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.");
      }
    }
    if (type === "Event") {
      const requestId = randomUUID();
      const job = runAsync(entry, event, clientContext);
      asyncJobs.add(job);
      void job.finally(() => asyncJobs.delete(job));
      return { status: 202, headers: { "x-amzn-requestid": requestId }, body: Buffer.alloc(0) };
    }
    if (type !== "RequestResponse") return error(400, "InvalidParameterValueException", `Unsupported invocation type ${type}`);
    const out = await runFunction(entry, event, { clientContext });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-amzn-requestid": out.requestId,
      "x-amz-executed-version": "$LATEST",
    };
    if (header(req, "x-amz-log-type") === "Tail") {
      const tail = Buffer.from(out.logTail, "utf8");
      headers["x-amz-log-result"] = tail.subarray(Math.max(0, tail.length - 4096)).toString("base64");
    }
    if (out.kind === "ok") return { status: 200, headers, body: Buffer.from(out.payload) };
    headers["x-amz-function-error"] = "Unhandled";
    return { status: 200, headers, body: Buffer.from(JSON.stringify(out.error)) };
  }

  async function runAsync(entry: FnEntry, event: unknown, clientContext: unknown): Promise<void> {
    const retries = opts.asyncRetries ?? 2;
    for (let attempt = 0; attempt <= retries && !stopped; attempt++) {
      const current = functions.get(`${entry.cfg.region}/${entry.cfg.name}`) ?? entry;
      const out = await runFunction(current, event, { clientContext }).catch((e: Error) => ({ kind: "error" as const, error: { errorMessage: e.message } }));
      if (out.kind === "ok") return;
      log(`lambda: async invocation of ${entry.cfg.name} failed (attempt ${attempt + 1}): ${out.error.errorMessage}`);
      if (attempt < retries) await new Promise((r) => setTimeout(r, (opts.asyncRetryDelayMs ?? 1000) * (attempt + 1)));
    }
  }

  async function invoke(fn: string, region: string, event: unknown, o: { timeoutMs?: number } = {}): Promise<unknown> {
    const entry = lookup(fn, region);
    if (!entry) {
      const e = new Error(`Function not found: ${fn} in ${region}`);
      e.name = "ResourceNotFoundException";
      throw e;
    }
    const out = await runFunction(entry, event, o);
    if (out.kind === "ok") return JSON.parse(out.payload) as unknown;
    const e = new Error(out.error.errorMessage) as Error & { errorType?: string; trace?: string[]; payload?: ErrorPayload };
    e.name = out.timedOut ? "TimeoutError" : "FunctionError";
    e.errorType = out.error.errorType;
    e.trace = out.error.trace;
    e.payload = out.error;
    throw e;
  }

  // ------------------------------------------------------------------ event source mappings

  const pollerHost: PollerHost = {
    gatewayEndpoint: opts.gatewayEndpoint,
    credentials(functionArn: string) {
      const entry = lookup(functionArn, parseArn(functionArn).region);
      if (!authority || !entry?.cfg.role) return undefined;
      return authority.credentials(entry.cfg.role, `${entry.cfg.name}.event-source-mapping`, `sandbox-esm:${entry.cfg.name}`);
    },
    idlePollMs: opts.idlePollMs ?? 50,
    retryBackoffMs: opts.retryBackoffMs ?? 100,
    log: (m, msg) => {
      // The same message at most every 10 s per mapping (an outage would otherwise log every poll).
      const key = `${m.UUID}|${msg}`;
      const now = Date.now();
      if ((lastLogged.get(key) ?? 0) > now - 10_000) return;
      lastLogged.set(key, now);
      if (lastLogged.size > 1000) lastLogged.clear();
      log(`lambda: mapping ${m.UUID} (${m.EventSourceArn}): ${msg}`);
    },
    async invoke(functionArn: string, event: unknown): Promise<HostInvokeOutcome> {
      const entry = lookup(functionArn, parseArn(functionArn).region);
      if (!entry) return { kind: "missing", message: `Function not found: ${functionArn}` };
      return runFunction(entry, event);
    },
  };

  function startPoller(m: MappingConfig): void {
    if (stopped || pollers.has(m.UUID)) return;
    const p = m.kind === "dynamodb" ? new DynamoDbPoller(m, pollerHost) : new SqsPoller(m, pollerHost, opts.sqsPollersPerMapping ?? 2);
    pollers.set(m.UUID, p);
  }

  async function resolveFunctionArn(req: AwsRequest, next: Next, ref: unknown): Promise<string> {
    if (typeof ref !== "string" || !ref) throw new AwsCallError("InvalidParameterValueException", "Missing FunctionName", 400);
    const p = parseFunctionRef(ref);
    const entry = functions.get(`${p.region ?? req.region}/${p.name}`);
    let arn = entry?.cfg.arn;
    if (!arn) {
      const probe = await next({
        ...req,
        method: "GET",
        path: `${API}/functions/${encodeURIComponent(p.name)}`,
        query: new URLSearchParams(),
        body: Buffer.alloc(0),
        json: undefined,
      });
      const body = parseJsonObject(probe);
      const cfg = body?.Configuration as { FunctionArn?: string } | undefined;
      if (probe.status >= 300 || !cfg?.FunctionArn) {
        throw new AwsCallError("ResourceNotFoundException", `Function not found: ${ref}`, 404);
      }
      arn = cfg.FunctionArn;
    }
    return p.qualifier && p.qualifier !== "$LATEST" ? `${arn}:${p.qualifier}` : arn;
  }

  async function validateSource(m: MappingConfig): Promise<void> {
    const a = parseArn(m.EventSourceArn);
    try {
      if (m.kind === "dynamodb") {
        await awsJson({ endpoint: opts.motoEndpoint, region: a.region, service: "streams", operation: "DescribeStream", body: { StreamArn: m.EventSourceArn }, timeoutMs: 10_000 });
      } else {
        await awsJson({ endpoint: opts.motoEndpoint, region: a.region, service: "sqs", operation: "GetQueueUrl", body: { QueueName: a.resource, QueueOwnerAWSAccountId: a.account }, timeoutMs: 10_000 });
      }
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      if (/NotFound|NonExistent|DoesNotExist/i.test(code) || /not found|does not exist/i.test((e as Error).message)) {
        throw new AwsCallError("InvalidParameterValueException", `Cannot access event source ${m.EventSourceArn}: it does not exist`, 400);
      }
      // Anything else (e.g. moto unreachable) is not the caller's fault: accept the mapping.
    }
  }

  /**
   * Lambda checks the execution role when a mapping is created, and answers with these messages
   * (Lambda guide, "Execution role permissions" on the DynamoDB and SQS event source pages list
   * the actions; the messages are Lambda's InvalidParameterValueException texts).
   */
  async function validateRole(m: MappingConfig): Promise<void> {
    const entry = lookup(m.FunctionArn, parseArn(m.FunctionArn).region);
    if (!authority || !entry?.cfg.role) return;
    const role = entry.cfg.role;
    const session = `${entry.cfg.name}.event-source-mapping`;
    const needs: Array<[string, string]> =
      m.kind === "dynamodb"
        ? [["dynamodb:DescribeStream", m.EventSourceArn], ["dynamodb:GetRecords", m.EventSourceArn], ["dynamodb:GetShardIterator", m.EventSourceArn], ["dynamodb:ListStreams", "*"]]
        : [["sqs:ReceiveMessage", m.EventSourceArn], ["sqs:DeleteMessage", m.EventSourceArn], ["sqs:GetQueueAttributes", m.EventSourceArn]];
    for (const [action, resource] of needs) {
      // ListStreams has no resource ("*"): the mapping's region is where it is called.
      const region = { "aws:RequestedRegion": parseArn(m.FunctionArn).region };
      const r = await authority.roleMay(role, session, { action, resource, context: region, ...(m.kind === "sqs" ? { resourcePolicy: "sqs-queue" as const } : {}) });
      if (r.allowed) continue;
      throw new AwsCallError(
        "InvalidParameterValueException",
        m.kind === "dynamodb"
          ? `Cannot access stream ${m.EventSourceArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`
          : `The provided execution role does not have permissions to call ${action.split(":")[1]} on SQS`,
        400,
      );
    }
  }

  async function handleEsm(req: AwsRequest, next: Next, uuid: string | undefined): Promise<AwsResponse> {
    try {
      if (!uuid && req.method === "POST") {
        const body = parseJsonObject(req) ?? {};
        const functionArn = await resolveFunctionArn(req, next, body.FunctionName);
        const account = parseArn(functionArn).account || "123456789012";
        const m = newMapping(req.region, account, body, functionArn);
        for (const other of mappings.values()) {
          if (other.EventSourceArn === m.EventSourceArn && other.FunctionArn === m.FunctionArn) {
            throw new AwsCallError(
              "ResourceConflictException",
              `The event source arn (" ${m.EventSourceArn} ") and function (" ${parseFunctionRef(functionArn).name} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${other.UUID}`,
              409,
            );
          }
        }
        await validateSource(m);
        await validateRole(m);
        mappings.set(m.UUID, m);
        startPoller(m);
        return json(202, describe(m, m.Enabled ? "Enabled" : "Disabled"));
      }
      if (!uuid && req.method === "GET") {
        const fnFilter = req.query.get("FunctionName");
        const srcFilter = req.query.get("EventSourceArn");
        let list = [...mappings.values()].filter((m) => m.region === req.region);
        if (fnFilter) {
          const p = parseFunctionRef(fnFilter);
          list = list.filter((m) => parseFunctionRef(m.FunctionArn).name === p.name);
        }
        if (srcFilter) list = list.filter((m) => m.EventSourceArn === srcFilter);
        const start = Number(req.query.get("Marker") ?? 0) || 0;
        const max = Number(req.query.get("MaxItems") ?? 100) || 100;
        const page = list.slice(start, start + max);
        return json(200, {
          EventSourceMappings: page.map((m) => describe(m)),
          ...(start + max < list.length ? { NextMarker: String(start + max) } : {}),
        });
      }
      const m = uuid ? mappings.get(uuid) : undefined;
      if (!m || m.region !== req.region) {
        throw new AwsCallError("ResourceNotFoundException", `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`, 404);
      }
      if (req.method === "GET") return json(200, describe(m));
      if (req.method === "PUT") {
        const body = parseJsonObject(req) ?? {};
        const before = JSON.stringify(describe(m));
        const candidate: MappingConfig = { ...m, explicit: new Set(m.explicit) };
        if (typeof body.FunctionName === "string") candidate.FunctionArn = await resolveFunctionArn(req, next, body.FunctionName);
        applyUpdate(candidate, body);
        Object.assign(m, candidate);
        if (before !== JSON.stringify(describe(m))) m.StateTransitionReason = "User action";
        return json(202, describe(m));
      }
      if (req.method === "DELETE") {
        mappings.delete(m.UUID);
        const p = pollers.get(m.UUID);
        pollers.delete(m.UUID);
        m.Enabled = false;
        if (p) void p.stop();
        return json(202, describe(m, "Deleting"));
      }
      return error(405, "InvalidParameterValueException", `Unsupported method ${req.method}`);
    } catch (e) {
      if (e instanceof AwsCallError) return error(e.status, e.code, e.detail);
      throw e;
    }
  }

  function handleEsmTags(req: AwsRequest, arn: string): AwsResponse {
    const uuid = arn.split(":").pop() ?? "";
    const m = mappings.get(uuid);
    if (!m) return error(404, "ResourceNotFoundException", `Event source mapping ${uuid} not found.`);
    if (req.method === "GET") return json(200, { Tags: m.Tags });
    if (req.method === "POST") {
      const body = parseJsonObject(req) ?? {};
      Object.assign(m.Tags, (body.Tags as Record<string, string>) ?? {});
      return { status: 204, headers: { "x-amzn-requestid": randomUUID() }, body: Buffer.alloc(0) };
    }
    if (req.method === "DELETE") {
      for (const k of req.query.getAll("tagKeys")) delete m.Tags[k];
      return { status: 204, headers: { "x-amzn-requestid": randomUUID() }, body: Buffer.alloc(0) };
    }
    return error(405, "InvalidParameterValueException", `Unsupported method ${req.method}`);
  }

  // ------------------------------------------------------------------ plugin

  async function handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "lambda" || stopped) return next(req);
    const p = req.path.replace(/\/+$/, "") || "/";
    let m: RegExpExecArray | null;
    if (req.method === "POST" && p === `${API}/functions`) return createFunction(req, next);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(p)) && req.method === "POST") return invokeHttp(req, next, m[1]!);
    if ((m = /^\/2014-11-13\/functions\/([^/]+)\/invoke-async$/.exec(p)) && req.method === "POST") {
      const res = await invokeHttp({ ...req, headers: { ...req.headers, "x-amz-invocation-type": "Event" } }, next, m[1]!);
      return res.status === 202 ? json(202, { Status: 202 }) : res;
    }
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/code$/.exec(p)) && req.method === "PUT") return updateCode(req, next, m[1]!);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(p)) && req.method === "PUT") return updateConfiguration(req, next, m[1]!);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)$/.exec(p)) && req.method === "DELETE") return deleteFunction(req, next, m[1]!);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)$/.exec(p)) && req.method === "GET") return withLogging(await next(req), req.region, decodeURIComponent(m[1]!), true);
    if ((m = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(p)) && req.method === "GET") return withLogging(await next(req), req.region, decodeURIComponent(m[1]!), false);
    if ((m = /^\/2015-03-31\/event-source-mappings(?:\/([^/]+))?$/.exec(p))) return handleEsm(req, next, m[1] ? decodeURIComponent(m[1]) : undefined);
    if ((m = /^\/2017-03-31\/tags\/(.+)$/.exec(p))) {
      const arn = decodeURIComponent(m[1]!);
      if (arn.includes(":event-source-mapping:")) return handleEsmTags(req, arn);
    }
    return next(req);
  }

  /** Admin routes under /__sandbox/lambda: stats, logs, crash injection, and stream mappings' progress for tests. */
  async function admin(req: { method: string; path: string; query: URLSearchParams; body: unknown }): Promise<{ status?: number; body?: unknown } | undefined> {
    if (!req.path.startsWith("/lambda")) return undefined;
    if (req.method === "GET" && req.path === "/lambda/stats") return { body: plugin.stats() };
    if (req.method === "GET" && req.path === "/lambda/logs") {
      const fn = req.query.get("function");
      if (!fn) return { status: 400, body: { error: "query parameter `function` is required" } };
      return { body: { lines: plugin.logs(fn, req.query.get("region") ?? undefined) } };
    }
    if (req.method === "POST" && req.path === "/lambda/crash") {
      const { function: fn, region, afterMs = 0, count = 1, minRecords = 0 } = (req.body ?? {}) as { function?: unknown; region?: unknown; afterMs?: unknown; count?: unknown; minRecords?: unknown };
      if (typeof fn !== "string" || typeof region !== "string") return { status: 400, body: { error: "body needs `function` (name) and `region`" } };
      if (!runtime) return { status: 409, body: { error: "the Lambda runtime has not started: deploy a function first" } };
      runtime.armCrash(region, fn, Number(afterMs), Number(count), Number(minRecords));
      return { body: { armed: { function: fn, region, afterMs: Number(afterMs), count: Number(count), minRecords: Number(minRecords) } } };
    }
    if (req.method === "POST" && req.path === "/lambda/mappings/caught-up") {
      const { function: fn, region, timeoutMs } = (req.body ?? {}) as { function?: unknown; region?: unknown; timeoutMs?: unknown };
      if (typeof fn !== "string" || typeof region !== "string") return { status: 400, body: { error: "body needs `function` (name) and `region`" } };
      return esmAdmin(() => plugin.mappingsCaughtUp(fn, region, timeoutMs === undefined ? undefined : Number(timeoutMs)));
    }
    if (req.method === "POST" && req.path === "/lambda/mappings/rewind") {
      const { uuid, shards } = (req.body ?? {}) as { uuid?: unknown; shards?: unknown };
      if (typeof uuid !== "string" || !Array.isArray(shards)) return { status: 400, body: { error: "body needs `uuid` and `shards`: [{shardId, checkpoint?}]" } };
      return esmAdmin(async () => {
        await plugin.rewindMapping(uuid, shards as ShardCheckpoint[]);
        return { ok: true };
      });
    }
    return undefined;
  }

  async function esmAdmin(run: () => Promise<unknown>): Promise<{ status?: number; body: unknown }> {
    try {
      return { body: await run() };
    } catch (e) {
      if (e instanceof AwsCallError) return { status: e.status, body: { error: e.detail } };
      throw e;
    }
  }

  function streamPoller(m: MappingConfig): DynamoDbPoller {
    const p = pollers.get(m.UUID);
    if (!(p instanceof DynamoDbPoller)) throw new AwsCallError("ResourceNotFoundException", `mapping ${m.UUID} has no stream poller`, 404);
    return p;
  }

  const plugin = {
    name: "lambda",
    handle,
    admin,
    invoke,
    logs(fn: string, region?: string): LogLine[] {
      const p = parseFunctionRef(fn);
      const r = p.region ?? region;
      if (r) return runtime?.getLogs(r, p.name) ?? [];
      for (const e of functions.values()) if (e.cfg.name === p.name) return runtime?.getLogs(e.cfg.region, p.name) ?? [];
      return [];
    },
    mappings: () => [...mappings.values()],
    async mappingsCaughtUp(fn: string, region: string, timeoutMs = 30_000): Promise<MappingsCaughtUp> {
      const streams = [...mappings.values()].filter((m) => m.kind === "dynamodb" && m.region === region && parseFunctionRef(m.FunctionArn).name === parseFunctionRef(fn).name);
      if (streams.length === 0) throw new AwsCallError("ResourceNotFoundException", `${fn} has no DynamoDB stream mapping in ${region}`, 404);
      const done = await Promise.all(streams.map((m) => streamPoller(m).caughtUp(timeoutMs)));
      return {
        caughtUp: done.every(Boolean),
        mappings: streams.map((m) => ({
          uuid: m.UUID,
          eventSourceArn: m.EventSourceArn,
          state: m.Enabled ? "Enabled" : "Disabled",
          shards: streamPoller(m).checkpoints(),
          stats: structuredClone(streamPoller(m).stats),
        })),
      };
    },
    async rewindMapping(uuid: string, shards: ShardCheckpoint[]): Promise<void> {
      const m = mappings.get(uuid);
      if (!m || m.kind !== "dynamodb") throw new AwsCallError("ResourceNotFoundException", `no DynamoDB stream mapping ${uuid}`, 404);
      // The poller applies a rewind between polls; a disabled mapping does not poll.
      if (!m.Enabled) throw new AwsCallError("ResourceConflictException", `mapping ${uuid} is disabled: enable it to rewind`, 409);
      await streamPoller(m).rewind(shards);
    },
    stats(): LambdaStats {
      const rs = runtime?.stats() ?? {};
      return {
        functions: [...functions.values()].map((e) => {
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
          };
        }),
        mappings: [...mappings.values()].map((m) => ({
          uuid: m.UUID,
          region: m.region,
          functionArn: m.FunctionArn,
          eventSourceArn: m.EventSourceArn,
          state: m.Enabled ? "Enabled" : "Disabled",
          lastProcessingResult: m.LastProcessingResult,
          stats: pollers.get(m.UUID)?.stats ?? ({} as MappingStats),
        })),
      };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      // Abort the pollers first (stop() aborts synchronously), then kill the workers so that
      // in-flight invocations end at once, then wait for the poller loops.
      const pollerStops = [...pollers.values()].map((p) => p.stop());
      pollers.clear();
      if (setup) await setup.catch(() => undefined);
      await runtime?.stop();
      await Promise.all(pollerStops);
      await Promise.race([Promise.allSettled([...asyncJobs]), new Promise((r) => setTimeout(r, 1000))]);
      if (ownsWorkDir) await fs.rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  return plugin;
}
