// deploy.yml's guard decides which commit a run deploys. A dispatch must run from main: GitHub
// matches an environment's deployment branch rule against the run's GITHUB_REF, and a
// workflow_dispatch runs on a branch or a tag, never a commit, so a rollback names its commit in
// the `commit` input instead. That commit must be on main (an ancestor of it); the plan step then
// refuses it unless it is older than the deployed one (commit-order.test.ts). Runs the guard's own
// script, read from the parsed workflow, with bash as GitHub runs it, in a clone of a scratch
// repository (main, a tag, a branch beside main).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../support/npm-run";

interface Step {
  id?: string;
  run?: string;
  env?: Record<string, string>;
}
const deploy = parse(readFileSync(join(ROOT, ".github", "workflows", "deploy.yml"), "utf8")) as {
  on: { workflow_dispatch: { inputs: Record<string, { type: string; default?: unknown }> } };
  jobs: Record<string, { steps?: Step[]; outputs?: Record<string, string>; with?: Record<string, unknown> }>;
};
const pick = deploy.jobs.guard.steps!.find((s) => s.id === "pick")!;

let dir: string;
let clone: string;
const sha: Record<string, string> = {};

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cdr-guard-"));
  const origin = join(dir, "origin.git");
  const work = join(dir, "work");
  git(dir, "init", "-q", "--bare", "-b", "main", origin);
  git(dir, "clone", "-q", origin, work);
  for (const name of ["c1", "c2", "c3"]) {
    writeFileSync(join(work, "f"), name);
    git(work, "add", "f");
    git(work, "commit", "-q", "-m", name);
    sha[name] = git(work, "rev-parse", "HEAD");
  }
  git(work, "tag", "v1", sha.c1);
  git(work, "checkout", "-q", "-b", "feature", sha.c2);
  writeFileSync(join(work, "f"), "f1");
  git(work, "commit", "-q", "-am", "f1");
  sha.f1 = git(work, "rev-parse", "HEAD");
  git(work, "push", "-q", "origin", "main", "feature", "v1");
  // What actions/checkout leaves with fetch-depth: 0: every branch and tag, HEAD at main's head.
  clone = join(dir, "checkout");
  git(dir, "clone", "-q", origin, clone);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The guard's script with these inputs; its exit code, outputs and messages. */
function guard(vars: { EVENT: string; REF: string; COMMIT?: string; TESTED?: string }) {
  const output = join(dir, `output-${Math.random()}`);
  writeFileSync(output, "");
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", pick.run!], {
    cwd: clone,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, COMMIT: "", TESTED: "", ...vars, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: join(dir, "summary") },
  });
  const outputs = Object.fromEntries(readFileSync(output, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]));
  return { code: r.status, outputs, out: r.stdout + r.stderr };
}

describe("deploy.yml guard: which commit a run deploys", () => {
  it("reads the dispatch's ref, the commit input and CI's commit from the workflow's contexts", () => {
    expect(pick.env).toEqual({
      EVENT: "${{ github.event_name }}",
      REF: "${{ github.ref }}",
      COMMIT: "${{ inputs.commit }}",
      TESTED: "${{ github.event.workflow_run.head_sha }}",
    });
    expect(deploy.on.workflow_dispatch.inputs.commit).toMatchObject({ type: "string", default: "" });
    expect(deploy.on.workflow_dispatch.inputs).not.toHaveProperty("rollback");
    expect(deploy.jobs.guard.outputs).toMatchObject({ commit: "${{ steps.pick.outputs.commit }}", rollback: "${{ steps.pick.outputs.rollback }}" });
    expect(deploy.jobs.chosen.with).toMatchObject({ commit: "${{ needs.guard.outputs.commit }}", rollback: "${{ needs.guard.outputs.rollback == 'true' }}" });
  });

  it("dispatched from main without a commit: the head of main, no rollback", () => {
    const r = guard({ EVENT: "workflow_dispatch", REF: "refs/heads/main" });
    expect(r.code, r.out).toBe(0);
    expect(r.outputs).toEqual({ commit: sha.c3, rollback: "false" });
  });

  it("dispatched from main with an older commit of main (or its tag): that commit, as a rollback", () => {
    const r = guard({ EVENT: "workflow_dispatch", REF: "refs/heads/main", COMMIT: sha.c2 });
    expect(r.code, r.out).toBe(0);
    expect(r.outputs).toEqual({ commit: sha.c2, rollback: "true" });
    const tag = guard({ EVENT: "workflow_dispatch", REF: "refs/heads/main", COMMIT: "v1" });
    expect(tag.code, tag.out).toBe(0);
    expect(tag.outputs).toEqual({ commit: sha.c1, rollback: "true" });
  });

  it("refuses a dispatch from a tag or another branch: the environments admit only main", () => {
    for (const ref of ["refs/tags/v1", "refs/heads/feature"]) {
      const r = guard({ EVENT: "workflow_dispatch", REF: ref, COMMIT: sha.c1 });
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain(`run the deploy workflow from main, not ${ref}`);
    }
  });

  it("refuses a commit that is not on main, or is no commit at all", () => {
    const beside = guard({ EVENT: "workflow_dispatch", REF: "refs/heads/main", COMMIT: sha.f1 });
    expect(beside.code, beside.out).toBe(1);
    expect(beside.out).toContain(`${sha.f1} is not on main`);
    for (const bad of ["no-such-ref", "--output=/tmp/x"]) {
      const r = guard({ EVENT: "workflow_dispatch", REF: "refs/heads/main", COMMIT: bad });
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain("is not a commit of this repository");
    }
  });

  it("after CI: the commit CI tested, only while it is still the head of main", () => {
    const head = guard({ EVENT: "workflow_run", REF: "refs/heads/main", TESTED: sha.c3 });
    expect(head.code, head.out).toBe(0);
    expect(head.outputs).toEqual({ commit: sha.c3, rollback: "false" });
    const old = guard({ EVENT: "workflow_run", REF: "refs/heads/main", TESTED: sha.c2 });
    expect(old.code, old.out).toBe(1);
    expect(old.out).toContain("not deploying an older commit");
  });
});
