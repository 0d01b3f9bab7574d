// `npm run backfill -- --help`: see scripts/lib/backfill.ts and the README's "Operator tools".
import { runMain } from "./lib/cli";
import { backfillMain } from "./lib/backfill";

runMain(backfillMain);
