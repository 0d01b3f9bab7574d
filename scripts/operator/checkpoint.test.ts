// The backfill's checkpoint file: replaced atomically, read back, refused when it is not one; one
// written before segmented listing (a single token) resumes as one walk from that token.
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
    writeText(path, JSON.stringify({ version: 2, tool: "backfill", pageIndex: 3, segments: { a: { token: "t" } } }));
    writeText(path, JSON.stringify({ version: 2, tool: "backfill", pageIndex: 4, segments: { a: { done: true }, b: { token: "t2" }, c: {} } }));
    expect(readCheckpoint(path)).toMatchObject({ pageIndex: 4, segments: { a: { done: true }, b: { token: "t2" }, c: {} } });
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

  it("reads a single-token (version 1) checkpoint as the one segment \"\" of the whole pool", () => {
    dir = mkdtempSync(join(tmpdir(), "ckpt-"));
    const path = join(dir, "c.json");
    const v1 = { version: 1, tool: "backfill", env: "local", mode: "table", primaryPoolId: "p", pageIndex: 7, counts: {}, failures: [], updatedAt: "x" };
    writeText(path, JSON.stringify({ ...v1, nextToken: "tok", done: false }));
    const read = readCheckpoint(path)!;
    expect(read).toMatchObject({ version: 2, pageIndex: 7, done: false, segments: { "": { token: "tok" } } });
    expect(read).not.toHaveProperty("nextToken");
    writeText(path, JSON.stringify({ ...v1, done: true }));
    expect(readCheckpoint(path)?.segments).toEqual({ "": { done: true } });
  });

  it("refuses a version 2 checkpoint without readable segment progress, saying what to do", () => {
    dir = mkdtempSync(join(tmpdir(), "ckpt-"));
    const path = join(dir, "c.json");
    for (const segments of [undefined, {}, { a: { token: 5 } }, { a: null }, { a: { done: "yes" } }]) {
      writeText(path, JSON.stringify({ version: 2, tool: "backfill", pageIndex: 1, segments }));
      expect(() => readCheckpoint(path)).toThrow(/has no readable segment progress .*; remove it or pass --restart/);
    }
    writeText(path, JSON.stringify({ version: 3, tool: "backfill" }));
    expect(() => readCheckpoint(path)).toThrow(/is not a backfill checkpoint/);
  });
});
