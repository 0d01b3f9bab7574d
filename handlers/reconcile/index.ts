// Lambda entry: config and clients are built once per cold start.
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { readReconcileBucket, readReconcileConfig } from "./config";
import { createLogger } from "../shared/logger";
import { createMetrics } from "../shared/metrics";
import { makeHandler } from "./handler";
import { s3Store } from "./store";

const config = readReconcileConfig(process.env);
const options = { retryMode: "adaptive", maxAttempts: 8 } as const;

export const handler = makeHandler({
  config,
  primary: new CognitoIdentityProviderClient({ ...options, region: config.primaryRegion }),
  dr: new CognitoIdentityProviderClient({ ...options, region: config.drRegion }),
  ddb: new DynamoDBClient({ retryMode: "adaptive", maxAttempts: 5, region: config.drRegion }),
  store: s3Store(new S3Client({ retryMode: "adaptive", maxAttempts: 5, region: config.drRegion }), readReconcileBucket(process.env)),
  logger: createLogger(),
  metrics: createMetrics(),
});
