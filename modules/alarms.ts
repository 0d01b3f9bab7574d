// The alarm topic of a stack and the alarms that are not tied to one function.
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { Construct } from "constructs";

export function alarmTopic(scope: Construct, name: string): SnsTopic {
  // AWS-managed SNS key: alarm notifications carry no personal data, and a
  // customer key would need CloudWatch in its key policy for nothing gained.
  return new SnsTopic(scope, "alarm-topic", { name, kmsMasterKeyId: "alias/aws/sns" });
}

export function queueDepthAlarm(
  scope: Construct,
  id: string,
  props: { queueName: string; threshold: number; topicArn: string; what: string },
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
    alarmActions: [props.topicArn],
    okActions: [props.topicArn],
  });
}

export function iteratorAgeAlarm(
  scope: Construct,
  id: string,
  props: { functionName: string; thresholdMs: number; topicArn: string },
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
    alarmActions: [props.topicArn],
    okActions: [props.topicArn],
  });
}
