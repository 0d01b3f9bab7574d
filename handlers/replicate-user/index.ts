// Lambda entry: config and clients are built once per cold start. The Cognito client sends at
// most its configured rates (REPLICATOR_RATES, a share of the region's quotas: replication/pacing.ts),
// a token bucket per quota category kept across the warm instance's batches. Throttling that still
// happens (several busy shards at once, the region's own sign-ups) is absorbed by the SDK's adaptive
// retry mode; after maxAttempts the record becomes a batch item failure and the stream retries it.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { RegionLimiter } from "../replication/rate-limit";
import { readReplicatorConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

const requestHandler = { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;
export const cognitoOptions = { retryMode: "adaptive", maxAttempts: 6, requestHandler } as const;
export const sqsOptions = { maxAttempts: 4, requestHandler } as const;
export const ddbOptions = { retryMode: "adaptive", maxAttempts: 5, requestHandler } as const;

const config = readReplicatorConfig(process.env);

export const handler = makeHandler({
  config,
  // Every attempt takes a token, the SDK's retries of faulted calls included (attach, not wrap).
  cognito: new RegionLimiter(config.region, config.rates).attach(new CognitoIdentityProviderClient(cognitoOptions)),
  ddb: new DynamoDBClient(ddbOptions),
  sqs: new SQSClient(sqsOptions),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
});
