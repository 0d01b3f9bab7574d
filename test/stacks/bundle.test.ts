import { createHash } from "node:crypto";
import { appendFileSync, cpSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HANDLER_ENTRIES, type HandlerName } from "../../handlers/contract";
import { bundleHandler, clearBundleCache } from "../../modules/bundle";
import { resources, synthAll } from "./synth";

const ROOT = resolve(__dirname, "../..");
const HANDLERS = Object.keys(HANDLER_ENTRIES) as HandlerName[];

describe("handler bundles", () => {
  it("deploy one bundle per handler: the same hash in every stack that uses it, matching the zip", () => {
    const byHandler = new Map<string, Set<string>>();
    for (const { env, primary, dr } of synthAll()) {
      for (const stack of [primary, dr]) {
        for (const [, fn] of resources(stack, "aws_lambda_function")) {
          const handler = String(fn.function_name).slice(env.prefix.length + 1);
          if (!byHandler.has(handler)) byHandler.set(handler, new Set());
          byHandler.get(handler)!.add(String(fn.source_code_hash));
        }
      }
    }
    expect([...byHandler.keys()].sort()).toEqual([...HANDLERS].sort());
    for (const [handler, hashes] of byHandler) {
      expect(hashes.size, handler).toBe(1);
      const bundle = bundleHandler(handler, HANDLER_ENTRIES[handler as HandlerName]);
      expect([...hashes][0]).toBe(createHash("sha256").update(readFileSync(bundle.zipPath)).digest("base64"));
    }
  });

  it("deploys the pre-token trigger to the primary and the DR stack with the same hash", () => {
    const hashOf = (stack: Parameters<typeof resources>[0]) =>
      resources(stack, "aws_lambda_function")
        .filter(([, fn]) => String(fn.function_name).endsWith("-pre-token"))
        .map(([, fn]) => String(fn.source_code_hash));
    for (const { env, primary, dr } of synthAll()) {
      const [p, d] = [hashOf(primary), hashOf(dr)];
      expect(p, env.name).toHaveLength(1);
      expect(d, env.name).toEqual(p);
    }
  });

  // Three rounds of bundling every handler: seconds when idle, more on a busy machine.
  describe("when one source file changes", { timeout: 180_000 }, () => {
    const work = join(ROOT, ".build", `hash-test-${process.pid}`);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it("changes exactly that handler's hash, and rebuilding unchanged code does not", () => {
      // A private copy of the sources (inside the repo so node_modules resolve).
      cpSync(join(ROOT, "handlers"), join(work, "src", "handlers"), { recursive: true });
      cpSync(join(ROOT, "stacks"), join(work, "src", "stacks"), { recursive: true });
      const build = (round: string) => {
        clearBundleCache();
        return Object.fromEntries(
          HANDLERS.map((h) => [h, bundleHandler(h, HANDLER_ENTRIES[h], { handlersDir: join(work, "src", "handlers"), outDir: join(work, round) }).sha256]),
        );
      };
      const before = build("a");
      expect(build("b")).toEqual(before);

      appendFileSync(join(work, "src", "handlers", HANDLER_ENTRIES["retry-worker"]), "\nexport const buildProbe = 42;\n");
      const after = build("c");
      expect(after["retry-worker"]).not.toBe(before["retry-worker"]);
      for (const h of HANDLERS.filter((x) => x !== "retry-worker")) expect(after[h], h).toBe(before[h]);
    });
  });

  // The zips on disk are reused across processes only while every input is unchanged.
  describe("the build cache on disk", { timeout: 180_000 }, () => {
    const work = join(ROOT, ".build", `cache-test-${process.pid}`);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it("reuses an unchanged zip, and rebuilds when a shared source changes", () => {
      cpSync(join(ROOT, "handlers"), join(work, "src", "handlers"), { recursive: true });
      cpSync(join(ROOT, "stacks"), join(work, "src", "stacks"), { recursive: true });
      const opts = { handlersDir: join(work, "src", "handlers"), outDir: join(work, "out") };
      const build = () => {
        clearBundleCache(); // as a new process would
        return bundleHandler("replicate-user", HANDLER_ENTRIES["replicate-user"], opts);
      };
      const first = build();
      const builtAt = statSync(first.zipPath).mtimeMs;
      const again = build();
      expect(again.sha256).toBe(first.sha256);
      expect(statSync(again.zipPath).mtimeMs, "the zip was rewritten").toBe(builtAt);

      const shared = join(work, "src", "handlers", "replication", "upsert.ts");
      const original = readFileSync(shared, "utf8");
      writeFileSync(shared, `${original}\n(globalThis as Record<string, unknown>).cacheProbe = 42;\n`);
      const changed = build();
      expect(changed.sha256).not.toBe(first.sha256);
      writeFileSync(shared, original);
      expect(build().sha256).toBe(first.sha256);
    });
  });
});
