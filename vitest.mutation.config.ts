// The unit tests of the handlers and their shared core, alone: what `npm run mutation` runs for
// each mutant (no sandbox, no terraform, no global setup; they are not what mutants change). The
// operator tools' unit tests are included because they are the tests of the core's reconcile,
// pool reading and rate limiting, which the tools use.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["handlers/**/*.test.ts", "scripts/operator/operator-cli.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
  },
});
