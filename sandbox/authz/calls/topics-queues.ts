// SNS topics and SQS queues as terraform manages them (the alarm topics and their subscriptions,
// the fallback and dead-letter queues). The calls that name a topic by TopicArn or a queue by
// QueueUrl are mapped by requests.ts; these are the rest, and tags on create:
// - "To be able to tag a topic on creation, you must have the sns:CreateTopic and sns:TagResource
//   permissions" (SNS API Reference, CreateTopic, `Tags`);
// - "To be able to tag a queue on creation, you must have the sqs:CreateQueue and sqs:TagQueue
//   permissions" (SQS API Reference, CreateQueue, `tags`).
// A subscription's actions are authorized on its topic (Service Authorization Reference: Unsubscribe,
// Get/SetSubscriptionAttributes have the `topic` resource type); its ARN is the topic's plus an id.

import type { Check } from "../requests";
import { arnOf, memberList, params, requestTagContext, tagMap, type CallMapper } from "./common";

const topicOfSubscription = (arn: string) => arn.split(":").slice(0, 6).join(":");

export const snsControl: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  switch (op) {
    case "CreateTopic": {
      const topic = arnOf(c, "sns", String(p.Name));
      const tags = tagMap(memberList(p, "Tags"));
      const checks: Check[] = [{ action: "sns:CreateTopic", resource: topic, context: requestTagContext(tags) }];
      if (Object.keys(tags).length) checks.push({ action: "sns:TagResource", resource: topic, impliedBy: "sns:CreateTopic", resourceTags: {}, context: requestTagContext(tags) });
      return checks;
    }
    case "Subscribe":
      return [{ action: "sns:Subscribe", resource: String(p.TopicArn), resourcePolicy: "sns-topic", context: { "sns:Protocol": String(p.Protocol ?? ""), "sns:Endpoint": String(p.Endpoint ?? "") } }];
    case "Unsubscribe":
    case "GetSubscriptionAttributes":
    case "SetSubscriptionAttributes":
      return [{ action: `sns:${op}`, resource: topicOfSubscription(String(p.SubscriptionArn)), resourcePolicy: "sns-topic" }];
    case "ListTagsForResource":
    case "TagResource":
    case "UntagResource":
      return [{ action: `sns:${op}`, resource: String(p.ResourceArn), resourcePolicy: "sns-topic", context: op === "TagResource" ? requestTagContext(tagMap(memberList(p, "Tags"))) : {} }];
    default:
      return undefined;
  }
};

export const sqsControl: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  if (op !== "CreateQueue") return undefined;
  const p = params(c.req);
  const queue = arnOf(c, "sqs", String(p.QueueName));
  const tags = tagMap(p.tags ?? Object.fromEntries(memberList(p, "Tag").map((t) => [t.Key, t.Value])));
  const checks: Check[] = [{ action: "sqs:CreateQueue", resource: queue, context: requestTagContext(tags) }];
  if (Object.keys(tags).length) checks.push({ action: "sqs:TagQueue", resource: queue, impliedBy: "sqs:CreateQueue", resourceTags: {}, context: requestTagContext(tags) });
  return checks;
};
