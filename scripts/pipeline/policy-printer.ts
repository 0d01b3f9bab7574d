// What the IAM policy printers (operator-policy, pipeline-policies) share: --env, an optional
// --account (12 digits; without it a placeholder: no account id is ever committed) and
// --partition, beside their own flags; a problem is one line `<name>: <message>` and exit 2;
// the documents go to stdout as JSON.
import { parseArgs } from "node:util";
import { environment, parseEnvName, type Environment } from "../../stacks/environments";
import type { Options } from "../lib/flags";

export interface PolicyTarget {
  env: Environment;
  /** The account id, or `<ACCOUNT_ID>` to fill in. */
  account: string;
  partition?: string;
  values: Record<string, string | boolean | undefined>;
}

export interface PolicyPrinter {
  name: string;
  options?: Options;
  /** The printer's own flags, checked after --env and before --account: a problem, or nothing. */
  check?(values: PolicyTarget["values"]): string | undefined;
  build(target: PolicyTarget): unknown;
}

/** Reads the flags, prints the documents; returns the exit code. */
export function printPolicies(printer: PolicyPrinter, argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { env: { type: "string" }, account: { type: "string" }, partition: { type: "string" }, ...printer.options } });
  const fail = (message: string) => {
    console.error(`${printer.name}: ${message}`);
    return 2;
  };
  let env: Environment;
  try {
    env = environment(parseEnvName(values.env as string | undefined));
  } catch (e) {
    return fail((e as Error).message);
  }
  const problem = printer.check?.(values);
  if (problem) return fail(problem);
  const account = values.account as string | undefined;
  if (account !== undefined && !/^\d{12}$/.test(account)) return fail(`--account must be a 12-digit AWS account id (got ${account})`);
  console.log(JSON.stringify(printer.build({ env, account: account ?? "<ACCOUNT_ID>", partition: values.partition as string | undefined, values }), null, 2));
  return 0;
}
