// What the operator tools' unit tests share: an io that captures what a command prints, and the
// message of the usage error (CliError) a call throws.
import { expect } from "vitest";
import { CliError } from "../../scripts/lib/errors";
import type { CliIo } from "../../scripts/lib/output";

export function captureIo(isTTY = false): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    isTTY,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  };
  return io;
}

export const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as CliError).message;
  }
  throw new Error("expected a CliError");
};
