// redrive's help.
import { describe, expect, it } from "vitest";
import { captureIo } from "../../test/support/cli-io";
import { EXIT } from "../lib/errors";
import { redrive } from "./redrive";

describe("redrive's command line", () => {
  it("redrive --help prints usage with the exit codes", async () => {
    const io = captureIo();
    expect(await redrive.execute(["--help"], io)).toBe(EXIT.OK);
    expect(io.out).toMatch(/--reason <code>/);
    expect(io.out).toMatch(/Exit codes:\n {2}0 {2}success/);
  });
});
