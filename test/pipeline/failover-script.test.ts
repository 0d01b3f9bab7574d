// `npm run failover`, run as the failover workflow runs it, against a stand-in terraform (no AWS):
// it applies nothing when the DR plan needs IAM's control plane (in us-east-1) or changes resources
// the DR promotion did not review (a checkout other than the commit the DR stack was deployed
// from), and says why. And `npm run deployed-commit`, the step before it that finds the commit the
// workflow checks out. The rehearsal that applies is test/e2e/dr-outage.test.ts.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTerraform, type FakeTerraform } from "../support/fake-terraform";
import { npmRun, ROOT } from "../support/npm-run";

const rev = (r: string) => spawnSync("git", ["rev-parse", "--verify", "--quiet", `${r}^{commit}`], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
const HEAD = rev("HEAD");
const OLDER = rev("HEAD~1");

let work: string;
let tf: FakeTerraform;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "cdr-failover-"));
  tf = fakeTerraform();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(tf.dir, { recursive: true, force: true });
});

function failover() {
  const env: NodeJS.ProcessEnv = { ...process.env, ...tf.env, DEV_STATE_BUCKET: "state-bucket", DEPLOY_COMMIT: HEAD, DEPLOY_WORKDIR: join(work, "deploy") };
  for (const k of ["GITHUB_STEP_SUMMARY", "GITHUB_RUN_ID", "DEPLOY_VARS", "CI", "ALLOW_DESTROY"]) delete env[k];
  return npmRun("failover", ["--env", "dev", "--confirm", "cdr-dev-dr"], env);
}
const applies = () => tf.calls().filter((c) => c[0] === "apply");
const change = (address: string, action: string) => ({ address, type: address.split(".")[0], change: { actions: [action] } });

describe("npm run failover refuses what it must not apply", { timeout: 180_000 }, () => {
  it("a DR plan that needs IAM: one line, nothing applied", async () => {
    tf.setOutputs({ deployed_commit: HEAD });
    tf.setPlan({ resource_changes: [change("aws_iam_role_policy.replicator", "update"), change("aws_lambda_function.replicate", "no-op")] });
    const r = await failover();
    expect(r.code, r.out).toBe(1);
    const line = r.out.split("\n").find((l) => l.startsWith("failover: "));
    expect(line, r.out).toMatch(/update aws_iam_role_policy\.replicator.*us-east-1/);
    expect(applies()).toEqual([]);
  });

  it.skipIf(!OLDER)("changes from a checkout that is not the deployed commit: the list, nothing applied", async () => {
    tf.setOutputs({ deployed_commit: OLDER });
    tf.setPlan({ resource_changes: [change("aws_lambda_function.replicate", "update")] });
    const r = await failover();
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`cdr-dev-dr was deployed from ${OLDER}, this checkout is ${HEAD}`);
    expect(r.out).toContain("  - update aws_lambda_function.replicate");
    expect(applies()).toEqual([]);
  });
});

describe("npm run deployed-commit", { timeout: 180_000 }, () => {
  it("prints the DR stack's deployed_commit output alone on stdout (the workflow captures it)", async () => {
    tf.setOutputs({ deployed_commit: OLDER || HEAD, user_pool_id: "us-west-2_x" });
    const env: NodeJS.ProcessEnv = { ...process.env, ...tf.env, DEV_STATE_BUCKET: "state-bucket", DEPLOY_WORKDIR: join(work, "deploy") };
    for (const k of ["GITHUB_STEP_SUMMARY", "DEPLOY_VARS", "CI", "DEPLOY_COMMIT"]) delete env[k];
    const stdout = await new Promise<string>((done, fail) => {
      const child = spawn("npm", ["run", "--silent", "deployed-commit", "--", "--env", "dev", "--stack", "dr"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("error", fail);
      child.on("close", (code) => (code === 0 ? done(out) : fail(new Error(`exit ${code}: ${out}`))));
    });
    expect(stdout).toBe(`${OLDER || HEAD}\n`);
    expect(tf.calls().at(-1)?.[0]).toBe("output");
  });
});
