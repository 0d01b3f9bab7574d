// The one place that finds the external tools the project drives (terraform, its provider mirror),
// for the scripts and the tests alike, and says plainly what is missing and how to get it.
// No path of a particular machine is listed: explicit variables first, then terraform's own folders.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The provider version @cdktf/provider-aws@20.1.0 wraps. */
export const AWS_PROVIDER_VERSION = "5.100.0";

/** Names the filesystem mirror explicitly; read first by findProviderMirror, exported by CI (.github/actions/setup). */
export const MIRROR_ENV = "TF_PLUGIN_DIR";

/** GitHub (and most CI services) set CI=true: there a missing tool is a failure, not a skip. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === "true";
}

export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cmd);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function findTerraform(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.TERRAFORM_BIN || which("terraform", env);
}

export const TERRAFORM_MISSING =
  "terraform not found on PATH (install terraform >= 1.10 from https://developer.hashicorp.com/terraform/install, or set TERRAFORM_BIN)";

export const PROVIDER_MIRROR_MISSING =
  `no filesystem mirror of hashicorp/aws ${AWS_PROVIDER_VERSION} for ${hostPlatform()} found (${MIRROR_ENV} unset, none in terraform's plugin folders); ` +
  `build one with \`npx tsx scripts/pipeline/provider-mirror.ts <dir>\` (downloads it from registry.terraform.io) and set ${MIRROR_ENV}=<dir>`;

/** Terraform's name for this machine's platform (`linux_amd64`, `darwin_arm64`, …). */
export function hostPlatform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return `${os}_${arch}`;
}

/**
 * Whether `dir` mirrors hashicorp/aws at the pinned version for `platform`, in either layout
 * terraform reads: unpacked (`aws/<version>/<os_arch>/`, also a plugin cache's) or packed
 * (`aws/terraform-provider-aws_<version>_<os_arch>.zip`, what `terraform providers mirror` writes).
 */
export function hasAwsProvider(dir: string, platform = hostPlatform()): boolean {
  const aws = join(dir, "registry.terraform.io", "hashicorp", "aws");
  return existsSync(join(aws, AWS_PROVIDER_VERSION, platform)) || existsSync(join(aws, `terraform-provider-aws_${AWS_PROVIDER_VERSION}_${platform}.zip`));
}

/**
 * Terraform's implied local mirror directories on Unix (XDG base directories), in its order:
 * https://developer.hashicorp.com/terraform/cli/config/config-file#implied-local-mirror-directories
 */
function pluginFolders(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, ".local", "share");
  const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean);
  return [join(home, ".terraform.d", "plugins"), ...[dataHome, ...dataDirs].map((d) => join(d, "terraform", "plugins"))];
}

/** Where a mirror unpacked as a package of its own sits (`/opt/<name>/registry.terraform.io/…`): looked at one level deep. */
export const PACKAGE_ROOTS = ["/opt"];

/**
 * The directory holding `registry.terraform.io/hashicorp/aws` at the pinned version for this
 * platform: $TF_PLUGIN_DIR (an error if it lacks it: it was set on purpose), else
 * $TF_PLUGIN_CACHE_DIR, terraform's plugin folders, then one level under PACKAGE_ROOTS.
 * Undefined means none: the scripts then let terraform download from the registry.
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env, packageRoots = PACKAGE_ROOTS): string | undefined {
  const explicit = env[MIRROR_ENV];
  if (explicit) {
    if (!hasAwsProvider(explicit)) {
      throw new Error(
        `${MIRROR_ENV}=${explicit} has no registry.terraform.io/hashicorp/aws ${AWS_PROVIDER_VERSION} for ${hostPlatform()}; ` +
          `build it with \`npx tsx scripts/pipeline/provider-mirror.ts ${explicit}\`, or unset ${MIRROR_ENV}`,
      );
    }
    return explicit;
  }
  const packaged = packageRoots.flatMap((root) => {
    try {
      return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name));
    } catch {
      return [];
    }
  });
  const candidates = [env.TF_PLUGIN_CACHE_DIR, ...pluginFolders(env), ...packaged].filter((d): d is string => Boolean(d));
  return candidates.find((d) => hasAwsProvider(d));
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

/** For tests: undefined when the tool is `present`; else `missing` (what is missing and how to get it), logged to skip with. Throws under CI=true. */
export function requireTool(present: boolean, missing: string): string | undefined {
  if (present) return undefined;
  if (isCI()) throw new Error(`${missing}; CI=true requires it`);
  console.warn(`skipping: ${missing}`);
  return missing;
}

/** For scripts: skips (exit 0) with a one-line reason, or fails under CI=true. */
export function missingTool(reason: string): never {
  if (isCI()) {
    console.error(`FAIL: ${reason} (required when CI=true)`);
    process.exit(1);
  }
  console.log(`SKIP: ${reason}`);
  process.exit(0);
}

export function terraformVersion(bin: string): string {
  return execFileSync(bin, ["version", "-json"], { encoding: "utf8" }).match(/"terraform_version":\s*"([^"]+)"/)?.[1] ?? "unknown";
}
