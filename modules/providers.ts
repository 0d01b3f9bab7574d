// AWS provider bindings for one environment: the stack's own region and, when
// asked for, an aliased provider for the other region. The `local` environment
// differs only here: every endpoint points at the sandbox gateway, with dummy
// credentials and the provider's validation skips.
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import type { Environment } from "../stacks/environments";

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

function sandboxSettings(env: Environment) {
  if (!env.sandboxEndpoint) return {};
  const endpoint = env.sandboxEndpoint;
  return {
    accessKey: "sandbox",
    secretKey: "sandbox",
    skipCredentialsValidation: true,
    skipMetadataApiCheck: "true",
    skipRequestingAccountId: true,
    skipRegionValidation: true,
    endpoints: [Object.fromEntries(SANDBOX_SERVICES.map((s) => [s, endpoint]))],
  };
}

export function awsProvider(scope: Construct, id: string, env: Environment, region: string, alias?: string) {
  return new AwsProvider(scope, id, {
    region,
    alias,
    defaultTags: [{ tags: env.tags }],
    ...sandboxSettings(env),
  });
}
