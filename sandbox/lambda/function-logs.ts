// Each function's log: a ring buffer of stdout/stderr and platform (START/END/REPORT) lines per
// function, mirrored to `<logDir>/<region>__<name>.log` when a directory is given.

import { createWriteStream, type WriteStream } from "node:fs";
import * as path from "node:path";
import type { LogLine } from "./types";

export class FunctionLogs {
  private logs = new Map<string, LogLine[]>();
  private files = new Map<string, WriteStream>();

  constructor(
    private readonly bufferLines: number,
    private readonly logDir: string | undefined,
  ) {}

  /** `key`: `<region>/<name>`. */
  append(key: string, stream: LogLine["stream"], line: string): void {
    let buf = this.logs.get(key);
    if (!buf) {
      buf = [];
      this.logs.set(key, buf);
    }
    buf.push({ ts: Date.now(), stream, line });
    if (buf.length > this.bufferLines) buf.splice(0, buf.length - this.bufferLines);
    if (this.logDir) {
      let f = this.files.get(key);
      if (!f) {
        const file = path.join(this.logDir, `${key.replace("/", "__")}.log`);
        f = createWriteStream(file, { flags: "a" });
        f.on("error", () => undefined);
        this.files.set(key, f);
      }
      f.write(`${new Date().toISOString()} [${stream}] ${line}\n`);
    }
  }

  get(key: string): LogLine[] {
    return [...(this.logs.get(key) ?? [])];
  }

  /** Flushes and closes the mirror files. */
  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((r) => f.end(() => r()))));
    this.files.clear();
  }
}
