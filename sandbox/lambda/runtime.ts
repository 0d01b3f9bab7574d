// Local execution environments: one child `node` process per warm worker (worker.ts),
// reused across invocations (like Lambda's execution environments), up to a
// concurrency bound per function. A worker is killed when an invocation times
// out, when the process dies, when the function's code or configuration
// changes, after an idle period, and on stop.

import { randomUUID } from "node:crypto";
import { FunctionLogs } from "./function-logs";
import type { FunctionConfig, InvokeOutcome, LogLine } from "./types";
import { Worker, type WorkerOptions } from "./worker";

export type { ErrorPayload, FunctionConfig, InvokeOutcome, LogLine } from "./types";

export interface RuntimeOptions extends WorkerOptions {
  logDir?: string;
  maxConcurrency: number;
  idleTimeoutMs: number;
  logBufferLines: number;
}

interface FunctionPool {
  workers: Set<Worker>;
  waiters: (() => void)[];
  stats: { invocations: number; errors: number; timeouts: number; coldStarts: number; throttlesQueued: number; durationMs: number; billedMs: number; logBytes: number };
}

/** What the runtime reports per function: the pool's state and its counters since start. */
export interface RuntimeFunctionStats {
  warm: number;
  busy: number;
  invocations: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
  queued: number;
  /** Sum of finished invocations' durations (what REPORT says), and of their billed (whole ms) durations: the cost benchmark's inputs. */
  durationMs: number;
  billedMs: number;
  /** Bytes of every log line the function's invocations produced (its stdout/stderr and the platform's START/END/REPORT), as CloudWatch Logs would ingest them. */
  logBytes: number;
}

export class Runtime {
  private pools = new Map<string, FunctionPool>();
  private readonly logs: FunctionLogs;
  private reaper: NodeJS.Timeout;
  private stopped = false;
  /** Armed crashes per function: the next `count` invocations (of at least `minRecords` records) die after `afterMs`. */
  private crashes = new Map<string, { afterMs: number; count: number; minRecords: number }>();

  constructor(private readonly opts: RuntimeOptions) {
    this.logs = new FunctionLogs(opts.logBufferLines, opts.logDir);
    this.reaper = setInterval(() => this.reapIdle(), Math.min(30_000, Math.max(1000, opts.idleTimeoutMs / 2)));
    this.reaper.unref();
  }

  private key(fn: { region: string; name: string }): string {
    return `${fn.region}/${fn.name}`;
  }

  private pool(key: string): FunctionPool {
    let p = this.pools.get(key);
    if (!p) {
      p = { workers: new Set(), waiters: [], stats: { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0, throttlesQueued: 0, durationMs: 0, billedMs: 0, logBytes: 0 } };
      this.pools.set(key, p);
    }
    return p;
  }

  /** Adds a platform line to a function's log (what the sandbox has to say about an invocation). */
  note(region: string, name: string, line: string): void {
    this.appendLog(this.key({ region, name }), "platform", line);
  }

  appendLog(key: string, stream: LogLine["stream"], line: string): void {
    // A newline ends each line in CloudWatch's event, and every byte is ingested.
    this.pool(key).stats.logBytes += Buffer.byteLength(line) + 1;
    this.logs.append(key, stream, line);
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
    return this.logs.get(`${region}/${name}`);
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
        const crashAfterMs = this.takeCrash(key, event);
        outcome = await worker.run({ requestId, event, timeoutMs, crashAfterMs, clientContext: opts.clientContext }, (line) => this.appendLog(key, "platform", line));
      }
    } finally {
      this.release(fn, p, worker);
    }
    const d = outcome.durationMs;
    p.stats.durationMs += d;
    p.stats.billedMs += Math.max(1, Math.ceil(d));
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

  stats(): Record<string, RuntimeFunctionStats> {
    const out: Record<string, RuntimeFunctionStats> = {};
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
        durationMs: p.stats.durationMs,
        billedMs: p.stats.billedMs,
        logBytes: p.stats.logBytes,
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
    await this.logs.close();
  }
}
