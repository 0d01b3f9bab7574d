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
import { BUILD_OPTIONS, bundleHandler } from "../../modules/bundle";
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
  TARGET_USER_POOL_ID: "us-west-2_bench",
  // The replicator and change capture read it (default "dr" and "primary"); a valid value either way.
  REGION_ROLE: "dr",
  PARK_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/000000000000/cdr-bench-dlq",
  CANONICAL_ID_ATTRIBUTE: "canonical_id",
  TRUST_CANONICAL_ID_ATTRIBUTE: "true",
  // Change capture: a pool of its own region (CloudTrail delivers a call's events there).
  CAPTURE_USER_POOL_ID: "us-west-2_bench",
  CAPTURE_IGNORED_ROLE_PREFIX: "arn:aws:iam::000000000000:role/cdr-bench-",
  // The DR pool's PreSignUp trigger: one of its policies.
  SIGNUP_POLICY: "never",
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

/** A placeholder value for an env var a handler requires, shaped by its name. */
export function placeholderFor(name: string): string {
  if (/URL$/.test(name)) return `https://sqs.us-east-1.amazonaws.com/000000000000/bench-${name.toLowerCase()}`;
  if (/REGION$/.test(name)) return "us-east-1";
  if (/POOL_ID$/.test(name)) return "us-east-1_bench";
  if (/ATTRIBUTE$/.test(name)) return "canonical_id";
  return `bench-${name.toLowerCase()}`;
}

function loadOnce(file: string, env: Record<string, string>): { ms: number } | { missingVar: string } {
  try {
    const out = execFileSync(process.execPath, ["-e", CHILD, file], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(out) as { ms: number };
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? "");
    const missing = /Environment variable (\w+) is required/.exec(stderr);
    if (missing) return { missingVar: missing[1] };
    const why = stderr.split("\n").find((l) => /Error/.test(l) && l.length < 300) ?? (err as Error).message.split("\n")[0];
    throw new Error(`loading ${file} failed: ${why}`);
  }
}

/**
 * require() time of `file` in `runs` fresh node processes. Env vars the handler
 * reports missing (its ConfigError names them) get a placeholder and the load is
 * retried, so a handler added later needs no change here.
 */
export function loadTimes(file: string, runs: number, baseEnv: Record<string, string> = HANDLER_ENV): { times: number[]; env: Record<string, string> } {
  const env = { ...baseEnv };
  const times: number[] = [];
  for (let guard = 0; times.length < runs; ) {
    const r = loadOnce(file, env);
    if ("ms" in r) {
      times.push(r.ms);
      continue;
    }
    if (++guard > 20 || env[r.missingVar] === placeholderFor(r.missingVar)) throw new Error(`loading ${file}: cannot satisfy env var ${r.missingVar}`);
    env[r.missingVar] = placeholderFor(r.missingVar);
  }
  return { times, env };
}

function sdkExternalZip(entry: string, outDir: string): { zipBytes: number; indexJs: string; jsBytes: number } {
  // The deployed build, but with the SDK left to the Lambda runtime (the alternative the README weighs).
  const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [join(REPO_ROOT, "handlers", entry)], outfile: join(outDir, "index.js"), external: ["@aws-sdk/*", "@smithy/*"] });
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
  errors?: string[];
}

export function benchBundles(opts: { runs: number; log?: (s: string) => void }): BundlesBench {
  const log = opts.log ?? (() => {});
  // Scratch output inside the repo: the SDK-external variant resolves @aws-sdk/* from node_modules.
  // .build exists only after a build: a fresh clone has none (the clean-clone bench failed here).
  mkdirSync(join(REPO_ROOT, ".build"), { recursive: true });
  const scratch = mkdtempSync(join(REPO_ROOT, ".build", "bench-"));
  try {
    const bundles: BundleResult[] = [];
    const external: BundleResult[] = [];
    const errors: string[] = [];
    for (const [name, entry] of Object.entries(HANDLER_ENTRIES) as Array<[HandlerName, string]>) {
      try {
        const b = bundleHandler(name, entry);
        const dir = join(scratch, "bundled", name);
        mkdirSync(dir, { recursive: true });
        let jsBytes = 0;
        for (const [file, data] of Object.entries(unzipSync(readFileSync(b.zipPath)))) {
          writeFileSync(join(dir, file), data);
          if (file === "index.js") jsBytes = data.byteLength;
        }
        const { times: runsMs, env } = loadTimes(join(dir, "index.js"), opts.runs);
        bundles.push({ name, bytes: b.bytes, initMs: round(median(runsMs), 1), runsMs: runsMs.map((t) => round(t, 1)), jsBytes });
        log(`bundle ${name}: ${b.bytes} B zipped, load median ${round(median(runsMs), 1)} ms`);

        const ext = sdkExternalZip(entry, join(scratch, "external", name));
        const extMs = loadTimes(ext.indexJs, opts.runs, env).times;
        external.push({ name, bytes: ext.zipBytes, initMs: round(median(extMs), 1), runsMs: extMs.map((t) => round(t, 1)), jsBytes: ext.jsBytes });
        log(`bundle ${name} (SDK external): ${ext.zipBytes} B zipped, load median ${round(median(extMs), 1)} ms`);
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
        log(`bundle ${name} FAILED: ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) return { bundles, bundlesSdkExternal: external, errors };
    return { bundles, bundlesSdkExternal: external };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
