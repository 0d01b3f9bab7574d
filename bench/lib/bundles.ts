// Bundle size and cold-start module-load time of every handler.
//
// For each entry in HANDLER_ENTRIES: the zip `bundleHandler()` deploys (bytes), and
// the median time to `require()` its index.js in a fresh `node` process, measured
// inside the child with process.hrtime around the require (process spawn and node's
// own boot excluded), over `runs` processes. The same for an SDK-external variant
// (esbuild `external: ["@aws-sdk/*", "@smithy/*"]`, the SDK then loaded from
// node_modules as the Lambda runtime would load its own copy): the README's bundling
// decision cites both.
import { execFileSync } from "node:child_process";
import { buildSync } from "esbuild";
import { unzipSync, zipSync } from "fflate";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HANDLER_ENTRIES, type HandlerName } from "../../handlers/contract";
import { bundleHandler } from "../../modules/bundle";
import { median, round } from "./stats";

const REPO_ROOT = resolve(__dirname, "..", "..");

export interface BundleResult {
  name: string;
  bytes: number;
  initMs: number;
  /** Every run's load time (ms). */
  runsMs: number[];
  /** Unzipped index.js bytes. */
  jsBytes: number;
}

/** What every handler's index.ts needs at module load (the union; values are placeholders). */
export const HANDLER_ENV: Record<string, string> = {
  AWS_REGION: "us-west-2",
  AWS_DEFAULT_REGION: "us-west-2",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  TABLE_NAME: "cdr-bench-users",
  FALLBACK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/cdr-bench-fallback",
  DR_USER_POOL_ID: "us-west-2_bench",
  PARK_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/000000000000/cdr-bench-dlq",
  CANONICAL_ID_ATTRIBUTE: "canonical_id",
  POWERTOOLS_SERVICE_NAME: "bench",
  POWERTOOLS_METRICS_NAMESPACE: "bench",
};

// Runs in the child: times require() of the bundle, prints {ms, rss} as JSON.
const CHILD = `
const t0 = process.hrtime.bigint();
const mod = require(process.argv[1]);
const t1 = process.hrtime.bigint();
if (typeof mod.handler !== "function") { console.error("no handler export"); process.exit(2); }
process.stdout.write(JSON.stringify({ ms: Number(t1 - t0) / 1e6, maxRssKb: process.resourceUsage().maxRSS }));
`;

/** Median require() time of `file` over `runs` fresh node processes. */
export function loadTimes(file: string, runs: number, env: Record<string, string> = HANDLER_ENV): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    let out: string;
    try {
      out = execFileSync(process.execPath, ["-e", CHILD, file], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? "");
      const why = stderr.split("\n").find((l) => /Error/.test(l) && l.length < 300) ?? (err as Error).message.split("\n")[0];
      throw new Error(`loading ${file} failed: ${why}`);
    }
    times.push((JSON.parse(out) as { ms: number }).ms);
  }
  return times;
}

function sdkExternalZip(entry: string, outDir: string): { zipBytes: number; indexJs: string; jsBytes: number } {
  const result = buildSync({
    entryPoints: [join(REPO_ROOT, "handlers", entry)],
    outfile: join(outDir, "index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    external: ["@aws-sdk/*", "@smithy/*"],
    write: false,
    logLevel: "silent",
  });
  const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
  let js: Uint8Array = new Uint8Array();
  for (const out of result.outputFiles) {
    const base = out.path.slice(outDir.length + 1);
    files[base] = [out.contents, { mtime: new Date("2000-01-01T00:00:00Z") }];
    if (base === "index.js") js = out.contents;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(out.path, out.contents);
  }
  return { zipBytes: zipSync(files, { level: 9 }).byteLength, indexJs: join(outDir, "index.js"), jsBytes: js.byteLength };
}

export interface BundlesBench {
  bundles: BundleResult[];
  bundlesSdkExternal: BundleResult[];
}

export function benchBundles(opts: { runs: number; log?: (s: string) => void }): BundlesBench {
  const log = opts.log ?? (() => {});
  // Scratch output inside the repo: the SDK-external variant resolves @aws-sdk/* from node_modules.
  const scratch = mkdtempSync(join(REPO_ROOT, ".build", "bench-"));
  try {
    const bundles: BundleResult[] = [];
    const external: BundleResult[] = [];
    for (const [name, entry] of Object.entries(HANDLER_ENTRIES) as Array<[HandlerName, string]>) {
      const b = bundleHandler(name, entry);
      const dir = join(scratch, "bundled", name);
      mkdirSync(dir, { recursive: true });
      let jsBytes = 0;
      for (const [file, data] of Object.entries(unzipSync(readFileSync(b.zipPath)))) {
        writeFileSync(join(dir, file), data);
        if (file === "index.js") jsBytes = data.byteLength;
      }
      const runsMs = loadTimes(join(dir, "index.js"), opts.runs);
      bundles.push({ name, bytes: b.bytes, initMs: round(median(runsMs), 1), runsMs: runsMs.map((t) => round(t, 1)), jsBytes });
      log(`bundle ${name}: ${b.bytes} B zipped, load median ${round(median(runsMs), 1)} ms`);

      const ext = sdkExternalZip(entry, join(scratch, "external", name));
      const extMs = loadTimes(ext.indexJs, opts.runs);
      external.push({ name, bytes: ext.zipBytes, initMs: round(median(extMs), 1), runsMs: extMs.map((t) => round(t, 1)), jsBytes: ext.jsBytes });
      log(`bundle ${name} (SDK external): ${ext.zipBytes} B zipped, load median ${round(median(extMs), 1)} ms`);
    }
    return { bundles, bundlesSdkExternal: external };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
