// AWS provider bindings for one environment: the stack's own region and, when
// asked for, an aliased provider for the other region. The `local` environment
// differs only here: every endpoint points at the sandbox gateway, with the
// provider's validation skips. Credentials come from the environment in every
// environment: for `local` the session of the pipeline role the step runs as.
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";

/** Every service the stacks, data sources and scripts reach. */
const SANDBOX_SERVICES = [
  "cognitoidp",
  "dynamodb",
  "kms",
  "lambda",
  "iam",
  "sqs",
  "sns",
  "sts",
  "logs",
  "cloudwatch",
  "route53",
  "scheduler",
  "apigateway",
] as const;

function sandboxSettings(endpoint: string | undefined) {
  if (!endpoint) return {};
  return {
    skipCredentialsValidation: true,
    skipMetadataApiCheck: "true",
    skipRequestingAccountId: true,
    skipRegionValidation: true,
    endpoints: [Object.fromEntries(SANDBOX_SERVICES.map((s) => [s, endpoint]))],
  };
}

export interface AwsProviderProps {
  region: string;
  /** Set for a second, aliased provider reaching the other region. */
  alias?: string;
  tags: Record<string, string>;
  /** Set only for `local`: every endpoint points at the sandbox gateway. */
  sandboxEndpoint?: string;
}

export function awsProvider(scope: Construct, id: string, props: AwsProviderProps) {
  return new AwsProvider(scope, id, {
    region: props.region,
    alias: props.alias,
    defaultTags: [{ tags: props.tags }],
    ...sandboxSettings(props.sandboxEndpoint),
  });
}
