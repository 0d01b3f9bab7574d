// Connects a function to a DynamoDB stream the way the replicator needs it:
// partial batch responses, bisect on error, bounded retries and record age, and
// an SQS on-failure destination. REMOVE events are filtered out here as an
// optimisation; the replicator skips them in code regardless.
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { RECORD_SCHEMA_ATTRIBUTE, TABLE_KEY } from "../handlers/contract";

/**
 * Lambda filters DynamoDB records on the `dynamodb` key; a REMOVE (TTL expiry
 * included) has no NewImage, so requiring the key in NewImage drops them all. A
 * user record also carries its schema version, which the replicator's own
 * canonical id -> DR user items (`dr#<id>`) do not: they are dropped too.
 */
export const SKIP_REMOVES_FILTER = JSON.stringify({ dynamodb: { NewImage: { [TABLE_KEY]: { S: [{ exists: true }] }, [RECORD_SCHEMA_ATTRIBUTE]: { N: [{ exists: true }] } } } });

export interface StreamConsumerProps {
  fn: LambdaFunction;
  /** The function role's permissions: Lambda checks them when the mapping is created ("Cannot access stream ..." otherwise). */
  after: ITerraformDependable[];
  streamArn: string;
  onFailure: SqsQueue;
  batchSize?: number;
  maximumRetryAttempts?: number;
  maximumRecordAgeSeconds?: number;
}

export function streamConsumer(scope: Construct, id: string, props: StreamConsumerProps): LambdaEventSourceMapping {
  return new LambdaEventSourceMapping(scope, id, {
    dependsOn: props.after,
    functionName: props.fn.arn,
    eventSourceArn: props.streamArn,
    // Start from the oldest record kept (24 h): the DR stack may be applied after
    // users already confirmed in the primary.
    startingPosition: "TRIM_HORIZON",
    batchSize: props.batchSize ?? 100,
    maximumBatchingWindowInSeconds: 0,
    parallelizationFactor: 1,
    functionResponseTypes: ["ReportBatchItemFailures"],
    bisectBatchOnFunctionError: true,
    // A DR outage blocks the shard and retries it (each attempt already backs off
    // inside the function); the record age is the bound that matters: past 6 h the
    // batch's position goes to the DLQ (metadata only) for the redrive tool. 10,000
    // is Lambda's maximum, so the retry count alone never ends an outage early.
    maximumRetryAttempts: props.maximumRetryAttempts ?? 10_000,
    maximumRecordAgeInSeconds: props.maximumRecordAgeSeconds ?? 6 * 3600,
    filterCriteria: { filter: [{ pattern: SKIP_REMOVES_FILTER }] },
    destinationConfig: { onFailure: { destinationArn: props.onFailure.arn } },
  });
}
