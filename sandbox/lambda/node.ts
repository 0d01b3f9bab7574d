// Which `node` runs a function's code: the Node.js major of its runtime setting
// (`nodejs22.x` → Node 22), as Lambda would. Found, in order, at:
//   SANDBOX_NODE_<major> (a path), the `node-<platform>-<arch>` package from the npm registry
//   (an optional dependency of this project), this process's own node, or `node` on PATH,
// whichever has that major. Without one, a warning names the runtime and how to get it, and the
// sandbox uses this process's node (under CI=true that is an error instead).

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface NodeBinary {
  path: string;
  version: string;
  /** False when no binary of the runtime's major was found and another one runs the code. */
  matchesRuntime: boolean;
}

const found = new Map<string, NodeBinary>();
const warned = new Set<string>();

function versionOf(bin: string): string | undefined {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

function fromPackage(): string | undefined {
  try {
    const req = createRequire(__filename);
    const pkg = req.resolve(`node-${process.platform}-${process.arch}/package.json`);
    const bin = join(dirname(pkg), "bin", process.platform === "win32" ? "node.exe" : "node");
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const bin = join(dir, "node");
    if (dir && existsSync(bin)) return bin;
  }
  return undefined;
}

/** The Node.js major a Lambda runtime identifier names (`nodejs22.x` → 22), or undefined. */
export function runtimeMajor(runtime: string): number | undefined {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  return m ? Number(m[1]) : undefined;
}

export function nodeForRuntime(runtime: string): NodeBinary {
  const major = runtimeMajor(runtime);
  const own: NodeBinary = { path: process.execPath, version: process.version, matchesRuntime: major === undefined || process.versions.node.startsWith(`${major}.`) };
  if (major === undefined || own.matchesRuntime) return own;
  const cached = found.get(runtime);
  if (cached) return cached;
  for (const bin of [process.env[`SANDBOX_NODE_${major}`], fromPackage(), onPath()]) {
    if (!bin) continue;
    const version = versionOf(bin);
    if (version?.startsWith(`v${major}.`)) {
      const hit = { path: bin, version, matchesRuntime: true };
      found.set(runtime, hit);
      return hit;
    }
  }
  const message =
    `sandbox: no Node.js ${major} for runtime ${runtime}; functions run on ${process.version} instead. ` +
    `Get one with \`npm ci\` (optional dependency node-${process.platform}-${process.arch}) or set SANDBOX_NODE_${major}=/path/to/node.`;
  if (process.env.CI === "true") throw new Error(`${message} CI=true requires it.`);
  if (!warned.has(runtime)) {
    warned.add(runtime);
    console.warn(message);
  }
  return { ...own, matchesRuntime: false };
}
