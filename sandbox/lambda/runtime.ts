// Local execution environments: one child `node` process per warm worker,
// reused across invocations (like Lambda's execution environments), up to a
// concurrency bound per function. A worker is killed when an invocation times
// out, when the process dies, when the function's code or configuration
// changes, after an idle period, and on stop.

import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { SessionCredentials } from "../types";
import { nodeForRuntime } from "./node";

export interface FunctionConfig {
  name: string;
  region: string;
  arn: string;
  handler: string;
  runtime: string;
  timeoutSec: number;
  memoryMb: number;
  env: Record<string, string>;
  role?: string;
  /** Directory holding the unzipped code (the task root). */
  taskRoot: string;
  /** Bumped on every code or configuration change. */
  generation: number;
}

export interface ErrorPayload {
  errorType?: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeOutcome =
  | { kind: "ok"; payload: string; requestId: string; logTail: string; durationMs: number }
  | { kind: "error"; error: ErrorPayload; requestId: string; logTail: string; durationMs: number; timedOut: boolean };

export interface LogLine {
  ts: number;
  stream: "stdout" | "stderr" | "platform";
  line: string;
}

export interface RuntimeOptions {
  bootstrapPath: string;
  gatewayEndpoint: string;
  /** Credentials of the function's execution role session (default: shared dummy keys naming the function). */
  credentialsFor?: (fn: FunctionConfig) => SessionCredentials | undefined;
  logDir?: string;
  maxConcurrency: number;
  idleTimeoutMs: number;
  logBufferLines: number;
}

interface Pending {
  id: string;
  resolve: (o: InvokeOutcome) => void;
  timer?: NodeJS.Timeout;
  lines: string[];
  started: number;
  timeoutSec: number;
  /** End markers seen on stdout/stderr. */
  markers: number;
  /** Set once the result arrived; resolves when the log markers are in. */
  tryFinish?: (force?: boolean) => void;
}

const END_MARKER = "\u0000SBX_END ";

class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<ErrorPayload | null>;
  busy = false;
  dead = false;
  lastUsed = Date.now();
  current?: Pending;
  invocations = 0;

