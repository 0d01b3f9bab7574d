// Lambda entry: config and clients are built once per cold start.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readReconcileConfig } from "./config";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";

const config = readReconcileConfig(process.env);
const options = { retryMode: "adaptive", maxAttempts: 8 } as const;

export const handler = makeHandler({
  config,
  primary: new CognitoIdentityProviderClient({ ...options, region: config.primaryRegion }),
  dr: new CognitoIdentityProviderClient({ ...options, region: config.drRegion }),
  ddb: new DynamoDBClient({ retryMode: "adaptive", maxAttempts: 5, region: config.drRegion }),
  logger: createLogger(),
  metrics: createMetrics(),
});
