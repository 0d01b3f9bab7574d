// The unit tests of the handlers and their shared core, alone: what `npm run mutation` runs for
// each mutant (no sandbox, no terraform, no global setup; they are not what mutants change). The
// operator tools' unit tests that exercise the core (rate limiting, pool reading, records, pool
// lookup, the upsert's reads in the backfill's dry run) are included too.
import { defineConfig } from "vitest/config";

const OPERATOR_CORE_TESTS = [
  "scripts/operator/rates.test.ts",
  "scripts/operator/backfill.test.ts",
  "scripts/operator/backfill-core.test.ts",
  "scripts/operator/reconcile.test.ts",
  "scripts/operator/target.test.ts",
];

export default defineConfig({
  test: {
    include: ["handlers/**/*.test.ts", ...OPERATOR_CORE_TESTS],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
  },
});
