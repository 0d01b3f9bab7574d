// Function code on disk: each code version is unzipped into its own task root,
// next to a `node_modules/@aws-sdk` link that stands in for the AWS SDK the
// Lambda Node.js runtime provides (only @aws-sdk, as in Lambda: any other
// dependency must be in the zip).

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";
import { unzipSync } from "fflate";

export function codeSha256(zip: Buffer): string {
  return createHash("sha256").update(zip).digest("base64");
}

/** Unzips `zip` into `dir/task` and returns the task root. */
export async function materialize(zip: Buffer, dir: string, sdkDir: string | undefined): Promise<string> {
  const taskRoot = path.join(dir, "task");
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(taskRoot, { recursive: true });
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(zip.buffer, zip.byteOffset, zip.byteLength));
  } catch (e) {
    throw new Error(`Could not unzip uploaded file: ${(e as Error).message}`);
  }
  for (const [name, data] of Object.entries(files)) {
    const target = path.resolve(taskRoot, name);
    if (target !== taskRoot && !target.startsWith(taskRoot + path.sep)) continue; // zip-slip
    if (name.endsWith("/")) {
      await fs.mkdir(target, { recursive: true });
      continue;
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, data);
  }
  if (sdkDir) {
    const nm = path.join(dir, "node_modules");
    await fs.mkdir(nm, { recursive: true });
    await fs.symlink(sdkDir, path.join(nm, "@aws-sdk"), "dir").catch(() => undefined);
  }
  return taskRoot;
}

/** Finds the `@aws-sdk` scope directory of the project (resolved from the cwd), if installed. */
export function findSdkDir(): string | undefined {
  const candidates = [path.join(process.cwd(), "package.json"), __filenameSafe()];
  for (const from of candidates) {
    if (!from) continue;
    try {
      const req = createRequire(from);
      const pkg = req.resolve("@aws-sdk/client-dynamodb/package.json");
      const dir = path.dirname(path.dirname(pkg));
      if (existsSync(dir)) return dir;
    } catch {
      /* try next */
    }
  }
  return undefined;
}

function __filenameSafe(): string | undefined {
  try {
    return typeof __filename === "string" ? __filename : undefined;
  } catch {
    return undefined;
  }
}
