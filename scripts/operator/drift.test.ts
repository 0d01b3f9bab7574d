// drift's help.
import { describe, expect, it } from "vitest";
import { captureIo } from "../../test/support/cli-io";
import { EXIT } from "../lib/errors";
import { drift } from "./drift";

describe("drift's command line", () => {
  it("drift --help prints usage with the exit codes", async () => {
    const io = captureIo();
    expect(await drift.execute(["--help"], io)).toBe(EXIT.OK);
    expect(io.out).toMatch(/code SHA-256/);
    expect(io.out).toMatch(/Exit codes:\n {2}0 {2}success/);
  });
});
