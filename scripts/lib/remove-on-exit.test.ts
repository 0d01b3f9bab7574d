// In a child process, as an operator's run ends: normally, by process.exit, by Ctrl-C or SIGTERM
// (which end Node without its finally blocks). The file is gone each time, and a signal still ends
// the process as that signal.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const MODULE = resolve(__dirname, "remove-on-exit.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts a child that registers removal of a fresh file, then runs `then`; resolves with how it ended. */
async function child(then: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; file: string; removals: number }> {
  const dir = mkdtempSync(join(tmpdir(), "remove-on-exit-"));
  dirs.push(dir);
  const file = join(dir, "listing.jsonl");
  writeFileSync(file, "x\n");
  const script = `
    import { appendFileSync, rmSync } from "node:fs";
    import { removeOnExit } from ${JSON.stringify(MODULE)};
    const release = removeOnExit(() => { appendFileSync(${JSON.stringify(join(dir, "removals"))}, "."); rmSync(${JSON.stringify(file)}, { force: true }); });
    process.stdout.write("ready\\n");
    ${then}
  `;
  writeFileSync(join(dir, "child.ts"), script);
  const proc = spawn(process.execPath, ["--import", "tsx", join(dir, "child.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  if (signal) {
    await new Promise<void>((ready) => proc.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && ready()));
    proc.kill(signal);
  }
  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => proc.on("exit", (c, s) => done([c, s])));
  const removals = existsSync(join(dir, "removals")) ? readFileSync(join(dir, "removals"), "utf8").length : 0;
  return { code, signal: sig, file, removals };
}

const WAIT = "setInterval(() => undefined, 1000);";

describe("removeOnExit", { timeout: 30_000 }, () => {
  it("removes once when the run ends normally, or by process.exit with its code", async () => {
    const normal = await child("");
    expect(normal).toMatchObject({ code: 0, removals: 1 });
    expect(existsSync(normal.file)).toBe(false);
    const exited = await child("process.exit(3);");
    expect(exited).toMatchObject({ code: 3, removals: 1 });
  });

  it("removes once when the run releases it first (its finally), not again at exit", async () => {
    const released = await child("release(); release();");
    expect(released).toMatchObject({ code: 0, removals: 1 });
  });

  it.each(["SIGINT", "SIGTERM"] as const)("removes on %s and still ends as that signal", async (signal) => {
    const ended = await child(WAIT, signal);
    expect(ended).toMatchObject({ code: null, signal, removals: 1 });
    expect(existsSync(ended.file)).toBe(false);
  });
});
