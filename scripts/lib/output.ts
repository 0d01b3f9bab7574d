// What the commands print through: the io they write to (the process's, or a capture when one
// tool runs another, or a test), a one-line progress bar with rate and ETA on stderr, and the
// fixed-width tables of the human summaries.
//
// The progress bar stays hand-written (about 50 lines): it writes through the injectable io,
// which a packaged bar (cli-progress: a stream with cursor control) would not, and its line
// (count, rate, ETA from the average so far) is what the README and the tests describe.
import { performance } from "node:perf_hooks";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A one-line progress bar with rate and ETA on stderr; silent unless enabled. */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = performance.now();
  total?: number;

  constructor(
    private readonly label: string,
    private readonly io: CliIo,
    readonly enabled: boolean,
    total?: number,
  ) {
    this.total = total;
  }

  /** Shown on a terminal, or anywhere with --progress. */
  static for(label: string, io: CliIo, values: { progress?: unknown }, total?: number): Progress {
    return new Progress(label, io, io.isTTY || values.progress === true, total);
  }

  update(done: number, extra = ""): void {
    this.done = done;
    if (!this.enabled) return;
    const t = performance.now();
    if (t - this.lastDraw < (this.io.isTTY ? 200 : 2000)) return;
    this.lastDraw = t;
    this.draw(extra);
  }

  line(extra = ""): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const width = 24;
    if (this.total && this.total > 0) {
      const f = Math.min(1, this.done / this.total);
      const bar = "#".repeat(Math.round(f * width)).padEnd(width, ".");
      const eta = rate > 0 ? formatDuration((this.total - this.done) / rate) : "?";
      return `${this.label} [${bar}] ${this.done}/${this.total} ${Math.round(f * 100)}% ${rate.toFixed(1)}/s ETA ${eta}${extra ? ` ${extra}` : ""}`;
    }
    return `${this.label} ${this.done} ${rate.toFixed(1)}/s ${formatDuration(seconds)}${extra ? ` ${extra}` : ""}`;
  }

  private draw(extra: string): void {
    this.io.stderr(this.io.isTTY ? `\r\x1b[2K${this.line(extra)}` : `${this.line(extra)}\n`);
  }

  finish(extra = ""): void {
    if (!this.enabled) return;
    this.draw(extra);
    if (this.io.isTTY) this.io.stderr("\n");
  }
}

/** A fixed-width text table for the human summaries. */
export function table(rows: Array<Array<string | number>>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === "number" ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}
