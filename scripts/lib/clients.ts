// SDK clients for operator scripts, the demo and tests, per environment and role.
// For `local` they point at the sandbox gateway with dummy credentials; for the
// real environments they use the default credential chain.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Environment } from "../../stacks/environments";

export interface RegionClients {
  region: string;
  cognito: CognitoIdentityProviderClient;
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  sqs: SQSClient;
}

export function regionClients(env: Environment, region: string, opts: { maxAttempts?: number } = {}): RegionClients {
  const common = {
    region,
    retryMode: "adaptive",
    maxAttempts: opts.maxAttempts ?? 8,
    ...(env.sandboxEndpoint
      ? { endpoint: env.sandboxEndpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } }
      : {}),
  };
  return {
    region,
    cognito: new CognitoIdentityProviderClient(common),
    dynamodb: new DynamoDBClient(common),
    streams: new DynamoDBStreamsClient(common),
    sqs: new SQSClient(common),
  };
}

export function bothRegions(env: Environment, opts?: { maxAttempts?: number }): { primary: RegionClients; dr: RegionClients } {
  return { primary: regionClients(env, env.primaryRegion, opts), dr: regionClients(env, env.drRegion, opts) };
}
