// The npm scripts the deploy workflow calls, run as child processes exactly as
// a person or the pipeline runs them, against a sandbox (environment `local`):
// DR before primary is refused, primary applies and smokes, the full smoke
// lists the DR side until DR is promoted, DR applies, everything smokes, and
// both stacks destroy (DR first). Also the refusals that need no tools.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../sandbox";
import { missingTools } from "../e2e/harness";

const ROOT = resolve(__dirname, "../..");

interface Run {
  code: number;
  out: string;
  seconds: number;
}

function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, env });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, out, seconds: (Date.now() - started) / 1000 }));
  });
}

/** The environment without any state bucket or sandbox settings from the caller's shell. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/STATE_BUCKET|_ALARM_|_SES_|^SANDBOX_ENDPOINT$|^LOCAL_STATE_DIR$|^LOCAL_STATE$|^DEPLOY_WORKDIR$/.test(k)) delete env[k];
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
});

const skip = missingTools();

describe.skipIf(skip !== undefined)("deploy:primary → smoke → deploy:dr → smoke → destroy against the sandbox", { timeout: 900_000 }, () => {
  let sandbox: Sandbox;
  let workDir: string;
  let env: NodeJS.ProcessEnv;
  const times: Record<string, number> = {};
  const deployed = { primary: false, dr: false };
  const step = async (label: string, script: string, args: string[]) => {
    const r = await npmRun(script, ["--env", "local", ...args], env);
    times[label] = r.seconds;
    console.log(`[pipeline] ${label}: exit ${r.code} in ${r.seconds.toFixed(1)} s`);
    return r;
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "cdr-pipeline-"));
    sandbox = await startSandbox({ port: 0, workDir });
    env = cleanEnv({
      SANDBOX_ENDPOINT: sandbox.endpoint,
      LOCAL_STATE_DIR: join(workDir, "state"),
      DEPLOY_WORKDIR: join(workDir, "deploy"),
    });
  });

  afterAll(async () => {
    // Best effort when a step failed half-way: leave nothing behind.
    if (deployed.dr) await step("cleanup destroy:dr", "destroy:dr", []);
    if (deployed.primary) await step("cleanup destroy:primary", "destroy:primary", []);
    await sandbox?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    console.log(`[pipeline] times (s): ${JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number(v.toFixed(1))])))}`);
  });

  it("refuses deploy:dr before the primary stack exists", async () => {
    const r = await step("deploy:dr before primary", "deploy:dr", []);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("apply the primary stack first");
  });

  it("deploy:primary applies the primary stack", async () => {
    deployed.primary = true;
    const r = await step("deploy:primary", "deploy:primary", []);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/✓ cdr-local-primary: Apply complete!/);
    expect(r.out).toMatch(/user_pool_id = us-east-1_/);
  });

  it("smoke: the primary stack passes; the full smoke lists only the DR side", async () => {
    const p = await step("smoke --stack primary", "smoke", ["--stack", "primary"]);
    expect(p.code, p.out).toBe(0);
    expect(p.out).toContain("all 3 smoke checks passed");
    const all = await step("smoke (before DR)", "smoke", []);
    expect(all.code, all.out).toBe(1);
    const failures = all.out.split("\n").filter((l) => /^\s+- \[/.test(l));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((l) => l.includes("[dr]")), failures.join("\n")).toBe(true);
    expect(failures.join("\n")).toContain("no user pool named cdr-local-users-dr");
  });

  it("deploy:dr promotes the DR stack and the full smoke passes", async () => {
    deployed.dr = true;
    const r = await step("deploy:dr", "deploy:dr", []);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/✓ cdr-local-dr: Apply complete!/);
    const s = await step("smoke (after DR)", "smoke", []);
    expect(s.code, s.out).toBe(0);
    expect(s.out).toContain("all 6 smoke checks passed");
  });

  // The rest of the promote-dr job, once the operator tools (another issue) are in package.json.
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  it.skipIf(!scripts.drift || !scripts.reconcile)("the rest of promote-dr: drift check and reconcile dry run pass on a fresh deployment", async () => {
    const d = await step("drift", "drift", []);
    expect(d.code, d.out).toBe(0);
    const r = await step("reconcile (dry run)", "reconcile", []);
    expect(r.code, r.out).toBe(0);
  });

  it("destroys the DR stack, then the primary", async () => {
    const d = await step("destroy:dr", "destroy:dr", []);
    expect(d.code, d.out).toBe(0);
    deployed.dr = false;
    const p = await step("destroy:primary", "destroy:primary", []);
    expect(p.code, p.out).toBe(0);
    deployed.primary = false;
    expect(p.out).toMatch(/Destroy complete!/);
  });
});
