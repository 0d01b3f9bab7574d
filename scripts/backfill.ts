// `npm run backfill -- --help`: see scripts/lib/backfill.ts and the README's "Operator tools".
import "./lib/quiet-warnings";
import { runMain } from "./lib/cli";
import { backfillMain } from "./lib/backfill";

runMain(backfillMain);
