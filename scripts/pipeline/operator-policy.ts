// `npm run operator-policy -- --env <name> [--account <12 digits>] [--partition aws]`
// Prints the IAM policy the operator tools need for that environment (scripts/lib/operator-policy.ts).
// Without --account the account id is a placeholder to fill in; no account id is ever committed.
import { parseArgs } from "node:util";
import { environment, parseEnvName } from "../../stacks/environments";
import { operatorPolicy } from "../lib/operator-policy";

function main(): number {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { env: { type: "string" }, account: { type: "string" }, partition: { type: "string" } } });
  let env;
  try {
    env = environment(parseEnvName(values.env));
  } catch (e) {
    console.error(`operator-policy: ${(e as Error).message}`);
    return 2;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    console.error(`operator-policy: --account must be a 12-digit AWS account id (got ${values.account})`);
    return 2;
  }
  console.log(JSON.stringify(operatorPolicy(env, { id: values.account ?? "<ACCOUNT_ID>", partition: values.partition }), null, 2));
  return 0;
}

process.exit(main());
