// The npm scripts the deploy workflow calls, run as child processes exactly as the pipeline runs
// them, against a sandbox (environment `local`): the reviewed-plan flow (plan --out → apply --plan
// → smoke, primary then DR, then drift and reconcile) and its refusals: a plan applied from another
// commit, a plan applied twice (stale), a commit older than the deployed one without --rollback, a
// second state location for `local` in the same work folder (it just works),
// the DR stack before the primary, a destroy without --confirm or under CI. Also the refusals that
// need no tools.
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "@cognito-dr/sandbox";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { missingTools } from "../e2e/harness";
import { npmRun, ROOT } from "../support/npm-run";

/** The environment without any state bucket or sandbox settings from the caller's shell. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Also what GitHub's runner sets: these tests choose CI and GITHUB_ACTIONS themselves.
  for (const k of Object.keys(env)) if (/STATE_BUCKET|_ALARM_|_SES_|^SANDBOX_ENDPOINT$|^LOCAL_STATE_DIR$|^LOCAL_STATE$|^DEPLOY_WORKDIR$|^DEPLOY_COMMIT$|^DEPLOY_VARS$|^GITHUB_|^CI$/.test(k)) delete env[k];
  return { ...env, ...extra };
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

describe("deploy scripts refuse what cannot work", () => {
  it("a real environment without a state bucket", async () => {
    const r = await npmRun("deploy:primary", ["--env", "dev"], cleanEnv({}));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/dev: Terraform state buckets not configured; set DEV_STATE_BUCKET/);
  });

  it("prod without alarm subscribers or SES email, one line each naming the variables", async () => {
    const r = await npmRun("plan", ["--env", "prod"], cleanEnv({ PROD_STATE_BUCKET: "state-bucket" }));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/prod: alarm notifications not configured; set PROD_ALARM_EMAILS; PROD_ALARM_HTTPS_ENDPOINT; PROD_ALARM_TOPIC_ARN \+ PROD_DR_ALARM_TOPIC_ARN/);
    expect(r.out).toMatch(/prod: SES email not configured; set PROD_SES_FROM; PROD_SES_IDENTITY/);
    expect(r.out).not.toMatch(/state buckets/);
  });

  it("`local` with no sandbox running, saying how to start one", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const r = await npmRun("deploy:primary", ["--env", "local"], cleanEnv({ SANDBOX_ENDPOINT: endpoint }));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`no sandbox at ${endpoint}`);
    expect(r.out).toContain("npm run sandbox");
  });

  it("an unknown environment", async () => {
    const r = await npmRun("smoke", ["--env", "qa"], cleanEnv({}));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/--env must be one of local, dev, staging, prod/);
  });

  it("a destroy that does not name the stack, and any destroy of a real environment under CI", async () => {
    const missing = await npmRun("destroy:dr", ["--env", "dev"], cleanEnv({ DEV_STATE_BUCKET: "b" }));
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("confirm by naming it: --confirm cdr-dev-dr");
    const wrong = await npmRun("destroy:primary", ["--env", "dev", "--confirm", "cdr-dev-dr"], cleanEnv({ DEV_STATE_BUCKET: "b" }));
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain("(got --confirm cdr-dev-dr)");
    const ci = await npmRun("destroy:dr", ["--env", "dev", "--confirm", "cdr-dev-dr"], cleanEnv({ DEV_STATE_BUCKET: "b", CI: "true" }));
    expect(ci.code).toBe(1);
    expect(ci.out).toContain("destroy is never run by CI (CI=true)");
  });

  it("a direct apply of a real environment inside GitHub Actions (it applies reviewed plans)", async () => {
    const r = await npmRun("deploy:primary", ["--env", "dev"], cleanEnv({ DEV_STATE_BUCKET: "b", GITHUB_ACTIONS: "true" }));
    expect(r.code).toBe(1);
    expect(r.out).toContain("go through a reviewed plan");
  });

  it("apply without a stack or a plan folder", async () => {
    const noStack = await npmRun("apply", ["--env", "local", "--plan", "nowhere"], cleanEnv({}));
    expect(noStack.code).toBe(1);
    expect(noStack.out).toContain("--stack primary|dr is required");
    const noPlan = await npmRun("apply", ["--env", "local", "--stack", "primary", "--plan", join(tmpdir(), "no-such-plan")], cleanEnv({}));
    expect(noPlan.code).toBe(1);
    expect(noPlan.out).toMatch(/no reviewed plan of cdr-local-primary in .*no-such-plan/);
  });
});

const skip = missingTools();
const git = (...args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
const HEAD = git("rev-parse", "HEAD").stdout.trim();
/** An older commit of main, when the checkout has history (CI checks out with fetch-depth: 0). */
const OLDER = git("rev-parse", "HEAD~1").stdout.trim() || undefined;

