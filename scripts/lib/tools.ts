// Finds the external tools the project drives (terraform, its provider mirror)
// at run time, and says plainly what is missing and how to get it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The provider version @cdktf/provider-aws@20.1.0 wraps. */
export const AWS_PROVIDER_VERSION = "5.100.0";

export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cmd);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function findTerraform(): string | undefined {
  return process.env.TERRAFORM_BIN ?? which("terraform");
}

export const TERRAFORM_MISSING =
  "terraform not found on PATH (install terraform >= 1.10 from https://developer.hashicorp.com/terraform/install, or set TERRAFORM_BIN)";

/** A mirror in either layout terraform reads: unpacked (`aws/<version>/<os_arch>/`) or packed (`aws/terraform-provider-aws_<version>_<os_arch>.zip`, what `terraform providers mirror` writes). */
function hasAwsProvider(dir: string): boolean {
  const aws = join(dir, "registry.terraform.io", "hashicorp", "aws");
  if (existsSync(join(aws, AWS_PROVIDER_VERSION))) return true;
  try {
    return readdirSync(aws).some((f) => f.startsWith(`terraform-provider-aws_${AWS_PROVIDER_VERSION}_`) && f.endsWith(".zip"));
  } catch {
    return false;
  }
}

/**
 * A filesystem mirror holding hashicorp/aws at the pinned version: TF_PLUGIN_DIR
 * when set, else the usual plugin folders. Undefined means "use the registry".
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TF_PLUGIN_DIR) {
    if (!hasAwsProvider(env.TF_PLUGIN_DIR)) {
      throw new Error(
        `TF_PLUGIN_DIR=${env.TF_PLUGIN_DIR} has no registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}; unset it to use the registry`,
      );
    }
    return env.TF_PLUGIN_DIR;
  }
  const home = homedir();
  const candidates = [
    "/opt/tf-plugins",
    join(home, ".terraform.d", "plugins"),
    join(home, ".local", "share", "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ];
  return candidates.find(hasAwsProvider);
}

/**
 * Environment for running terraform: no checkpoint calls, and when a mirror is
 * known, a generated CLI config that installs hashicorp/aws from it (everything
 * else direct), so init/plan/apply work offline.
 */
export function terraformEnv(workDir: string, mirror = findProviderMirror()): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  if (mirror) {
    mkdirSync(workDir, { recursive: true });
    const config = join(workDir, "terraform-cli.tfrc");
    writeFileSync(
      config,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
    );
    env.TF_CLI_CONFIG_FILE = config;
  }
  return env;
}

/** Skips (exit 0) with a one-line reason, or fails under CI=true. */
export function missingTool(reason: string): never {
  if (process.env.CI === "true") {
    console.error(`FAIL: ${reason} (required when CI=true)`);
    process.exit(1);
  }
  console.log(`SKIP: ${reason}`);
  process.exit(0);
}

export function terraformVersion(bin: string): string {
  return execFileSync(bin, ["version", "-json"], { encoding: "utf8" }).match(/"terraform_version":\s*"([^"]+)"/)?.[1] ?? "unknown";
}
