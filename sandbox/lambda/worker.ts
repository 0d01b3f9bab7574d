// One warm execution environment: a child `node` process running the bootstrap with the
// function's own environment, fed one invocation at a time over IPC. Its stdout/stderr lines
// are the function's log; an end marker on both pipes says an invocation's lines are all in.

import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { SessionCredentials } from "../types";
import { nodeForRuntime } from "./node";
import type { ErrorPayload, FunctionConfig, InvokeOutcome, LogLine } from "./types";

export interface WorkerOptions {
  bootstrapPath: string;
  gatewayEndpoint: string;
  /** Credentials of the function's execution role session (default: shared dummy keys naming the function). */
  credentialsFor?: (fn: FunctionConfig) => SessionCredentials | undefined;
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

export class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<ErrorPayload | null>;
  busy = false;
  dead = false;
  lastUsed = Date.now();
  current?: Pending;
  invocations = 0;

  constructor(
    readonly fn: FunctionConfig,
    opts: WorkerOptions,
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

  /**
   * Runs one invocation (the worker is ready and this caller holds it): resolves with the result,
   * or an error when it runs past `timeoutMs` (the worker is killed, as Lambda ends a timed-out
   * environment), or when the process dies. `crashAfterMs`: kill it that long after the start (a
   * fault for tests). `note` adds a platform line to the function's log.
   */
  run(invocation: { requestId: string; event: unknown; timeoutMs: number; crashAfterMs?: number; clientContext?: unknown }, note: (line: string) => void): Promise<InvokeOutcome> {
    const { requestId, event, timeoutMs, crashAfterMs } = invocation;
    const fn = this.fn;
    return new Promise<InvokeOutcome>((resolve) => {
      const pending: Pending = { id: requestId, resolve, lines: [], started: Date.now(), timeoutSec: timeoutMs / 1000, markers: 0 };
      this.current = pending;
      pending.timer = setTimeout(() => {
        if (this.current !== pending) return;
        this.current = undefined;
        this.kill();
        const msg = `${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
        note(msg);
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
      if (crashAfterMs !== undefined) {
        setTimeout(() => {
          if (this.current !== pending) return;
          note(`${requestId} sandbox: crashing the execution environment as requested`);
          this.kill();
        }, crashAfterMs);
      }
      const sent = this.child.send(
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
            clientContext: invocation.clientContext,
          },
        },
        (err) => {
          if (err && this.current === pending) {
            this.current = undefined;
            clearTimeout(pending.timer);
            this.kill();
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

export function lambdaEnv(fn: FunctionConfig, opts: Pick<WorkerOptions, "gatewayEndpoint" | "credentialsFor">): Record<string, string> {
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
