// `npm run operator-policy -- --env <name> [--account <12 digits>] [--partition aws]`
// Prints the IAM policy the operator tools need for that environment (scripts/lib/operator-policy.ts).
// Without --account the account id is a placeholder to fill in; no account id is ever committed.
import { operatorPolicy } from "../lib/operator-policy";
import { printPolicies } from "./policy-printer";

process.exit(printPolicies({ name: "operator-policy", build: ({ env, account, partition }) => operatorPolicy(env, { id: account, partition }) }, process.argv.slice(2)));
