// Bundles one handler with esbuild into a deterministic zip, once per process:
// every stack that deploys the handler gets the same file and the same hash, so
// unchanged code never redeploys and changed code always does.
//
// The AWS SDK is bundled, not taken from the Lambda runtime: the pinned SDK is the
// one the tests ran against, the local sandbox runs exactly the deployed code, and
// (measured, see README "Bundles") minified + tree-shaken clients cost little in
// size and load time. The README records the figures for both choices.
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import writeFileAtomic from "write-file-atomic";
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
/** Bump when the build options below change: it invalidates every cached zip on disk. */
const BUILD_RECIPE = 2;

const sha256 = (data: Uint8Array | string, encoding: "hex" | "base64" = "hex") => createHash("sha256").update(data).digest(encoding);

// The handlers share most inputs (the SDK, Powertools, handlers/shared), the lockfile
// and tsconfig: hash each file once per process, not once per handler.
const fileHashes = new Map<string, string>();
function hashFile(path: string): string {
  let h = fileHashes.get(path);
  if (h === undefined) {
    h = sha256(readFileSync(path));
    fileHashes.set(path, h);
  }
  return h;
}


/**
 * What a zip was built from: the recipe, esbuild's version, the lockfile and tsconfig
 * (which decide how imports resolve), the entry, and the content hash of every file
 * esbuild read. The zip on disk is reused only when all of it still matches.
 */
interface BuildManifest {
  key: string;
  inputs: Record<string, string>;
  zipSha256: string;
}

function buildKey(entryPath: string): string {
  const fileHash = (f: string) => (existsSync(f) ? hashFile(f) : "none");
  return [BUILD_RECIPE, esbuildVersion, fileHash(join(REPO_ROOT, "package-lock.json")), fileHash(join(REPO_ROOT, "tsconfig.json")), entryPath].join("|");
}

function cachedZip(manifestPath: string, zipPath: string, key: string): Buffer | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as BuildManifest;
    if (m.key !== key) return undefined;
    for (const [file, hash] of Object.entries(m.inputs)) if (hashFile(file) !== hash) return undefined;
    const zip = readFileSync(zipPath);
    return sha256(zip, "base64") === m.zipSha256 ? zip : undefined;
  } catch {
    return undefined; // no manifest, an input gone, a torn read: build
  }
}

export function bundleHandler(name: string, entry: string, opts: BundleOptions = {}): Bundle {
  const handlersDir = opts.handlersDir ?? join(REPO_ROOT, "handlers");
  const outDir = join(opts.outDir ?? join(REPO_ROOT, ".build"), name);
  const key = `${handlersDir}|${outDir}|${entry}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const entryPath = join(handlersDir, entry);
  const zipPath = join(outDir, `${name}.zip`);
  const manifestPath = join(outDir, "build-manifest.json");
  const recipeKey = buildKey(entryPath);
  // Synthesis bundles every handler on each run; reusing an unchanged zip saves most of it.
  const zip = cachedZip(manifestPath, zipPath, recipeKey) ?? build(entryPath, outDir, zipPath, manifestPath, recipeKey);
  const bundle: Bundle = { name, zipPath, sha256: sha256(zip, "base64"), bytes: zip.byteLength };
  cache.set(key, bundle);
  return bundle;
}

/**
 * The esbuild options every handler is built with (the benchmark builds variants of these, so it
 * imports them rather than copying). Entry and output paths are added per build.
 */
export const BUILD_OPTIONS = {
  bundle: true,
  platform: "node",
  // The Node.js of the Lambda runtime the stacks deploy (LAMBDA_RUNTIME, nodejs22.x).
  target: "node22",
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
  write: false,
  logLevel: "silent",
} as const satisfies BuildOptions;

function build(entryPath: string, outDir: string, zipPath: string, manifestPath: string, recipeKey: string): Uint8Array {
  const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [entryPath], outfile: join(outDir, "index.js"), metafile: true });
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
  // Temporary file + rename (write-file-atomic): a concurrent synth never reads half a zip.
  writeFileAtomic.sync(zipPath, Buffer.from(zip));
  // Metafile paths are relative to the working directory esbuild ran in.
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((f) => [resolve(f), hashFile(resolve(f))]));
  const manifest: BuildManifest = { key: recipeKey, inputs, zipSha256: sha256(zip, "base64") };
  writeFileAtomic.sync(manifestPath, JSON.stringify(manifest));
  return zip;
}

/** For tests: forget cached bundles so a changed source is rebuilt. */
export function clearBundleCache(): void {
  cache.clear();
  fileHashes.clear();
}
