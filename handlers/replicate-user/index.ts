// Lambda entry: config and clients are built once per cold start. Cognito throttling
// is absorbed by the SDK's adaptive retry mode (client-side rate limiting + backoff);
// after maxAttempts the record becomes a batch item failure and the stream retries it.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { readReplicatorConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

const requestHandler = { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;
export const cognitoOptions = { retryMode: "adaptive", maxAttempts: 6, requestHandler } as const;
export const sqsOptions = { maxAttempts: 4, requestHandler } as const;
export const ddbOptions = { retryMode: "adaptive", maxAttempts: 5, requestHandler } as const;

export const handler = makeHandler({
  config: readReplicatorConfig(process.env),
  cognito: new CognitoIdentityProviderClient(cognitoOptions),
  ddb: new DynamoDBClient(ddbOptions),
  sqs: new SQSClient(sqsOptions),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
});
