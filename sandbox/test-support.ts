// Shared by the sandbox test files: whether a tool is present, and the skip-or-fail rule
// (skip with a one-line reason, but fail when CI=true).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { findMoto } from "./moto";

export const isCI = process.env.CI === "true";

/** Undefined when available; else the reason. Throws under CI=true. */
export function requireTool(name: string, present: boolean, hint: string): string | undefined {
  if (present) return undefined;
  const reason = `${name} not found (${hint})`;
  if (isCI) throw new Error(`${reason}; CI=true requires it`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

export function motoMissing(): string | undefined {
  return requireTool("moto_server", findMoto() !== undefined, "pip install 'moto[server]'");
}

export function findTerraform(): string | undefined {
  const r = spawnSync("terraform", ["version"], { stdio: "ignore" });
  return r.status === 0 ? "terraform" : undefined;
}

/** Directory that contains `registry.terraform.io` with hashicorp/aws, for `terraform init -plugin-dir`. */
export function findProviderMirror(): string | undefined {
  const candidates = [
    process.env.TF_PLUGIN_DIR,
    process.env.TF_PLUGIN_CACHE_DIR,
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    process.env.HOME ? join(process.env.HOME, ".terraform.d/plugins") : undefined,
    process.env.HOME ? join(process.env.HOME, ".local/share/terraform/plugins") : undefined,
  ].filter((x): x is string => Boolean(x));
  for (const c of candidates) {
    if (existsSync(join(c, "registry.terraform.io", "hashicorp", "aws"))) return c;
  }
  // Last resort: a shallow search of the usual roots for terraform-provider-aws_*.
  for (const root of ["/opt", "/usr/local/share", "/usr/share"]) {
    const hit = searchProvider(root, 7);
    if (hit) return hit;
  }
  return undefined;
}

function searchProvider(dir: string, depth: number): string | undefined {
  if (depth < 0) return undefined;
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (e.isFile() && e.name.startsWith("terraform-provider-aws_")) {
      // <root>/registry.terraform.io/hashicorp/aws/<ver>/<os_arch>/terraform-provider-aws_*
      let d = dir;
      for (let i = 0; i < 5; i++) d = dirname(d);
      if (existsSync(join(d, "registry.terraform.io"))) return d;
    }
  }
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules" && e.name !== "proc") {
      const hit = searchProvider(join(dir, e.name), depth - 1);
      if (hit) return hit;
    }
  }
  return undefined;
}
