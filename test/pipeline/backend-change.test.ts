// A stack's work folder (cdktf.out/deploy/<env>) is kept between runs, and terraform remembers the
// backend it was initialised with (.terraform/terraform.tfstate). When the synthesized backend
// differs (another LOCAL_STATE_DIR, another state bucket), `terraform init` stops with "Backend
// configuration changed". For `local` a changed state location just works (init -reconfigure);
// for a real environment the runner refuses in one line naming the old and the new backend and the
// safe command, and never re-points the state by itself. Runs the runner the scripts use
// (runnerFor) against a stand-in terraform that answers init as terraform does; the sandbox test
// (deploy-scripts.test.ts) does the same with the real terraform.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environment } from "../../stacks/environments";
import { PipelineError } from "../../scripts/lib/errors";
import { runnerFor } from "../../scripts/lib/stacks";
import { fakeTerraform, type FakeTerraform } from "../support/fake-terraform";

let work: string;
let tf: FakeTerraform;
const saved = process.env.TERRAFORM_BIN;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "cdr-backend-"));
  tf = fakeTerraform();
  process.env.TERRAFORM_BIN = tf.env.TERRAFORM_BIN;
});
afterAll(() => {
  if (saved === undefined) delete process.env.TERRAFORM_BIN;
  else process.env.TERRAFORM_BIN = saved;
  rmSync(work, { recursive: true, force: true });
  rmSync(tf.dir, { recursive: true, force: true });
});

/** A stack folder initialised with backend `before` whose synthesized configuration now has `after`. */
function stackDir(name: string, before: { type: string; config: Record<string, unknown> }, after: Record<string, Record<string, unknown>>): string {
  const dir = join(work, name, "cdr-dev-primary");
  mkdirSync(join(dir, ".terraform"), { recursive: true });
  writeFileSync(join(dir, ".terraform", "terraform.tfstate"), JSON.stringify({ version: 3, backend: { ...before, hash: 1 } }));
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify({ terraform: { backend: after } }));
  return dir;
}
const inits = () => tf.calls().filter((c) => c[0] === "init");

describe("init after the state backend changed", () => {
  it("refuses for a real environment, in one line naming the old and new backend and the safe command", async () => {
    tf.setBackendChanged(true);
    const dir = stackDir(
      "dev",
      { type: "s3", config: { bucket: "old-bucket", key: "cognito-dr/dev/cdr-dev-primary.tfstate", region: "us-east-1", encrypt: true } },
      { s3: { bucket: "new-bucket", key: "cognito-dr/dev/cdr-dev-primary.tfstate", region: "us-east-1", encrypt: true } },
    );
    const before = inits().length;
    const e = await runnerFor(environment("dev", { DEV_STATE_BUCKET: "new-bucket" }), join(work, "dev"))
      .init(dir)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PipelineError);
    const msg = (e as Error).message;
    expect(msg.split("\n")).toHaveLength(1);
    expect(msg).toContain("from s3://old-bucket/cognito-dr/dev/cdr-dev-primary.tfstate (us-east-1) to s3://new-bucket/cognito-dr/dev/cdr-dev-primary.tfstate (us-east-1)");
    expect(msg).toContain(`terraform -chdir=${dir} init -migrate-state`);
    expect(inits().slice(before).some((c) => c.includes("-reconfigure")), "re-pointed the state").toBe(false);
  });

  it("just works for local: init again with -reconfigure, at the new state location", async () => {
    tf.setBackendChanged(true);
    const dir = stackDir("local", { type: "local", config: { path: "/tmp/a/cdr-dev-primary.tfstate" } }, { local: { path: "/tmp/b/cdr-dev-primary.tfstate" } });
    const before = inits().length;
    await runnerFor(environment("local", { LOCAL_STATE_DIR: "/tmp/b" }), join(work, "local")).init(dir);
    const ran = inits().slice(before);
    expect(ran).toHaveLength(2);
    expect(ran[1]).toContain("-reconfigure");
  });

  it("runs init once when nothing changed", async () => {
    tf.setBackendChanged(false);
    const dir = stackDir("same", { type: "local", config: { path: "/tmp/a/x.tfstate" } }, { local: { path: "/tmp/a/x.tfstate" } });
    const before = inits().length;
    await runnerFor(environment("dev", { DEV_STATE_BUCKET: "b" }), join(work, "same")).init(dir);
    expect(inits().slice(before)).toHaveLength(1);
  });
});
