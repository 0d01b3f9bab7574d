// SDK clients for operator scripts, the demo and tests, per environment and role.
// For `local` they point at the sandbox gateway, with the credentials in the environment when
// there are any (a role session the sandbox handed out: its calls are authorized as that role)
// and otherwise the sandbox's dummy keys (the administrator); for the real environments they use
// the default credential chain.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Environment } from "../../stacks/environments";

export interface RegionClients {
  region: string;
  cognito: CognitoIdentityProviderClient;
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  sqs: SQSClient;
}

/** The caller's credentials from the environment, or the sandbox's administrator keys. */
export function sandboxCredentials(env: NodeJS.ProcessEnv = process.env): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  return { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
}

export function regionClients(env: Environment, region: string, opts: { maxAttempts?: number } = {}): RegionClients {
  const common = {
    region,
    retryMode: "adaptive",
    maxAttempts: opts.maxAttempts ?? 8,
    ...(env.sandboxEndpoint ? { endpoint: env.sandboxEndpoint, credentials: sandboxCredentials() } : {}),
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

/** Lambda in one region (drift compares trigger code, smoke reads the mappings). */
export function lambdaClient(env: Environment, region: string): LambdaClient {
  return new LambdaClient({
    region,
    maxAttempts: 5,
    ...(env.sandboxEndpoint ? { endpoint: env.sandboxEndpoint, credentials: sandboxCredentials() } : {}),
  });
}

/** KMS in one region (the native drift check describes the pool's key). */
export function kmsClient(env: Environment, region: string): KMSClient {
  return new KMSClient({
    region,
    maxAttempts: 5,
    ...(env.sandboxEndpoint ? { endpoint: env.sandboxEndpoint, credentials: sandboxCredentials() } : {}),
  });
}
