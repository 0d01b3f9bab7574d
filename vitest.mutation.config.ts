// The unit tests of the handlers and their shared core, alone: what `npm run mutation` runs for
// each mutant (no sandbox, no terraform, no global setup; they are not what mutants change).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["handlers/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
  },
});
