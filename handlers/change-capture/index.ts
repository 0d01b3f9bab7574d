// Lambda entry: config and clients are built once per cold start. Cognito throttling is absorbed
// by the SDK's adaptive retry mode on top of the handler's own rate limit; a user still failing
// after that has its messages retried by SQS (and moved to the DLQ after maxReceiveCount).
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { readCaptureConfig } from "./config";
import { makeHandler } from "./handler";

const requestHandler = { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;
export const cognitoOptions = { retryMode: "adaptive", maxAttempts: 6, requestHandler } as const;
export const ddbOptions = { retryMode: "adaptive", maxAttempts: 5, requestHandler } as const;

export const handler = makeHandler({
  config: readCaptureConfig(process.env),
  cognito: new CognitoIdentityProviderClient(cognitoOptions),
  ddb: new DynamoDBClient(ddbOptions),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
});
