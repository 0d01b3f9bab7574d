// An EventBridge rule on the default event bus that sends what it matches to an SQS queue, with the
// queue policy EventBridge needs: it delivers as the service principal events.amazonaws.com, which
// only the queue's resource policy can allow (EventBridge User Guide, "Using resource-based policies
// for Amazon EventBridge": SQS permissions), limited to this rule by aws:SourceArn against the
// confused deputy. The queue uses SSE-SQS, which needs no key policy for EventBridge (a customer
// managed key would have to allow it).
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";

export interface EventsToQueueProps {
  ruleName: string;
  description: string;
  /** The event pattern (EventBridge User Guide, "Event patterns"). */
  pattern: Record<string, unknown>;
  queue: SqsQueue;
}

export class EventsToQueue extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: EventsToQueueProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, "rule", { name: props.ruleName, description: props.description, eventPattern: JSON.stringify(props.pattern) });
    const policy = new SqsQueuePolicy(this, "events-may-send", {
      queueUrl: props.queue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeRuleSends",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: props.queue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": this.rule.arn } },
          },
        ],
      }),
    });
    new CloudwatchEventTarget(this, "target", { rule: this.rule.name, arn: props.queue.arn, targetId: "queue", dependsOn: [policy] });
  }
}
