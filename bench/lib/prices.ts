// The dated price table the cost model (cost.ts) multiplies by. us-east-1 (primary) and us-west-2
// (DR), the regions `local` and every environment use unless told otherwise (stacks/environments.ts):
// both are priced alike for every line below, so one value stands for both (where that is an
// assumption, the note says so). Free tiers are left out on purpose: they are per account and shared
// with whatever else the account runs, so the estimate is what this project adds at list price.
//
// `source` is where the value was read, and `read` when: pages were read from the stored corpus of
// the search tool on that date, not live. Where the AWS page itself was not in the corpus with the
// figure, the source says so and names where the value came from instead.

export interface Price {
  /** US dollars per `unit`. */
  usd: number;
  unit: string;
  source: string;
  /** ISO date the source was read. */
  read: string;
  note?: string;
}

const READ = "2026-12-05";

export const PRICES = {
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: "request",
    source:
      "https://aws.amazon.com/lambda/pricing/ (stored copy has no figures); value from https://git.mcrn.ar/mariano/lambda_local_runner docs/lambdas-md/lambda-13-cost.md and https://cloudchipr.com/blog/aws-lambda-pricing (us-east-1)",
    read: READ,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: "GB-second (arm64, first 7.5 billion GB-s a month)",
    source: "https://cloudchipr.com/blog/aws-lambda-pricing (us-east-1, Arm tier 1); not found on the AWS page in the stored corpus",
    read: READ,
    note: "modules/bundled-function.ts deploys every function as arm64; us-west-2 assumed equal to us-east-1",
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: "write request unit (on-demand, Standard table class)",
    source: "https://airbyte.com/data-engineering-resources/dynamodb-pricing (US East, after the Nov 2024 on-demand price cut); AWS page not found with the figure in the stored corpus",
    read: READ,
  },
  dynamoReplicatedWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: "replicated write request unit (global table, per replica written)",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/global-tables-billing.html: rWRUs are priced the same as WRUs; one rWRU per replica table for each write up to 1 KB",
    read: READ,
  },
  dynamoReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: "read request unit (one strongly consistent read of up to 4 KB)",
    source: "https://airbyte.com/data-engineering-resources/dynamodb-pricing (US East); AWS page not found with the figure in the stored corpus",
    read: READ,
  },
  dynamoStorageGbMonth: {
    usd: 0.25,
    unit: "GB-month (Standard table class)",
    source: "not found in the stored corpus; value from the AWS DynamoDB on-demand pricing page as of 2025 (us-east-1)",
    read: READ,
  },
  dynamoPitrGbMonth: {
    usd: 0.2,
    unit: "GB-month of continuous backup (PITR)",
    source: "not found in the stored corpus; value from the AWS DynamoDB on-demand pricing page as of 2025 (us-east-1)",
    read: READ,
  },
  interRegionTransferGb: {
    usd: 0.02,
    unit: "GB replicated between us-east-1 and us-west-2",
    source: "global-tables-billing.html says cross-Region transfer fees apply; the $/GB was not found in the stored corpus; value from AWS EC2 data transfer pricing (US regions) as of 2025",
    read: READ,
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    unit: "request (standard queue, per 64 KB chunk)",
    source: "https://cloudburn.io/blog/amazon-sqs-pricing (us-east-1, March 2026); AWS page not found with the figure in the stored corpus",
    read: READ,
  },
  cloudTrailManagementEvent: {
    usd: 0,
    unit: "management event (first copy in a region)",
    source: "https://aws.amazon.com/cloudtrail/pricing/: the first copy of management events is delivered free; additional copies $2.00 per 100,000",
    read: READ,
    note: "modules/trail.ts: one single-region trail of write management events per region; free only while no other trail of the account already logs that region's management events",
  },
  cloudTrailExtraCopy: {
    usd: 2 / 1e5,
    unit: "management event (second or later copy)",
    source: "https://aws.amazon.com/cloudtrail/pricing/",
    read: READ,
  },
  eventBridgeAwsServiceEvent: {
    usd: 0,
    unit: "AWS service event on the default bus",
    source:
      "https://aws.amazon.com/premiumsupport/knowledge-center/eventbridge-reduce-charges/ (events originating from AWS services are free; custom, SaaS and cross-bus events are charged)",
    read: READ,
  },
  kmsKeyMonth: {
    usd: 1,
    unit: "customer managed key-month (each primary and each replica multi-Region key)",
    source: "https://aws.amazon.com/kms/pricing/",
    read: READ,
  },
  kmsRequest: {
    usd: 0.03 / 1e4,
    unit: "symmetric request",
    source: "https://www.wring.co/blog/aws-kms-pricing-guide and https://www.factualminds.com/blog/aws-kms-pricing-keys-requests-multi-region/ ($0.03 per 10,000); the AWS page's usage table was not in the stored copy",
    read: READ,
  },
  logsIngestGb: {
    usd: 0.5,
    unit: "GB ingested (CloudWatch Logs, Standard class)",
    source: "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ (us-east-1); the AWS page's tables were not in the stored copy",
    read: READ,
  },
  logsStorageGbMonth: {
    usd: 0.03,
    unit: "GB-month archived",
    source: "not found in the stored corpus; value from the AWS CloudWatch pricing page as of 2025 (us-east-1)",
    read: READ,
  },
  customMetricMonth: {
    usd: 0.3,
    unit: "custom metric-month (first 10,000)",
    source: "https://signoz.io/guides/cloudwatch-pricing ($0.30/month for the first 10,000; each name+dimensions combination is one metric)",
    read: READ,
  },
  alarmMonth: {
    usd: 0.1,
    unit: "standard-resolution alarm metric-month",
    source: "not found with the figure in the stored corpus (https://aws.amazon.com/cloudwatch/pricing/ copy lists alarms without prices); value from the AWS CloudWatch pricing page as of 2025",
    read: READ,
  },
  cognitoEssentialsMau: {
    usd: 0.015,
    unit: "monthly active user (Essentials tier, above the free allowance)",
    source:
      "not found with the figure in the stored corpus; value from the AWS Cognito pricing page as of 2025. What counts as a MAU: https://www.aws.amazon.com/de/cognito/pricing/ (an administrative creation or update, a sign-up, sign-in, token refresh, attribute update, or an attribute query for a user with AdminGetUser)",
    read: READ,
  },
  nativeReplicaMau: {
    usd: 0.0045,
    unit: "MAU per replica region (native multi-Region replication add-on, Essentials)",
    source: "not found in the stored corpus; value from issue 24 (the project's brief) as of 2026-12-05",
    read: READ,
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
