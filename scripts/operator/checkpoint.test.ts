// The backfill's checkpoint file: replaced atomically, read back, refused when it is not one.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readCheckpoint, writeText } from "./checkpoint";

describe("checkpoint file", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is replaced atomically and read back", () => {
    dir = mkdtempSync(join(tmpdir(), "ckpt-"));
    const path = join(dir, "sub", "c.json");
    writeText(path, JSON.stringify({ version: 1, tool: "backfill", pageIndex: 3 }));
    writeText(path, JSON.stringify({ version: 1, tool: "backfill", pageIndex: 4 }));
    expect(readCheckpoint(path)?.pageIndex).toBe(4);
    expect(readdirSync(join(dir, "sub"))).toEqual(["c.json"]); // no temporary file left
    expect(readCheckpoint(join(dir, "absent.json"))).toBeUndefined();
  });

  it("rejects a file that is not a checkpoint", () => {
    dir = mkdtempSync(join(tmpdir(), "ckpt-"));
    const path = join(dir, "c.json");
    writeText(path, "{ nope");
    expect(() => readCheckpoint(path)).toThrow(/is not valid JSON; remove it or pass --restart/);
    writeText(path, "{}");
    expect(() => readCheckpoint(path)).toThrow(/is not a backfill checkpoint/);
    expect(readFileSync(path, "utf8")).toBe("{}");
  });
});
