import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "cdktf.out/**", ".build/**", ".sandbox/**", ".stryker-tmp*/**"],
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    // Sandbox end-to-end suites share ports and a CPU budget of two cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
