// Lambda entry: config and clients are built once per cold start.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readRetryWorkerConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

export const ddbOptions = { retryMode: "adaptive", maxAttempts: 5 } as const;

export const handler = makeHandler({
  config: readRetryWorkerConfig(process.env),
  ddb: new DynamoDBClient(ddbOptions),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
});
