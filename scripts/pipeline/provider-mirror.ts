// `npx tsx scripts/pipeline/provider-mirror.ts <dir>`: a filesystem mirror of hashicorp/aws at the pinned
// version (scripts/lib/tools.ts) in <dir>, made by `terraform providers mirror` from a generated
// one-provider configuration. Point TF_PLUGIN_DIR at it: terraform init then installs the provider
// from disk (offline, and not ~700 MB per init). CI builds it once per version and caches it
// (.github/actions/setup). Needs registry.terraform.io; does nothing when <dir> already has it.
// https://developer.hashicorp.com/terraform/cli/commands/providers/mirror
//
// PLATFORMS=linux_amd64,darwin_arm64 mirrors other platforms (default: this machine's).
// `--version` prints the pinned version (the CI cache key), from the one place it is written.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AWS_PROVIDER_VERSION, findTerraform, hasAwsProvider, hostPlatform, MIRROR_ENV, TERRAFORM_MISSING } from "../lib/tools";

function fail(message: string): never {
  console.error(`provider-mirror: ${message}`);
  process.exit(1);
}

const arg = process.argv[2];
if (arg === "--version") {
  console.log(AWS_PROVIDER_VERSION);
  process.exit(0);
}
if (!arg || arg.startsWith("-")) fail("usage: npx tsx scripts/pipeline/provider-mirror.ts <dir> | --version");

const dir = resolve(arg);
const platforms = (process.env.PLATFORMS || hostPlatform()).split(",").map((p) => p.trim()).filter(Boolean);
const missing = platforms.filter((p) => !hasAwsProvider(dir, p));
if (missing.length === 0) {
  console.log(`${dir} already mirrors hashicorp/aws ${AWS_PROVIDER_VERSION} (${platforms.join(", ")})`);
} else {
  const bin = findTerraform() ?? fail(TERRAFORM_MISSING);
  const config = mkdtempSync(join(tmpdir(), "provider-mirror-"));
  try {
    writeFileSync(join(config, "main.tf"), `terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "${AWS_PROVIDER_VERSION}"\n    }\n  }\n}\n`);
    const args = [`-chdir=${config}`, "providers", "mirror", ...missing.map((p) => `-platform=${p}`), dir];
    const r = spawnSync(bin, args, { stdio: "inherit", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    if (r.error) fail(`${bin}: ${r.error.message}`);
    if (r.status !== 0) fail(`terraform ${args.join(" ")} exited ${r.status}`);
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
  const still = missing.filter((p) => !hasAwsProvider(dir, p));
  if (still.length) fail(`terraform providers mirror finished but ${dir} has no hashicorp/aws ${AWS_PROVIDER_VERSION} for ${still.join(", ")}`);
}
console.log(`${MIRROR_ENV}=${dir}`);
