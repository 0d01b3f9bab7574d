// The alarms that are not tied to one function (the topic they notify: alarm-topic.ts).
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Construct } from "constructs";

// The namespace every function publishes its Powertools metrics under (bundled-function.ts).
export const METRICS_NAMESPACE = "CognitoDrReplication";

export function queueDepthAlarm(
  scope: Construct,
  id: string,
  props: { queueName: string; threshold: number; actions: string[]; what: string },
): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: `${props.queueName}-depth`,
    alarmDescription: `${props.what} Inspect and redrive with: npm run redrive -- --queue ${props.queueName}`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: props.queueName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: props.threshold,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    alarmActions: props.actions,
    okActions: props.actions,
  });
}

export function iteratorAgeAlarm(
  scope: Construct,
  id: string,
  props: { functionName: string; thresholdMs: number; actions: string[] },
): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: `${props.functionName}-iterator-age`,
    alarmDescription: `${props.functionName} is falling behind its DynamoDB stream: DR users lag the primary.`,
    namespace: "AWS/Lambda",
    metricName: "IteratorAge",
    dimensions: { FunctionName: props.functionName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 3,
    threshold: props.thresholdMs,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    alarmActions: props.actions,
    okActions: props.actions,
  });
}

// A count a function publishes through Powertools metrics (namespace and the `service` dimension
// set by BundledFunction): any occurrence in five minutes alarms.
export function functionMetricAlarm(
  scope: Construct,
  id: string,
  props: { functionName: string; service: string; metricName: string; description: string; actions: string[] },
): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: `${props.functionName}-${props.metricName}`,
    alarmDescription: props.description,
    namespace: METRICS_NAMESPACE,
    metricName: props.metricName,
    dimensions: { service: props.service },
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    alarmActions: props.actions,
    okActions: props.actions,
  });
}