describe.skipIf(skip !== undefined)("reviewed plans: plan → apply → smoke, primary then DR, against the sandbox", { timeout: 1_200_000 }, () => {
  let sandbox: Sandbox;
  let workDir: string;
  let env: NodeJS.ProcessEnv;
  const times: Record<string, number> = {};
  const deployed = { primary: false, dr: false };
  const plans = () => join(workDir, "plans");
  const step = async (label: string, script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = await npmRun(script, ["--env", "local", ...args], { ...env, ...extra });
    times[label] = r.seconds;
    console.log(`[pipeline] ${label}: exit ${r.code} in ${r.seconds.toFixed(1)} s`);
    return r;
  };
  const meta = (stack: string) => JSON.parse(readFileSync(join(plans(), `${stack}.meta.json`), "utf8")) as { commit: string; changes: boolean; counts: Record<string, number>; refused: string[] };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "cdr-pipeline-"));
    sandbox = await startLocalAws({ port: 0, workDir });
    env = cleanEnv({
      SANDBOX_ENDPOINT: sandbox.endpoint,
      LOCAL_STATE_DIR: join(workDir, "state"),
      DEPLOY_WORKDIR: join(workDir, "deploy"),
      DEPLOY_COMMIT: HEAD,
    });
  });

  afterAll(async () => {
    // Best effort when a step failed half-way: leave nothing behind.
    if (deployed.dr) await step("cleanup destroy:dr", "destroy:dr", ["--confirm", "cdr-local-dr"]);
    if (deployed.primary) await step("cleanup destroy:primary", "destroy:primary", ["--confirm", "cdr-local-primary"]);
    await sandbox?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    console.log(`[pipeline] times (s): ${JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number(v.toFixed(1))])))}`);
  });

  it("refuses the DR stack before the primary stack exists (deploy:dr), and plans it as skipped", async () => {
    const r = await step("deploy:dr before primary", "deploy:dr", []);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("apply the primary stack first");
    const p = await step("plan dr before primary", "plan", ["--stack", "dr", "--out", plans()]);
    expect(p.code, p.out).toBe(0);
    expect(p.out).toMatch(/cdr-local-dr: skipped .*apply the primary stack first/);
  });

  it("plans the primary stack to a file, with its JSON, text and meta (commit, counts)", async () => {
    const r = await step("plan primary", "plan", ["--stack", "primary", "--out", plans()]);
    expect(r.code, r.out).toBe(0);
    for (const ext of ["tfplan", "plan.json", "plan.txt", "meta.json"]) expect(existsSync(join(plans(), `cdr-local-primary.${ext}`)), ext).toBe(true);
    const m = meta("cdr-local-primary");
    expect(m).toMatchObject({ commit: HEAD, changes: true, refused: [] });
    expect(m.counts.create).toBeGreaterThan(10);
  });

  it("refuses to apply that plan from another commit", async () => {
    const r = await step("apply primary from another commit", "apply", ["--stack", "primary", "--plan", plans()], { DEPLOY_COMMIT: "0".repeat(40) });
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`the plan was made from ${HEAD}, this checkout is ${"0".repeat(40)}`);
  });

  it("applies exactly the reviewed plan, leaves evidence, and smokes", async () => {
    deployed.primary = true;
    const r = await step("apply primary", "apply", ["--stack", "primary", "--plan", plans(), "--evidence", join(workDir, "evidence")]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/✓ cdr-local-primary: applied the reviewed plan of/);
    const evidence = JSON.parse(readFileSync(join(workDir, "evidence", "cdr-local-primary.evidence.json"), "utf8")) as Record<string, unknown>;
    expect(evidence).toMatchObject({ env: "local", stack: "cdr-local-primary", commit: HEAD, planSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(evidence.stateSerial).toEqual(expect.any(Number));
    expect((evidence.outputs as Record<string, string>).deployed_commit).toBe(HEAD);
    expect(readFileSync(join(workDir, "evidence", "cdr-local-primary.apply.log"), "utf8")).toMatch(/Apply complete!/);
    const s = await step("smoke primary", "smoke", ["--stack", "primary"]);
    expect(s.code, s.out).toBe(0);
    expect(s.out).toContain("all 4 smoke checks passed");
  });

  it("plans `local` again with another LOCAL_STATE_DIR in the same work folder: the new state location just works", async () => {
    // The work folder keeps .terraform from the first init; terraform alone would stop with
    // "Backend configuration changed".
    const moved = join(workDir, "moved-plans");
    const r = await step("plan primary, another LOCAL_STATE_DIR", "plan", ["--stack", "primary", "--read-only", "--no-order-check", "--out", moved], { LOCAL_STATE_DIR: join(workDir, "state-2") });
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain("Backend configuration changed");
    // An empty state there: everything would be created.
    expect((JSON.parse(readFileSync(join(moved, "cdr-local-primary.meta.json"), "utf8")) as { counts: { create: number } }).counts.create).toBeGreaterThan(10);
  });

  it("refuses the same plan a second time: terraform says it is stale", async () => {
    const r = await step("apply primary again", "apply", ["--stack", "primary", "--plan", plans()]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("Saved plan is stale");
    expect(r.out).toContain("plan again and review the new plan");
  });

  it.skipIf(!OLDER)("refuses a commit older than the deployed one, unless it is a rollback", async () => {
    const r = await step("plan primary at HEAD~1", "plan", ["--stack", "primary", "--out", join(workDir, "old-plans")], { DEPLOY_COMMIT: OLDER });
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`cdr-local-primary was last applied from ${HEAD}, which is newer than ${OLDER}`);
    expect(r.out).toContain("--rollback");
    const rb = await step("plan primary at HEAD~1 --rollback", "plan", ["--stack", "primary", "--rollback", "--out", join(workDir, "old-plans")], { DEPLOY_COMMIT: OLDER });
    expect(rb.code, rb.out).toBe(0);
  });

  it("plans and applies the DR stack the same way; the whole environment smokes, drift and reconcile pass", async () => {
    const p = await step("plan dr", "plan", ["--stack", "dr", "--out", plans()]);
    expect(p.code, p.out).toBe(0);
    expect(meta("cdr-local-dr")).toMatchObject({ commit: HEAD, changes: true, refused: [] });
    deployed.dr = true;
    const a = await step("apply dr", "apply", ["--stack", "dr", "--plan", plans()]);
    expect(a.code, a.out).toBe(0);
    const s = await step("smoke (all)", "smoke", []);
    expect(s.code, s.out).toBe(0);
    expect(s.out).toContain("all 7 smoke checks passed");
    const d = await step("drift", "drift", []);
    expect(d.code, d.out).toBe(0);
    const r = await step("reconcile (dry run)", "reconcile", []);
    expect(r.code, r.out).toBe(0);
  });

  it("a read-only plan afterwards finds nothing to change (drift detection's exit 0)", async () => {
    const r = await step("plan --read-only --fail-on-changes", "plan", ["--read-only", "--no-order-check", "--fail-on-changes", "--out", join(workDir, "drift")]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/= cdr-local-primary: No changes/);
    expect(r.out).toMatch(/= cdr-local-dr: No changes/);
  });

  it("destroys the DR stack, then the primary, each named", async () => {
    const d = await step("destroy:dr", "destroy:dr", ["--confirm", "cdr-local-dr"]);
    expect(d.code, d.out).toBe(0);
    deployed.dr = false;
    const p = await step("destroy:primary", "destroy:primary", ["--confirm", "cdr-local-primary"]);
    expect(p.code, p.out).toBe(0);
    deployed.primary = false;
    expect(p.out).toMatch(/Destroy complete!/);
  });
});
