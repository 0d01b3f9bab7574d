// Bundles one handler with esbuild into a deterministic zip, once per process:
// every stack that deploys the handler gets the same file and the same hash, so
// unchanged code never redeploys and changed code always does.
//
// The AWS SDK is bundled, not taken from the Lambda runtime: the pinned SDK is the
// one the tests ran against, the local sandbox runs exactly the deployed code, and
// (measured, see README "Bundles") minified + tree-shaken clients cost little in
// size and load time. The README records the figures for both choices.
import { buildSync } from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { trimSourceMap } from "./sourcemap";

export interface Bundle {
  name: string;
  /** Absolute path of the zip. */
  zipPath: string;
  /** base64(sha256(zip)), the value Lambda reports as CodeSha256. */
  sha256: string;
  bytes: number;
}

export interface BundleOptions {
  /** Folder holding the handler sources (default: <repo>/handlers). */
  handlersDir?: string;
  /** Folder receiving build output (default: <repo>/.build). */
  outDir?: string;
}

const REPO_ROOT = resolve(__dirname, "..");
// Fixed timestamp so the zip bytes depend on content only.
const ZIP_MTIME = new Date("2000-01-01T00:00:00Z");
const cache = new Map<string, Bundle>();

export function bundleHandler(name: string, entry: string, opts: BundleOptions = {}): Bundle {
  const handlersDir = opts.handlersDir ?? join(REPO_ROOT, "handlers");
  const outDir = join(opts.outDir ?? join(REPO_ROOT, ".build"), name);
  const key = `${handlersDir}|${outDir}|${entry}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const result = buildSync({
    entryPoints: [join(handlersDir, entry)],
    outfile: join(outDir, "index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Prefer the ES module builds: esbuild tree-shakes them, which measured about a
    // third smaller and faster to load than the CommonJS builds of the SDK.
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: "linked",
    // Stack traces map back to our files and lines (the map is trimmed to our own
    // sources below); the sources themselves stay out of the zip.
    sourcesContent: false,
    legalComments: "none",
    metafile: false,
    write: false,
    logLevel: "silent",
  });
  const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const out of result.outputFiles) {
    const base = out.path.slice(outDir.length + 1);
    const contents = base.endsWith(".map")
      ? new TextEncoder().encode(trimSourceMap(out.text, (source) => !source.includes("node_modules/")))
      : out.contents;
    files[base] = [contents, { mtime: ZIP_MTIME }];
  }
  const zip = zipSync(files, { level: 9 });
  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `${name}.zip`);
  writeFileSync(zipPath, zip);
  const bundle: Bundle = {
    name,
    zipPath,
    sha256: createHash("sha256").update(zip).digest("base64"),
    bytes: zip.byteLength,
  };
  cache.set(key, bundle);
  return bundle;
}

/** For tests: forget cached bundles so a changed source is rebuilt. */
export function clearBundleCache(): void {
  cache.clear();
}
