// `npm run pipeline-policies -- --env <name> --repo <owner/repo> [--account <12 digits>]`
// Prints the one-time IAM setup of an environment's account (scripts/lib/pipeline-policies.ts): the
// permissions boundary every role of the stacks carries, and the pipeline's roles (plan, primary
// deploy, DR deploy, failover, failback) with their trust and permissions policies. Without
// --account the account id is a placeholder; no account id is ever committed.
import { parseArgs } from "node:util";
import { environment, parseEnvName } from "../../stacks/environments";
import { pipelinePolicies } from "../lib/pipeline-policies";

function main(): number {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { env: { type: "string" }, repo: { type: "string" }, account: { type: "string" }, partition: { type: "string" } } });
  let env;
  try {
    env = environment(parseEnvName(values.env));
  } catch (e) {
    console.error(`pipeline-policies: ${(e as Error).message}`);
    return 2;
  }
  if (!values.repo || !/^[\w.-]+\/[\w.-]+$/.test(values.repo)) {
    console.error("pipeline-policies: --repo <owner/repo> is required (the GitHub repository whose workflows assume the roles)");
    return 2;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    console.error(`pipeline-policies: --account must be a 12-digit AWS account id (got ${values.account})`);
    return 2;
  }
  const b = env.backend;
  const stateBuckets = b.kind === "s3" ? { primary: b.primary.bucket, dr: b.dr.bucket } : { primary: "<state bucket>", dr: "<dr state bucket>" };
  const keyPrefix = b.kind === "s3" ? b.keyPrefix : `cognito-dr/${env.name}`;
  const out = pipelinePolicies({ env, account: values.account ?? "<ACCOUNT_ID>", repository: values.repo, stateBuckets, stateKeyPrefix: keyPrefix, partition: values.partition });
  console.log(JSON.stringify(out, null, 2));
  return 0;
}

process.exit(main());
