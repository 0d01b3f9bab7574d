// terraform itself checks two-way and native stacks against the provider schema (hashicorp/aws
// 5.100.0, the pinned one): `npm run validate` sees only the default (one-way) stacks, so the DR
// stack's sign-up and change capture, its trail in the DR region, the primary's replicator on its
// own table's stream, and native mode's pool key and secondary lookup would otherwise reach
// terraform first at deploy time.
import { App } from "cdktf";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stackDirs, synthApp } from "../../stacks/app";
import { environment } from "../../stacks/environments";
import { findTerraform, terraformEnv } from "../../scripts/lib/tools";

const terraform = findTerraform();
if (!terraform && process.env.CI === "true") throw new Error("terraform is required when CI=true (TERRAFORM_BIN or PATH)");

function validate(mode: string): void {
  const dir = mkdtempSync(join(tmpdir(), `cdr-${mode}-validate-`));
  try {
    const env = environment("prod", { PROD_REPLICATION_MODE: mode, PROD_STATE_BUCKET: "acme-tf" });
    const app = new App({ outdir: join(dir, "out") });
    synthApp(app, [env]);
    app.synth();
    const tfEnv = terraformEnv(join(dir, "tf"));
    for (const [role, cwd] of Object.entries(stackDirs(join(dir, "out"), env))) {
      execFileSync(terraform!, ["init", "-backend=false", "-input=false", "-no-color"], { cwd, env: tfEnv, stdio: "pipe" });
      const out = JSON.parse(execFileSync(terraform!, ["validate", "-json", "-no-color"], { cwd, env: tfEnv, encoding: "utf8" })) as { valid: boolean; diagnostics: unknown[] };
      expect(out, role).toMatchObject({ valid: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!terraform)("terraform validate (two-way, native)", () => {
  it("accepts prod's primary and DR stacks in two-way mode", { timeout: 240_000 }, () => validate("two-way"));
  it("accepts prod's primary and DR stacks in native mode", { timeout: 240_000 }, () => validate("native"));
});
