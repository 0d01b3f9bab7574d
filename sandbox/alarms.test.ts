// Alarm actions as CloudWatch runs them: publishing to a topic encrypted with the AWS managed
// aws/sns key is refused (its key policy cannot name CloudWatch), to one encrypted with a customer
// managed key whose policy allows cloudwatch.amazonaws.com it is delivered to the subscribers.

import { CloudWatchClient, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe.skipIf(!!skip)("alarm actions", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let sns: SNSClient;
  let cw: CloudWatchClient;
  let kms: KMSClient;

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    const cfg = { region: REGION, endpoint: sb.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
    sns = new SNSClient(cfg);
    cw = new CloudWatchClient(cfg);
    kms = new KMSClient(cfg);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  async function alarmOn(name: string, topicAttributes: Record<string, string>) {
    const topic = (await sns.send(new CreateTopicCommand({ Name: name, Attributes: topicAttributes }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: "email", Endpoint: "oncall@example.com" }));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: `${name}-alarm`,
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [topic],
      }),
    );
    return topic;
  }

  it("cannot publish to a topic encrypted with aws/sns", async () => {
    const topic = await alarmOn("managed-key", { KmsMasterKeyId: "alias/aws/sns" });
    const [fired] = await sb.admin.fireAlarms(REGION, ["managed-key-alarm"]);
    expect(fired!.deliveries).toEqual([
      expect.objectContaining({ topicArn: topic, allowed: false, reason: expect.stringMatching(/^User: cloudwatch\.amazonaws\.com is not authorized to perform: kms:GenerateDataKey .*because no resource-based policy allows/) }),
    ]);
  });

  it("delivers to a topic whose customer managed key and topic policy allow CloudWatch", async () => {
    const key = await kms.send(
      new CreateKeyCommand({
        Policy: doc(
          { Sid: "Admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ["kms:DescribeKey", "kms:GetKeyPolicy"], Resource: "*" },
          { Sid: "CloudWatchAlarms", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" },
        ),
      }),
    );
    const topicPolicy = (arn: string) =>
      doc({ Sid: "Alarms", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: arn, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } });
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:customer-key`;
    await alarmOn("customer-key", { KmsMasterKeyId: key.KeyMetadata!.Arn!, Policy: topicPolicy(topic) });
    const [fired] = await sb.admin.fireAlarms(REGION, ["customer-key-alarm"]);
    expect(fired!.deliveries).toEqual([{ topicArn: topic, allowed: true, subscriptions: [{ protocol: "email", endpoint: "oncall@example.com" }] }]);
  });

  it("names an alarm that does not exist", async () => {
    await expect(sb.admin.fireAlarms(REGION, ["nope"])).rejects.toThrow(/no alarm named nope/);
  });
});
