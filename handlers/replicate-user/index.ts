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

const config = readReplicatorConfig(process.env);

// A socket per user in flight in each client, never fewer than the SDK's default 50. The users in
// flight follow the rate (pacing.ts: up to 500), and the connection timeout counts from when a
// request is made, not from when it gets a socket (@smithy/node-http-handler, setConnectionTimeout):
// a request queued behind 50 busy sockets for over a second would fail and be retried.
export const SDK_DEFAULT_MAX_SOCKETS = 50;
const agent = { maxSockets: Math.max(SDK_DEFAULT_MAX_SOCKETS, config.maxConcurrency) };
const requestHandler = { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true, httpAgent: agent, httpsAgent: agent } as const;
export const cognitoOptions = { retryMode: "adaptive", maxAttempts: 6, requestHandler } as const;
export const sqsOptions = { maxAttempts: 4, requestHandler } as const;
export const ddbOptions = { retryMode: "adaptive", maxAttempts: 5, requestHandler } as const;

export const handler = makeHandler({
  config,
  // Every attempt takes a token, the SDK's retries of faulted calls included (limit attaches a middleware).
  cognito: new RegionLimiter(config.region, config.rates).limit(new CognitoIdentityProviderClient(cognitoOptions)),
  ddb: new DynamoDBClient(ddbOptions),
  sqs: new SQSClient(sqsOptions),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
});
