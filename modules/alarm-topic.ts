// The alarm topic of a stack, built so that alarms reach a person:
// - encrypted with a customer managed key of its own whose policy lets CloudWatch use it. The AWS
//   managed aws/sns key cannot be used: its policy allows only principals of the account through
//   SNS, never cloudwatch.amazonaws.com, so alarm actions silently fail (SNS developer guide,
//   "Enable compatibility between event sources from AWS services and encrypted topics"; re:Post,
//   "How do I configure a CloudWatch alarm with an encrypted SNS topic?"). A key of its own, not the
//   table's: CloudWatch must never be able to decrypt replicated users.
// - a topic policy that lets CloudWatch publish for this account's alarms in this region (re:Post,
//   "Why didn't I receive an SNS notification for my CloudWatch alarm trigger?").
// - subscribers: email addresses and an HTTPS endpoint (a paging service), and optionally an
//   existing topic every alarm also notifies (an organisation's on-call topic, whose own policy
//   must let CloudWatch publish).
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";

export interface AlarmTopicProps {
  /** Topic name; the key's alias is `alias/<name>`. */
  name: string;
  region: string;
  accountId: string;
  partition: string;
  accountRootArn: string;
  emails: string[];
  httpsEndpoint?: string;
  /** An existing topic in this region that every alarm also notifies. */
  existingTopicArn?: string;
}

const KEY_ADMIN_ACTIONS = [
  "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy",
  "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:EnableKey", "kms:DisableKey",
  "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];

export function alarmKeyPolicy(p: Pick<AlarmTopicProps, "accountRootArn" | "accountId" | "region" | "partition">): string {
  const alarms = `arn:${p.partition}:cloudwatch:${p.region}:${p.accountId}:alarm:*`;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "KeyAdministration", Effect: "Allow", Principal: { AWS: p.accountRootArn }, Action: KEY_ADMIN_ACTIONS, Resource: "*" },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": p.accountId }, ArnLike: { "aws:SourceArn": alarms } },
      },
      {
        // On-call may publish a test message (`aws sns publish`) with their own IAM permissions.
        Sid: "AccountPublishesThroughSns",
        Effect: "Allow",
        Principal: { AWS: p.accountRootArn },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": `sns.${p.region}.amazonaws.com`, "kms:CallerAccount": p.accountId } },
      },
    ],
  });
}

export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;
  readonly key: KmsKey;
  /** What alarms notify: this topic, and the existing one when configured. */
  readonly actions: string[];

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key = new KmsKey(this, "key", {
      description: `Encrypts the ${props.name} alarm topic (CloudWatch may use it)`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: alarmKeyPolicy(props),
    });
    new KmsAlias(this, "alias", { name: `alias/${props.name}`, targetKeyId: this.key.keyId });
    this.topic = new SnsTopic(this, "topic", { name: props.name, kmsMasterKeyId: this.key.arn });
    new SnsTopicPolicy(this, "policy", {
      arn: this.topic.arn,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: this.topic.arn,
            Condition: {
              StringEquals: { "aws:SourceAccount": props.accountId },
              ArnLike: { "aws:SourceArn": `arn:${props.partition}:cloudwatch:${props.region}:${props.accountId}:alarm:*` },
            },
          },
        ],
      }),
    });
    props.emails.forEach((email, i) => new SnsTopicSubscription(this, `email-${i}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email }));
    if (props.httpsEndpoint) new SnsTopicSubscription(this, "https", { topicArn: this.topic.arn, protocol: "https", endpoint: props.httpsEndpoint });
    this.actions = [this.topic.arn, ...(props.existingTopicArn ? [props.existingTopicArn] : [])];
  }
}