  constructor(
    readonly fn: FunctionConfig,
    opts: RuntimeOptions,
    private readonly log: (stream: LogLine["stream"], line: string, w: Worker) => void,
  ) {
    const env = lambdaEnv(fn, opts);
    this.child = fork(opts.bootstrapPath, [], {
      cwd: fn.taskRoot,
      env,
      // The Node.js major the function's runtime names (nodejs22.x → Node 22), as in Lambda.
      execPath: nodeForRuntime(fn.runtime).path,
      execArgv: [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const s = this.child[stream];
      if (!s) continue;
      createInterface({ input: s }).on("line", (l) => {
        if (l.startsWith(END_MARKER)) {
          const p = this.current;
          if (p && l.slice(END_MARKER.length) === p.id) {
            p.markers++;
            p.tryFinish?.();
          }
          return;
        }
        this.log(stream, l, this);
      });
    }
    this.ready = new Promise((resolve) => {
      const onMsg = (m: { type?: string; error?: ErrorPayload }) => {
        if (m?.type === "ready") {
          cleanup();
          resolve(null);
        } else if (m?.type === "initError") {
          cleanup();
          resolve(m.error ?? { errorType: "Runtime.Unknown", errorMessage: "init failed" });
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        resolve({
          errorType: "Runtime.ExitError",
          errorMessage: `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
        });
      };
      const initTimer = setTimeout(() => {
        cleanup();
        resolve({ errorType: "Runtime.InitTimeout", errorMessage: "INIT_REPORT Init Duration: 10000 ms Phase: init Status: timeout" });
      }, 10_000);
      const cleanup = () => {
        clearTimeout(initTimer);
        this.child.off("message", onMsg);
        this.child.off("exit", onExit);
      };
      this.child.on("message", onMsg);
      this.child.on("exit", onExit);
    });
    this.child.on("exit", (code, signal) => {
      this.dead = true;
      const p = this.current;
      if (p?.tryFinish) {
        p.tryFinish(true); // the result is in; only log markers were outstanding
      } else if (p) {
        this.current = undefined;
        clearTimeout(p.timer);
        p.resolve({
          kind: "error",
          requestId: p.id,
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `RequestId: ${p.id} Error: Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
          },
          logTail: p.lines.join("\n"),
          durationMs: Date.now() - p.started,
          timedOut: false,
        });
      }
    });
    this.child.on("error", () => {
      this.dead = true;
    });
    this.child.on("message", (m: { type?: string; id?: string; ok?: boolean; payload?: string; error?: ErrorPayload }) => {
      if (m?.type !== "result" || !this.current || m.id !== this.current.id || this.current.tryFinish) return;
      const p = this.current;
      clearTimeout(p.timer);
      const durationMs = Date.now() - p.started;
      // Resolve once both pipes delivered the end marker (all log lines are in), or after a short grace.
      p.tryFinish = (force = false) => {
        if (this.current !== p || (!force && p.markers < 2)) return;
        clearTimeout(grace);
        this.current = undefined;
        if (m.ok) p.resolve({ kind: "ok", payload: m.payload ?? "null", requestId: p.id, logTail: p.lines.join("\n"), durationMs });
        else
          p.resolve({
            kind: "error",
            error: m.error ?? { errorMessage: "unknown error" },
            requestId: p.id,
            logTail: p.lines.join("\n"),
            durationMs,
            timedOut: false,
          });
      };
      const grace = setTimeout(() => p.tryFinish?.(true), 200);
      p.tryFinish();
    });
  }

  kill(): void {
    if (!this.dead) {
      this.dead = true;
      try {
        this.child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}

export function lambdaEnv(fn: FunctionConfig, opts: Pick<RuntimeOptions, "gatewayEndpoint" | "credentialsFor">): Record<string, string> {
  const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomUUID().replace(/-/g, "")}`;
  const runtime = fn.runtime || "nodejs22.x";
  // In AWS these are the execution role's temporary credentials; the sandbox's identify the role
  // session to the gateway's authorizer, and the session token names the function (faults can
  // target one function's calls).
  const creds = opts.credentialsFor?.(fn) ?? {
    accessKeyId: "ASIASANDBOXLAMBDA000",
    secretAccessKey: "sandbox-lambda-secret-access-key",
    sessionToken: `sandbox-lambda:${fn.name}`,
  };
  return {
    ...fn.env,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_SESSION_TOKEN: creds.sessionToken,
    AWS_ENDPOINT_URL: opts.gatewayEndpoint,
    LAMBDA_TASK_ROOT: fn.taskRoot,
    LAMBDA_RUNTIME_DIR: path.dirname(fn.taskRoot),
    _HANDLER: fn.handler,
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    PATH: "/usr/local/bin:/usr/bin:/bin",
  };
}

interface FunctionPool {
  workers: Set<Worker>;
  waiters: (() => void)[];
  stats: { invocations: number; errors: number; timeouts: number; coldStarts: number; throttlesQueued: number };
}

export class Runtime {
  private pools = new Map<string, FunctionPool>();
  private logs = new Map<string, LogLine[]>();
  private files = new Map<string, WriteStream>();
  private reaper: NodeJS.Timeout;
  private stopped = false;
  /** Armed crashes per function: the next `count` invocations (of at least `minRecords` records) die after `afterMs`. */
  private crashes = new Map<string, { afterMs: number; count: number; minRecords: number }>();

  constructor(private readonly opts: RuntimeOptions) {
    this.reaper = setInterval(() => this.reapIdle(), Math.min(30_000, Math.max(1000, opts.idleTimeoutMs / 2)));
    this.reaper.unref();
  }

  private key(fn: { region: string; name: string }): string {
    return `${fn.region}/${fn.name}`;
  }

  private pool(key: string): FunctionPool {
    let p = this.pools.get(key);
    if (!p) {
      p = { workers: new Set(), waiters: [], stats: { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0, throttlesQueued: 0 } };
      this.pools.set(key, p);
    }
    return p;
  }

  /** Adds a platform line to a function's log (what the sandbox has to say about an invocation). */
  note(region: string, name: string, line: string): void {
    this.appendLog(this.key({ region, name }), "platform", line);
  }

  appendLog(key: string, stream: LogLine["stream"], line: string): void {
    let buf = this.logs.get(key);
    if (!buf) {
      buf = [];
      this.logs.set(key, buf);
    }
    buf.push({ ts: Date.now(), stream, line });
    if (buf.length > this.opts.logBufferLines) buf.splice(0, buf.length - this.opts.logBufferLines);
    if (this.opts.logDir) {
      let f = this.files.get(key);
      if (!f) {
        const file = path.join(this.opts.logDir, `${key.replace("/", "__")}.log`);
        f = createWriteStream(file, { flags: "a" });
        f.on("error", () => undefined);
        this.files.set(key, f);
      }
      f.write(`${new Date().toISOString()} [${stream}] ${line}\n`);
    }
  }

  /**
   * Makes the next `count` invocations of a function crash (the process exits,
   * as on an out-of-memory kill) `afterMs` after they start: a fault for tests.
   */
  armCrash(region: string, name: string, afterMs: number, count = 1, minRecords = 0): void {
    this.crashes.set(this.key({ region, name }), { afterMs, count, minRecords });
  }

  private takeCrash(key: string, event: unknown): number | undefined {
    const c = this.crashes.get(key);
    if (!c) return undefined;
    // A crash meant for the middle of a batch waits for a batch big enough to have a middle.
    const records = (event as { Records?: unknown[] } | null)?.Records?.length ?? 0;
    if (records < c.minRecords) return undefined;
    if (--c.count <= 0) this.crashes.delete(key);
    return c.afterMs;
  }

  getLogs(region: string, name: string): LogLine[] {
    return [...(this.logs.get(`${region}/${name}`) ?? [])];
  }

  /** Kills every worker of a function (code or configuration changed, function deleted). */
  recycle(region: string, name: string): void {
    const p = this.pools.get(`${region}/${name}`);
    if (!p) return;
    for (const w of p.workers) {
      // A busy worker finishes its invocation on the old code, then is dropped (it has a stale generation).
      if (!w.busy) {
        w.kill();
        p.workers.delete(w);
      }
    }
  }

  async invoke(fn: FunctionConfig, event: unknown, opts: { timeoutMs?: number; clientContext?: unknown } = {}): Promise<InvokeOutcome> {
    if (this.stopped) throw new Error("sandbox Lambda runtime is stopped");
    const key = this.key(fn);
    const p = this.pool(key);
    p.stats.invocations++;
    const worker = await this.acquire(fn, p);
    const requestId = randomUUID();
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? fn.timeoutSec * 1000;
    this.appendLog(key, "platform", `START RequestId: ${requestId} Version: $LATEST`);
    let outcome: InvokeOutcome;
    try {
      const initError = await worker.ready;
      if (initError) {
        worker.kill();
        outcome = {
          kind: "error",
          error: initError,
          requestId,
          logTail: "",
          durationMs: Date.now() - started,
          timedOut: false,
        };
      } else {
        outcome = await new Promise<InvokeOutcome>((resolve) => {
          const pending: Pending = { id: requestId, resolve, lines: [], started: Date.now(), timeoutSec: timeoutMs / 1000, markers: 0 };
          worker.current = pending;
          pending.timer = setTimeout(() => {
            if (worker.current !== pending) return;
            worker.current = undefined;
            worker.kill();
            const msg = `${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
            this.appendLog(key, "platform", msg);
            resolve({
              kind: "error",
              error: {
                errorType: "Sandbox.Timedout",
                errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
              },
              requestId,
              logTail: [...pending.lines, msg].join("\n"),
              durationMs: Date.now() - pending.started,
              timedOut: true,
            });
          }, timeoutMs);
          const crashAfter = this.takeCrash(key, event);
          if (crashAfter !== undefined) {
            setTimeout(() => {
              if (worker.current !== pending) return;
              this.appendLog(key, "platform", `${requestId} sandbox: crashing the execution environment as requested`);
              worker.kill();
            }, crashAfter);
          }
          const sent = worker.child.send(
            {
              type: "invoke",
              id: requestId,
              event,
              context: {
                functionName: fn.name,
                functionVersion: "$LATEST",
                invokedFunctionArn: fn.arn,
                memoryLimitInMB: fn.memoryMb,
                awsRequestId: requestId,
                logGroupName: `/aws/lambda/${fn.name}`,
                logStreamName: "sandbox",
                deadlineMs: Date.now() + timeoutMs,
                clientContext: opts.clientContext,
              },
            },
            (err) => {
              if (err && worker.current === pending) {
                worker.current = undefined;
                clearTimeout(pending.timer);
                worker.kill();
                resolve({
                  kind: "error",
                  error: { errorType: "Runtime.ExitError", errorMessage: `RequestId: ${requestId} Error: Runtime exited: ${err.message}` },
                  requestId,
                  logTail: pending.lines.join("\n"),
                  durationMs: Date.now() - pending.started,
                  timedOut: false,
                });
              }
            },
          );
          void sent;
        });
      }
    } finally {
      this.release(fn, p, worker);
    }
    const d = outcome.durationMs;
    this.appendLog(key, "platform", `END RequestId: ${requestId}`);
    this.appendLog(
      key,
      "platform",
      `REPORT RequestId: ${requestId}\tDuration: ${d.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(d))} ms\tMemory Size: ${fn.memoryMb} MB${outcome.kind === "error" && outcome.timedOut ? "\tStatus: timeout" : ""}`,
    );
    if (outcome.kind === "error") {
      p.stats.errors++;
      if (outcome.timedOut) p.stats.timeouts++;
    }
    return outcome;
  }

  private async acquire(fn: FunctionConfig, p: FunctionPool): Promise<Worker> {
    for (;;) {
      for (const w of p.workers) {
        if (w.dead || w.fn.generation !== fn.generation) {
          if (!w.busy) {
            w.kill();
            p.workers.delete(w);
          }
          continue;
        }
        if (!w.busy) {
          w.busy = true;
          return w;
        }
      }
      const live = [...p.workers].filter((w) => !w.dead).length;
      if (live < this.opts.maxConcurrency) {
        const key = this.key(fn);
        p.stats.coldStarts++;
        const w = new Worker(fn, this.opts, (stream, line, worker) => {
          this.appendLog(key, stream, line);
          worker.current?.lines.push(line);
        });
        w.busy = true;
        p.workers.add(w);
        return w;
      }
      p.stats.throttlesQueued++;
      await new Promise<void>((resolve) => p.waiters.push(resolve));
      if (this.stopped) throw new Error("sandbox Lambda runtime is stopped");
    }
  }

  private release(fn: FunctionConfig, p: FunctionPool, w: Worker): void {
    w.busy = false;
    w.lastUsed = Date.now();
    w.invocations++;
    if (w.dead || w.fn.generation !== fn.generation || this.stopped) {
      w.kill();
      p.workers.delete(w);
    }
    const next = p.waiters.shift();
    if (next) next();
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const p of this.pools.values()) {
      for (const w of p.workers) {
        if (!w.busy && now - w.lastUsed > this.opts.idleTimeoutMs) {
          w.kill();
          p.workers.delete(w);
        }
      }
    }
  }

  stats(): Record<string, { warm: number; busy: number; invocations: number; errors: number; timeouts: number; coldStarts: number; queued: number }> {
    const out: Record<string, { warm: number; busy: number; invocations: number; errors: number; timeouts: number; coldStarts: number; queued: number }> = {};
    for (const [key, p] of this.pools) {
      const live = [...p.workers].filter((w) => !w.dead);
      out[key] = {
        warm: live.length,
        busy: live.filter((w) => w.busy).length,
        invocations: p.stats.invocations,
        errors: p.stats.errors,
        timeouts: p.stats.timeouts,
        coldStarts: p.stats.coldStarts,
        queued: p.waiters.length,
      };
    }
    return out;
  }

  /** Pids of live workers (tests use it to see reuse). */
  workerPids(region: string, name: string): number[] {
    const p = this.pools.get(`${region}/${name}`);
    return p ? [...p.workers].filter((w) => !w.dead && w.child.pid).map((w) => w.child.pid!) : [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    const exits: Promise<void>[] = [];
    for (const p of this.pools.values()) {
      for (const w of p.workers) {
        if (w.child.exitCode === null && w.child.signalCode === null) {
          exits.push(new Promise((r) => w.child.once("exit", () => r())));
        }
        w.kill();
      }
      p.workers.clear();
      for (const waiter of p.waiters.splice(0)) waiter();
    }
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000))]);
    await Promise.all(
      [...this.files.values()].map((f) => new Promise<void>((r) => f.end(() => r()))),
    );
    this.files.clear();
  }
}
