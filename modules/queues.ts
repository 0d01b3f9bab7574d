// SQS queues: encrypted at rest (records carry personal data), kept 14 days so an
// on-call engineer has time to look before anything expires.
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";

const FOURTEEN_DAYS = 14 * 24 * 3600;

export function deadLetterQueue(scope: Construct, id: string, name: string): SqsQueue {
  return new SqsQueue(scope, id, { name, sqsManagedSseEnabled: true, messageRetentionSeconds: FOURTEEN_DAYS });
}

export function workQueue(
  scope: Construct,
  id: string,
  props: { name: string; dlq: SqsQueue; maxReceiveCount: number; visibilityTimeoutSeconds: number },
): SqsQueue {
  return new SqsQueue(scope, id, {
    name: props.name,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: FOURTEEN_DAYS,
    visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: props.dlq.arn, maxReceiveCount: props.maxReceiveCount }),
  });
}

/**
 * A function consuming a work queue, reporting failed messages one by one (partial batch responses).
 * `after`: the function role's permissions, which Lambda checks when the mapping is created ("The
 * provided execution role does not have permissions to call ReceiveMessage on SQS" otherwise).
 */
export function queueConsumer(
  scope: Construct,
  id: string,
  props: {
    functionArn: string;
    queue: SqsQueue;
    batchSize: number;
    after: ITerraformDependable[];
    /** Seconds the mapping gathers messages before invoking (MaximumBatchingWindowInSeconds). */
    batchWindowSeconds?: number;
    /** Most concurrent invocations this mapping makes (ScalingConfig.MaximumConcurrency, 2 to 1000). */
    maxConcurrency?: number;
  },
): LambdaEventSourceMapping {
  return new LambdaEventSourceMapping(scope, id, {
    dependsOn: props.after,
    functionName: props.functionArn,
    eventSourceArn: props.queue.arn,
    batchSize: props.batchSize,
    functionResponseTypes: ["ReportBatchItemFailures"],
    ...(props.batchWindowSeconds !== undefined ? { maximumBatchingWindowInSeconds: props.batchWindowSeconds } : {}),
    ...(props.maxConcurrency !== undefined ? { scalingConfig: { maximumConcurrency: props.maxConcurrency } } : {}),
  });
}
