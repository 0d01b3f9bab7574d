// `npm run drift -- --help`: see scripts/lib/drift.ts and the README's "Operator tools".
import "./lib/quiet-warnings";
import { runMain } from "./lib/cli";
import { driftMain } from "./lib/drift";

runMain(driftMain);
