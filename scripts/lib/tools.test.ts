// Tool discovery (scripts/lib/tools.ts) over temporary directory trees, and the mirror builder
// (scripts/pipeline/provider-mirror.ts) driven against a stand-in terraform that records what it was asked.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AWS_PROVIDER_VERSION, findProviderMirror, findTerraform, hostPlatform, MIRROR_ENV, PROVIDER_MIRROR_MISSING, TERRAFORM_MISSING } from "./tools";

const ROOT = resolve(__dirname, "../..");
const AWS = ["registry.terraform.io", "hashicorp", "aws"];
let tmp: string;
beforeEach(() => void (tmp = mkdtempSync(join(tmpdir(), "tools-test-"))));
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A mirror root at `dir`: packed (what `terraform providers mirror` writes) or unpacked (a plugin cache). */
function mirrorAt(dir: string, layout: "packed" | "unpacked", version = AWS_PROVIDER_VERSION): string {
  if (layout === "packed") {
    mkdirSync(join(dir, ...AWS), { recursive: true });
    writeFileSync(join(dir, ...AWS, `terraform-provider-aws_${version}_${hostPlatform()}.zip`), "");
  } else {
    mkdirSync(join(dir, ...AWS, version, hostPlatform()), { recursive: true });
  }
  return dir;
}

/** An environment that sees nothing of this machine: home and XDG folders inside tmp. */
const isolated = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: join(tmp, "home"), XDG_DATA_DIRS: join(tmp, "share"), PATH: "", ...extra });

describe("findProviderMirror", () => {
  it(`takes $${MIRROR_ENV} first, in either layout`, () => {
    mirrorAt(join(tmp, "home", ".terraform.d", "plugins"), "packed");
    expect(findProviderMirror(isolated({ [MIRROR_ENV]: mirrorAt(join(tmp, "a"), "packed") }), [])).toBe(join(tmp, "a"));
    expect(findProviderMirror(isolated({ [MIRROR_ENV]: mirrorAt(join(tmp, "b"), "unpacked") }), [])).toBe(join(tmp, "b"));
  });

  it(`fails, saying how to fix it, when $${MIRROR_ENV} lacks the pinned version`, () => {
    const env = isolated({ [MIRROR_ENV]: mirrorAt(join(tmp, "old"), "packed", "5.0.0") });
    expect(() => findProviderMirror(env, [])).toThrow(`${MIRROR_ENV}=${join(tmp, "old")} has no registry.terraform.io/hashicorp/aws ${AWS_PROVIDER_VERSION}`);
    expect(() => findProviderMirror(env, [])).toThrow(/scripts\/pipeline\/provider-mirror\.ts/);
  });

  it("finds terraform's plugin folders: ~/.terraform.d, $XDG_DATA_HOME, each of $XDG_DATA_DIRS", () => {
    const home = mirrorAt(join(tmp, "home", ".terraform.d", "plugins"), "unpacked");
    expect(findProviderMirror(isolated(), [])).toBe(home);
    rmSync(join(tmp, "home"), { recursive: true });
    const data = mirrorAt(join(tmp, "data", "terraform", "plugins"), "packed");
    expect(findProviderMirror(isolated({ XDG_DATA_HOME: join(tmp, "data") }), [])).toBe(data);
    const shared = mirrorAt(join(tmp, "b", "terraform", "plugins"), "packed");
    expect(findProviderMirror(isolated({ XDG_DATA_DIRS: `${join(tmp, "a")}:${join(tmp, "b")}` }), [])).toBe(shared);
  });

  it("finds a plugin cache ($TF_PLUGIN_CACHE_DIR) and a mirror packaged one level under a package root", () => {
    const cache = mirrorAt(join(tmp, "cache"), "unpacked");
    expect(findProviderMirror(isolated({ TF_PLUGIN_CACHE_DIR: cache }), [])).toBe(cache);
    const packaged = mirrorAt(join(tmp, "opt", "any-name"), "unpacked");
    expect(findProviderMirror(isolated(), [join(tmp, "opt")])).toBe(packaged);
  });

  it("finds nothing (the scripts then use the registry) when no mirror has the pinned version", () => {
    mirrorAt(join(tmp, "home", ".terraform.d", "plugins"), "unpacked", "5.99.0");
    expect(findProviderMirror(isolated(), [join(tmp, "opt")])).toBeUndefined();
    // What the tests print or throw then says what is missing and how to get it.
    expect(PROVIDER_MIRROR_MISSING).toContain(`hashicorp/aws ${AWS_PROVIDER_VERSION}`);
    expect(PROVIDER_MIRROR_MISSING).toContain("npx tsx scripts/pipeline/provider-mirror.ts <dir>");
    expect(PROVIDER_MIRROR_MISSING).toContain(`${MIRROR_ENV}=<dir>`);
  });
});

