// `npm run pipeline-policies -- --env <name> --repo <owner/repo> [--account <12 digits>]`
// Prints the one-time IAM setup of an environment's account (scripts/lib/pipeline-policies.ts): the
// permissions boundary every role of the stacks carries, and the pipeline's roles (plan, primary
// deploy, DR deploy, failover, failback) with their trust and permissions policies. Without
// --account the account id is a placeholder; no account id is ever committed.
import { pipelinePolicies } from "../lib/pipeline-policies";
import { printPolicies, type PolicyPrinter } from "./policy-printer";

const printer: PolicyPrinter = {
  name: "pipeline-policies",
  options: { repo: { type: "string" } },
  check: (values) =>
    !values.repo || !/^[\w.-]+\/[\w.-]+$/.test(String(values.repo)) ? "--repo <owner/repo> is required (the GitHub repository whose workflows assume the roles)" : undefined,
  build: ({ env, account, partition, values }) => {
    const b = env.backend;
    const stateBuckets = b.kind === "s3" ? { primary: b.primary.bucket, dr: b.dr.bucket } : { primary: "<state bucket>", dr: "<dr state bucket>" };
    const keyPrefix = b.kind === "s3" ? b.keyPrefix : `cognito-dr/${env.name}`;
    return pipelinePolicies({ env, account, repository: values.repo as string, stateBuckets, stateKeyPrefix: keyPrefix, partition });
  },
};

process.exit(printPolicies(printer, process.argv.slice(2)));
