// `npm run providers:lock`: writes the provider lock file of each stack (stacks/locks/<role>.terraform.lock.hcl)
// with `terraform providers lock -platform=linux_amd64` (GitHub's runners and this project's CI),
// from the filesystem mirror when one is found (offline) or the registry. Every terraform init
// copies the stack's lock in first and runs with `-lockfile=readonly`: a provider whose checksum
// differs from the committed one is refused instead of installed.
//
// More platforms (a laptop's darwin_arm64, say) need the registry: PLATFORMS=linux_amd64,darwin_arm64.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { synthLocal } from "../lib/local-deploy";
import { LOCKS_DIR } from "../lib/terraform";
import { findProviderMirror, findTerraform, TERRAFORM_MISSING, terraformEnv } from "../lib/tools";

const bin = findTerraform();
if (!bin) throw new Error(TERRAFORM_MISSING);
const work = resolve("cdktf.out", "providers-lock");
mkdirSync(work, { recursive: true });
const dirs = synthLocal("http://127.0.0.1:4599", work);
const mirror = findProviderMirror();
const platforms = (process.env.PLATFORMS ?? "linux_amd64").split(",").map((p) => p.trim()).filter(Boolean);
for (const role of ["primary", "dr"] as const) {
  const args = ["providers", "lock", ...(mirror ? [`-fs-mirror=${mirror}`] : []), ...platforms.map((p) => `-platform=${p}`)];
  const r = spawnSync(bin, args, { cwd: dirs[role], env: terraformEnv(join(work, "cli"), mirror), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`terraform ${args.join(" ")} failed for the ${role} stack:\n${r.stdout}${r.stderr}`);
  mkdirSync(LOCKS_DIR, { recursive: true });
  copyFileSync(join(dirs[role], ".terraform.lock.hcl"), join(LOCKS_DIR, `${role}.terraform.lock.hcl`));
  console.log(`✓ ${role}: ${join(LOCKS_DIR, `${role}.terraform.lock.hcl`)} (${platforms.join(", ")}; from ${mirror ?? "the registry"})`);
}
