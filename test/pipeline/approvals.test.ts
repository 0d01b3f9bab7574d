// Who approved a deploy is part of its evidence. GitHub answers "Get the review history for a
// workflow run" (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals) only to a token with
// actions: read; in a private repository a token without it gets 403. That answer must fail the
// apply step with its status before anything is applied, not become "approved by nobody
// recorded". Runs `npm run apply` as the workflow does, with a stand-in terraform and a local
// stand-in for api.github.com (GITHUB_API_URL).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals } from "../../scripts/pipeline/github";
import { fakeTerraform, type FakeTerraform } from "../support/fake-terraform";
import { npmRun, ROOT } from "../support/npm-run";

const FORBIDDEN = "403";
const APPROVED = "7";

let server: Server;
let api: string;
let work: string;
let tf: FakeTerraform;

beforeAll(async () => {
  server = createServer((req, res) => {
    const run = req.url?.match(/^\/repos\/acme\/cdr\/actions\/runs\/(\d+)\/approvals$/)?.[1];
    if (run === FORBIDDEN) return void res.writeHead(403, { "content-type": "application/json" }).end('{"message":"Resource not accessible by integration"}');
    if (run === APPROVED) return void res.writeHead(200).end(JSON.stringify([{ user: { login: "alice" }, environments: [{ name: "prod" }], state: "approved", comment: "" }]));
    res.writeHead(404).end('{"message":"Not Found"}');
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  work = mkdtempSync(join(tmpdir(), "cdr-approvals-"));
  tf = fakeTerraform();
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(work, { recursive: true, force: true });
  rmSync(tf.dir, { recursive: true, force: true });
});

describe("the approvals of a run, for the evidence", () => {
  const ctx = () => ({ apiUrl: api, repository: "acme/cdr", token: "t0ken" });

  it("are read when GitHub answers 200", async () => {
    expect(await approvals(ctx(), APPROVED)).toEqual([{ user: "alice", environments: ["prod"], state: "approved", comment: "" }]);
  });

  it("fail with GitHub's status when it answers anything else (403 without actions: read)", async () => {
    await expect(approvals(ctx(), FORBIDDEN)).rejects.toThrow(/HTTP 403.*actions: read/);
  });

  it("npm run apply stops on that answer before applying anything", { timeout: 180_000 }, async () => {
    const commit = spawnSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
    const plans = join(work, "plan");
    mkdirSync(plans, { recursive: true });
    writeFileSync(join(plans, "cdr-dev-primary.tfplan"), "a reviewed plan");
    const meta = { env: "dev", stack: "cdr-dev-primary", role: "primary", commit, createdAt: new Date().toISOString(), readOnly: true, rollback: false, changes: true, counts: { create: 1, update: 0, delete: 0, replace: 0 }, destructive: [], refused: [] };
    writeFileSync(join(plans, "cdr-dev-primary.meta.json"), JSON.stringify(meta));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...tf.env,
      DEV_STATE_BUCKET: "state-bucket",
      DEPLOY_COMMIT: commit,
      DEPLOY_WORKDIR: join(work, "deploy"),
      GITHUB_API_URL: api,
      GITHUB_REPOSITORY: "acme/cdr",
      GITHUB_TOKEN: "t0ken",
      GITHUB_RUN_ID: FORBIDDEN,
    };
    for (const k of ["GITHUB_STEP_SUMMARY", "DEPLOY_VARS", "CI"]) delete env[k];
    const r = await npmRun("apply", ["--env", "dev", "--stack", "primary", "--plan", plans, "--evidence", join(work, "evidence")], env);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/GitHub answered HTTP 403/);
    expect(tf.calls().filter((c) => c[0] === "apply"), "terraform apply runs").toEqual([]);
  });
});
