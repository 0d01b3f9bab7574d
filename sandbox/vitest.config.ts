// The sandbox's own tests, alone (`npm test` here, or `npm test -w @cognito-dr/sandbox` from the
// root). The root's vitest run includes them too, once, with the project's tests.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    // Each suite starts moto_server (and Lambda workers); two at a time on a two-core machine.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
