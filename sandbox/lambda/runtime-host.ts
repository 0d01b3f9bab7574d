// The Lambda emulation's Runtime, created on first use: its work directory (code and logs),
// the bootstrap every worker runs, and the credentials each function's workers get.

import { randomUUID } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { BOOTSTRAP_SOURCE } from "./bootstrap";
import { Runtime } from "./runtime";
import type { LambdaPluginOptions } from "./types";

export class RuntimeHost {
  readonly workDir: string;
  private readonly ownsWorkDir: boolean;
  private runtime: Runtime | undefined;
  private setup: Promise<Runtime> | undefined;

  constructor(private readonly opts: LambdaPluginOptions) {
    this.ownsWorkDir = !opts.workDir;
    this.workDir = opts.workDir ?? path.join(os.tmpdir(), `sandbox-lambda-${process.pid}-${randomUUID().slice(0, 8)}`);
  }

  /** The runtime if it has started (nothing to recycle or crash before that). */
  get current(): Runtime | undefined {
    return this.runtime;
  }

  ensure(): Promise<Runtime> {
    if (this.runtime) return Promise.resolve(this.runtime);
    const { opts } = this;
    const authority = opts.authority;
    this.setup ??= (async () => {
      await fs.mkdir(this.workDir, { recursive: true });
      const bootstrapPath = path.join(this.workDir, "bootstrap.cjs");
      await fs.writeFile(bootstrapPath, BOOTSTRAP_SOURCE);
      const logDir = opts.logToFile === false ? undefined : path.join(this.workDir, "logs");
      if (logDir) await fs.mkdir(logDir, { recursive: true });
      this.runtime = new Runtime({
        bootstrapPath,
        gatewayEndpoint: opts.gatewayEndpoint,
        logDir,
        maxConcurrency: opts.maxConcurrencyPerFunction ?? 10,
        idleTimeoutMs: opts.idleTimeoutMs ?? 5 * 60_000,
        logBufferLines: opts.logBufferLines ?? 2000,
        credentialsFor: (fn) => (fn.role && authority ? authority.credentials(fn.role, fn.name, `sandbox-lambda:${fn.name}`) : undefined),
      });
      return this.runtime;
    })();
    return this.setup;
  }

  /** Kills every worker (in-flight invocations end at once). */
  async stop(): Promise<void> {
    if (this.setup) await this.setup.catch(() => undefined);
    await this.runtime?.stop();
  }

  /** Removes the work directory when this host made it. */
  async removeWorkDir(): Promise<void> {
    if (this.ownsWorkDir) await fs.rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
