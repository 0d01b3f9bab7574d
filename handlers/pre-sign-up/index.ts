// Lambda entry: config and the table client are built once per cold start.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readPreSignUpConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

// Cognito waits 5 s for a trigger: one quick attempt and one retry, each bounded.
export const handler = makeHandler({
  config: readPreSignUpConfig(process.env),
  ddb: new DynamoDBClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 300, requestTimeout: 800, throwOnRequestTimeout: true } }),
  logger: createLogger(),
  metrics: createMetrics(),
});
