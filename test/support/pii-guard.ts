// Captures everything written to stdout/stderr (Powertools Logger and Metrics write
// there directly) and fails the suite if an email address or phone number shows up.
// The detector is written independently of shared/redact.ts on purpose: a test
// that reused the redactor's own patterns could never catch a gap in them.
import { afterAll, beforeAll } from "vitest";

const EMAIL_ASCII = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/;
const EMAIL_UNICODE = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+/u;
const PHONE_E164 = /\+\d{7,15}(?!\d)/;
const PHONE_GROUPED = /\+\d{1,3}[ .-]\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]?\d{0,4}/;
const PHONE_NANP = /\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)/;

export type PersonalDataKind = "email" | "phone";

/** Which kinds of personal data `text` contains (empty when clean). */
export function findPersonalData(text: string): PersonalDataKind[] {
  const kinds: PersonalDataKind[] = [];
  if (EMAIL_ASCII.test(text) || EMAIL_UNICODE.test(text)) kinds.push("email");
  if (PHONE_E164.test(text) || PHONE_GROUPED.test(text) || PHONE_NANP.test(text)) kinds.push("phone");
  return kinds;
}

export function assertNoPersonalData(lines: readonly string[]): void {
  const leaks = lines
    .map((line, i) => ({ i, kinds: findPersonalData(line) }))
    .filter((l) => l.kinds.length > 0)
    .map((l) => `line ${l.i}: ${l.kinds.join("+")}: ${lines[l.i].slice(0, 300)}`);
  if (leaks.length > 0) throw new Error(`personal data in ${leaks.length} log line(s):\n${leaks.join("\n")}`);
}

export interface Capture {
  readonly lines: string[];
  restore(): void;
}

/** Replaces process.stdout/stderr.write until restore(); nested captures stack. */
export function captureOutput(options: { passThrough?: boolean } = {}): Capture {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
      lines.push(...text.split("\n").filter((l) => l.length > 0));
      if (options.passThrough) return (originals[i] as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });
  return {
    lines,
    restore: () => streams.forEach((s, i) => (s.write = originals[i] as typeof s.write)),
  };
}

/**
 * Call at the top of a test file: every line written while its tests run is kept
 * and checked in afterAll. Set SHOW_LOGS=1 to also see the output.
 */
export function installPiiGuard(): { lines: string[] } {
  const captured: { lines: string[] } = { lines: [] };
  let capture: Capture | undefined;
  beforeAll(() => {
    if (process.env.POWERTOOLS_DEV) throw new Error("unset POWERTOOLS_DEV: it routes logs around the PII guard");
    capture = captureOutput({ passThrough: process.env.SHOW_LOGS === "1" });
    captured.lines = capture.lines;
  });
  afterAll(() => {
    capture?.restore();
    assertNoPersonalData(captured.lines);
  });
  return captured;
}
