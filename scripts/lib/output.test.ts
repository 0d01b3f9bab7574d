// The progress bar: silent unless asked for, and its line.
import { describe, expect, it } from "vitest";
import { captureIo } from "../../test/support/cli-io";
import { formatDuration, Progress } from "./output";

describe("progress", () => {
  it("is silent unless stderr is a terminal or --progress is given", () => {
    const io = captureIo(false);
    const p = Progress.for("x", io, {}, 10);
    p.update(5);
    p.finish();
    expect(io.err).toBe("");
    const forced = Progress.for("backfill", io, { progress: true }, 10);
    forced.finish();
    expect(io.err).toMatch(/^backfill \[\.+\] 0\/10 0% 0\.0\/s ETA \?/);
  });

  it("formats durations", () => {
    expect([formatDuration(5), formatDuration(125), formatDuration(7300)]).toEqual(["5s", "2m05s", "2h01m"]);
  });
});
