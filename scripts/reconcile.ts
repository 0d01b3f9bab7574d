// `npm run reconcile -- --help`: see scripts/lib/reconcile.ts and the README's "Operator tools".
import "./lib/quiet-warnings";
import { runMain } from "./lib/cli";
import { reconcileMain } from "./lib/reconcile";

runMain(reconcileMain);
