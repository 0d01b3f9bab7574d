// Runs `npm run gameday` as people do (a child process: fresh sandbox, the real
// local stacks, cut, restore, teardown) with shorter phases, and checks its exit
// code and JSON report.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { NativeGameDayReport } from "../../scripts/drills/gameday-native";
import type { GameDayReport } from "../../scripts/drills/gameday-report";
import { AUTHZ_REPORT_DIR, missingTools } from "./harness";

const skip = missingTools();
const ROOT = resolve(__dirname, "../..");

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "drills", "gameday.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, SANDBOX_AUTHZ_REPORT_DIR: AUTHZ_REPORT_DIR },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, output }));
  });
}

describe.skipIf(skip)("game day (sandbox, real stacks)", () => {
  const dir = mkdtempSync(join(tmpdir(), "cdr-gameday-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("cuts the primary off and passes: RPO 0 for users ≥ 2 s old, DR sign-in with the canonical id, backlog drains; two-way: DR sign-ups and changes fail back", { timeout: 900_000 }, async () => {
    const out = join(dir, "report.json");
    const { code, output } = await run(["--out", out, "--warmup-s", "8", "--outage-s", "6"]);
    expect(existsSync(out), output).toBe(true);
    const report = JSON.parse(readFileSync(out, "utf8")) as GameDayReport;
    expect(report.failures, output).toEqual([]);
    expect(code, output).toBe(0);
    expect(report.pass).toBe(true);
    expect(report.cut.eligible).toBeGreaterThan(10);
    expect(report.rpo.usersMissing).toBe(0);
    expect(report.rto.ms).toBeGreaterThanOrEqual(0);
    expect(report.signIn.succeeded).toBe(report.signIn.attempted);
    expect(report.signIn.canonicalIdOk).toBe(report.signIn.attempted);
    expect(report.signIn.primaryRefusedDuringOutage).toBe(true);
    expect(report.population.failedDuringOutage).toBeGreaterThan(0);
    expect(report.restore.lost).toEqual([]);
    // The failback phase (two-way mode, the game day's default).
    const fb = report.failback!;
    expect(fb, output).toBeDefined();
    expect(fb.usersMadeInDr).toBeGreaterThanOrEqual(3);
    expect(fb.changesMadeInDr).toBe(6);
    expect(fb.drainMs).toBeGreaterThanOrEqual(0);
    expect(fb.lost).toEqual([]);
    expect(fb.duplicated).toBe(0);
    expect(fb.parked).toBe(0);
    expect(fb.signIn.attempted).toBeGreaterThan(0);
    expect(fb.signIn.succeeded).toBe(fb.signIn.attempted);
    expect(fb.signIn.canonicalIdOk).toBe(fb.signIn.attempted);
    expect(fb.signUpGate).toEqual({ refusedBeforeFailover: true, refusedAfterFailback: true });
    expect(fb.conflicts).toMatchObject({ planted: 1, detected: true, merged: false });
    expect(output).toMatch(/failback: \d+ users and 6 changes made in/);
    expect(output).toMatch(/game day PASSED/);
    expect(output).toMatch(/stopping the sandbox/);
  });

  it("native mode: existing users sign in at DR with the same sub and tokens that verify in both Regions; DR sign-up and admin create refused as documented; failback without a data step", { timeout: 900_000 }, async () => {
    const out = join(dir, "native.json");
    const { code, output } = await run(["--mode", "native", "--out", out, "--warmup-s", "6", "--outage-s", "4"]);
    expect(existsSync(out), output).toBe(true);
    const report = JSON.parse(readFileSync(out, "utf8")) as NativeGameDayReport;
    expect(report.failures, output).toEqual([]);
    expect(code, output).toBe(0);
    expect(report.mode).toBe("native");
    expect(report.cut.eligible).toBeGreaterThan(5);
    expect(report.rpo.usersMissing).toBe(0);
    expect(report.signIn).toMatchObject({ attempted: 5, succeeded: 5, sameSub: 5, canonicalIdOk: 5, verifiedInBothRegions: 5, primaryRefusedDuringOutage: true });
    expect(report.signIn.issuer).toMatch(/^https:\/\/issuer-cognito-idp\.us-east-1\.amazonaws\.com\/us-east-1_/);
    expect(report.documentedLimits.map((l) => [l.operation, l.refused, l.error])).toEqual([
      ["SignUp", true, "OperationNotEnabledException"],
      ["AdminCreateUser", true, "OperationNotEnabledException"],
    ]);
    expect(report.failback.dataSteps).toBe(0);
    expect(report.failback.signUpsAfterRestore).toBeGreaterThan(0);
    expect(report.failback.missing).toEqual([]);
    expect(output).toMatch(/game day \(native\) PASSED/);
  });
});
