// `npm run redrive -- --help`: see scripts/lib/redrive-cli.ts and the README's "Operator tools".
import "./lib/quiet-warnings";
import { runMain } from "./lib/cli";
import { redriveMain } from "./lib/redrive-cli";

runMain(redriveMain);