describe("findTerraform", () => {
  it("takes $TERRAFORM_BIN, else terraform on PATH, else nothing (and the message says how to install it)", () => {
    mkdirSync(join(tmp, "bin"));
    expect(findTerraform(isolated({ PATH: join(tmp, "bin") }))).toBeUndefined();
    writeFileSync(join(tmp, "bin", "terraform"), "");
    expect(findTerraform(isolated({ PATH: join(tmp, "bin") }))).toBe(join(tmp, "bin", "terraform"));
    expect(findTerraform(isolated({ PATH: join(tmp, "bin"), TERRAFORM_BIN: "/x/tf" }))).toBe("/x/tf");
    expect(TERRAFORM_MISSING).toMatch(/developer\.hashicorp\.com\/terraform\/install/);
  });
});

describe("scripts/pipeline/provider-mirror.ts", () => {
  // Records its arguments and the configuration it was given, then writes what `providers mirror` would.
  const STUB = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$@" > "$STUB_LOG"
config="\${1#-chdir=}"
cp "$config/main.tf" "$STUB_LOG.tf"
version=$(sed -n 's/.*version *= *"\\(.*\\)".*/\\1/p' "$config/main.tf")
platform=$(printf '%s\\n' "$@" | sed -n 's/^-platform=//p')
out="\${*: -1}"
mkdir -p "$out/registry.terraform.io/hashicorp/aws"
: > "$out/registry.terraform.io/hashicorp/aws/terraform-provider-aws_\${version}_\${platform}.zip"
`;
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    // node --import tsx, not the tsx bin: that finds node through PATH, which one test empties.
    spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "pipeline", "provider-mirror.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });

  it("prints the pinned version (the CI cache key)", () => {
    expect(run(["--version"], {}).stdout.trim()).toBe(AWS_PROVIDER_VERSION);
  });

  it("mirrors exactly hashicorp/aws at the pinned version, once, where findProviderMirror takes it", { timeout: 60_000 }, () => {
    const stub = join(tmp, "terraform");
    writeFileSync(stub, STUB);
    chmodSync(stub, 0o755);
    const log = join(tmp, "log");
    const dir = join(tmp, "mirror");
    const first = run([dir], { TERRAFORM_BIN: stub, STUB_LOG: log, PLATFORMS: "" });
    expect(first.status, first.stderr).toBe(0);
    const args = readFileSync(log, "utf8").trim().split("\n");
    expect(args.slice(1)).toEqual(["providers", "mirror", `-platform=${hostPlatform()}`, dir]);
    expect(readFileSync(`${log}.tf`, "utf8")).toMatch(new RegExp(`source += "hashicorp/aws"\\s+version += "${AWS_PROVIDER_VERSION.replace(/\./g, "\\.")}"`));
    expect(first.stdout).toContain(`${MIRROR_ENV}=${dir}`);
    expect(findProviderMirror(isolated({ [MIRROR_ENV]: dir }), [])).toBe(dir);

    rmSync(log);
    const again = run([dir], { TERRAFORM_BIN: stub, STUB_LOG: log, PLATFORMS: "" });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain("already mirrors");
    expect(() => readFileSync(log)).toThrow();
  });

  it("fails with the install hint when terraform is missing", { timeout: 30_000 }, () => {
    const r = run([join(tmp, "mirror")], { TERRAFORM_BIN: "", PATH: "/nonexistent" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(TERRAFORM_MISSING);
  });
});
