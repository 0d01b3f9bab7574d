// Lambda entry: config and clients are built once per cold start.
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { readPostConfirmationConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

// Per attempt: 300 ms to connect + 600 ms for the answer; 2 attempts. See DEFAULT_BUDGETS.
export const clientOptions = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 300, requestTimeout: 600, throwOnRequestTimeout: true },
} as const;

export const handler = makeHandler({
  config: readPostConfirmationConfig(process.env),
  ddb: new DynamoDBClient(clientOptions),
  sqs: new SQSClient(clientOptions),
  logger: createLogger(),
  metrics: createMetrics(),
  now: Date.now,
  newId: randomUUID,
});
