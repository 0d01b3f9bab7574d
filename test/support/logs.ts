// The log lines a handler wrote, parsed: what an on-call engineer searches for (the message) and
// what they need to act on it (ids, the reason). Metrics (EMF) lines are left out.
export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** Log lines among `lines[from..]` (lines captured by installPiiGuard). */
export function logLines(lines: readonly string[], from = 0): LogLine[] {
  const out: LogLine[] = [];
  for (const line of lines.slice(from)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const l = parsed as Partial<LogLine>;
    if (typeof l?.level === "string" && typeof l.message === "string") out.push(l as LogLine);
  }
  return out;
}

/** Marks the capture now; `read()` returns the log lines written since. */
export function logsFrom(captured: { lines: string[] }): { read(): LogLine[] } {
  const from = captured.lines.length;
  return { read: () => logLines(captured.lines, from) };
}
