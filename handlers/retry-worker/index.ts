// Lambda entry: config and clients are built once per cold start.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readRetryWorkerConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

export const handler = makeHandler({
  config: readRetryWorkerConfig(process.env),
  ddb: new DynamoDBClient({ retryMode: "adaptive", maxAttempts: 5 }),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
});
