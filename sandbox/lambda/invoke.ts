// Invoking a function: the Invoke API (RequestResponse, Event with Lambda's retries, DryRun;
// LogType Tail), the in-process LambdaInvoker the Cognito triggers use, and the pollers' calls.
// Every invocation runs the code the functions API keeps on the Runtime's warm workers.

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { parseArn } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { asyncRetryPolicy } from "./event-invoke-config";
import { LAMBDA_API, parseFunctionRef } from "./function-ref";
import type { FnEntry, FunctionsApi } from "./functions";
import { emptyAnswer, header, lambdaError } from "./responses";
import type { Runtime } from "./runtime";
import type { RuntimeHost } from "./runtime-host";
import type { ErrorPayload, InvokeOutcome, LambdaPluginOptions } from "./types";

function failed(errorType: string, errorMessage: string): InvokeOutcome {
  return { kind: "error", error: { errorType, errorMessage }, requestId: randomUUID(), logTail: "", durationMs: 0, timedOut: false };
}

export class Invoker {
  private readonly asyncJobs = new Set<Promise<unknown>>();
  private readonly logsChecked = new Map<string, number>(); // `${region}/${name}` -> generation checked

  constructor(
    private readonly opts: LambdaPluginOptions,
    private readonly functions: FunctionsApi,
    private readonly runtimes: RuntimeHost,
    private readonly stopped: () => boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs a function's current code with `event`. */
  async run(entry: FnEntry, event: unknown, o: { timeoutMs?: number; clientContext?: unknown } = {}): Promise<InvokeOutcome> {
    const rt = await this.runtimes.ensure();
    if (entry.cfg.runtime && !entry.cfg.runtime.startsWith("nodejs")) {
      return failed("Sandbox.UnsupportedRuntime", `The sandbox runs Node.js functions only (runtime ${entry.cfg.runtime})`);
    }
    if (!entry.cfg.taskRoot || !existsSync(entry.cfg.taskRoot)) {
      return failed("Runtime.ImportModuleError", "Error: the sandbox has no code for this function");
    }
    await this.checkLogDelivery(rt, entry);
    return rt.invoke(entry.cfg, event, o);
  }

  /**
   * Lambda writes a function's logs with its execution role (Lambda guide, "Sending Lambda function
   * logs to CloudWatch Logs": the role needs logs:CreateLogStream and logs:PutLogEvents). Without
   * them AWS runs the function and drops its logs; the sandbox keeps them and says so.
   */
  private async checkLogDelivery(rt: Runtime, entry: FnEntry): Promise<void> {
    const { cfg } = entry;
    const key = `${cfg.region}/${cfg.name}`;
    const authority = this.opts.authority;
    if (!authority || !cfg.role || this.logsChecked.get(key) === cfg.generation) return;
    this.logsChecked.set(key, cfg.generation);
    const account = parseArn(cfg.arn).account;
    const group = this.functions.logGroupOf(cfg);
    const stream = `arn:aws:logs:${cfg.region}:${account}:log-group:${group}:log-stream:${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]sandbox`;
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
      const r = await authority.roleMay(cfg.role, cfg.name, { action, resource: stream });
      if (!r.allowed) rt.note(cfg.region, cfg.name, `sandbox: in AWS this function's logs would be lost: ${r.message}`);
    }
  }

  /** The Invoke API. */
  async invokeHttp(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const entry = this.functions.lookup(ref, req.region);
    if (!entry) {
      // Unknown to the sandbox: let moto answer (ResourceNotFoundException for a missing function).
      const probe = await next({ ...req, method: "GET", path: `${LAMBDA_API}/functions/${encodeURIComponent(parseFunctionRef(ref).name)}`, body: Buffer.alloc(0), query: new URLSearchParams() });
      if (probe.status >= 300) return probe;
      return lambdaError(500, "ServiceException", "The sandbox has no code for this function (it was created before the sandbox Lambda emulation started); redeploy it.");
    }
    const type = header(req, "x-amz-invocation-type") ?? "RequestResponse";
    if (type === "DryRun") return emptyAnswer(204);
    let event: unknown = {};
    if (req.body.length) {
      try {
        event = JSON.parse(req.body.toString("utf8"));
      } catch (e) {
        return lambdaError(400, "InvalidRequestContentException", `Could not parse request body into json: ${(e as Error).message}`);
      }
    }
    let clientContext: unknown;
    const cc = header(req, "x-amz-client-context");
    if (cc) {
      try {
        clientContext = JSON.parse(Buffer.from(cc, "base64").toString("utf8"));
      } catch {
        return lambdaError(400, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.");
      }
    }
    if (type === "Event") {
      const job = this.runAsync(entry, event, clientContext);
      this.asyncJobs.add(job);
      void job.finally(() => this.asyncJobs.delete(job));
      return emptyAnswer(202);
    }
    if (type !== "RequestResponse") return lambdaError(400, "InvalidParameterValueException", `Unsupported invocation type ${type}`);
    const out = await this.run(entry, event, { clientContext });
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

  /**
   * An asynchronous (Event) invocation: retried on error as the function's event invoke config
   * says (Lambda's default: twice), and dropped once older than its maximum event age.
   */
  private async runAsync(entry: FnEntry, event: unknown, clientContext: unknown): Promise<void> {
    const queued = Date.now();
    const policy = await asyncRetryPolicy(this.opts.motoEndpoint, entry.cfg, { retries: this.opts.asyncRetries ?? 2 });
    for (let attempt = 0; attempt <= policy.retries && !this.stopped(); attempt++) {
      if (policy.maxAgeMs !== undefined && Date.now() - queued > policy.maxAgeMs) {
        this.log(`lambda: async invocation of ${entry.cfg.name} dropped: older than its maximum event age`);
        return;
      }
      const current = this.functions.get(`${entry.cfg.region}/${entry.cfg.name}`) ?? entry;
      const out = await this.run(current, event, { clientContext }).catch((e: Error) => ({ kind: "error" as const, error: { errorMessage: e.message } }));
      if (out.kind === "ok") return;
      this.log(`lambda: async invocation of ${entry.cfg.name} failed (attempt ${attempt + 1} of ${policy.retries + 1}): ${out.error.errorMessage}`);
      if (attempt < policy.retries) await new Promise((r) => setTimeout(r, (this.opts.asyncRetryDelayMs ?? 1000) * (attempt + 1)));
    }
  }

  /** LambdaInvoker: resolves with the function's result, rejects as LambdaInvoker documents. */
  async invoke(fn: string, region: string, event: unknown, o: { timeoutMs?: number } = {}): Promise<unknown> {
    const entry = this.functions.lookup(fn, region);
    if (!entry) {
      const e = new Error(`Function not found: ${fn} in ${region}`);
      e.name = "ResourceNotFoundException";
      throw e;
    }
    const out = await this.run(entry, event, o);
    if (out.kind === "ok") return JSON.parse(out.payload) as unknown;
    const e = new Error(out.error.errorMessage) as Error & { errorType?: string; trace?: string[]; payload?: ErrorPayload };
    e.name = out.timedOut ? "TimeoutError" : "FunctionError";
    e.errorType = out.error.errorType;
    e.trace = out.error.trace;
    e.payload = out.error;
    throw e;
  }

  /** Waits (at most a second) for asynchronous invocations still running. */
  async drain(): Promise<void> {
    await Promise.race([Promise.allSettled([...this.asyncJobs]), new Promise((r) => setTimeout(r, 1000))]);
  }
}
