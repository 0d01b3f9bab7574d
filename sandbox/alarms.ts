// CloudWatch alarm actions, which moto stores but never runs. `POST /__sandbox/alarms/fire`
// does what CloudWatch does when an alarm goes into ALARM: for every SNS action it publishes as
// the service principal cloudwatch.amazonaws.com, which AWS allows only when
// - the topic policy lets cloudwatch.amazonaws.com sns:Publish (re:Post, "Why didn't I receive an
//   SNS notification for my CloudWatch alarm trigger?": otherwise the alarm history shows
//   "... is not authorized to perform: SNS:Publish on resource ..."), and
// - for an encrypted topic, the key policy lets cloudwatch.amazonaws.com kms:GenerateDataKey* and
//   kms:Decrypt (SNS developer guide, "Enable compatibility between event sources from AWS
//   services and encrypted topics"; an AWS managed aws/sns key never does).
// It answers, per action, whether delivery was allowed, why not, and who is subscribed.

import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { keyArnFor } from "./authz/managed-keys";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "./gateway";
import type { Authority, AwsRequest, AwsResponse, Next, PermissionCheck, PermissionResult } from "./types";

export interface AlarmDelivery {
  topicArn: string;
  allowed: boolean;
  /** AWS's denial message (CloudWatch records it in the alarm history). */
  reason?: string;
  subscriptions: Array<{ protocol: string; endpoint: string }>;
}

export interface AlarmFiring {
  alarmName: string;
  alarmArn: string;
  deliveries: AlarmDelivery[];
}

const CREDENTIALS = { accessKeyId: "sandbox-cloudwatch", secretAccessKey: "sandbox-cloudwatch" };

export class AlarmsPlugin implements SandboxPlugin {
  readonly name = "alarms";

  constructor(private readonly opts: { motoEndpoint: string; authority?: Authority }) {}

  handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    return next(req);
  }

  private config(region: string) {
    return { region, endpoint: this.opts.motoEndpoint, credentials: CREDENTIALS, maxAttempts: 4 };
  }

  /** Fires every alarm named (all alarms of the region when `names` is empty). */
  async fire(region: string, names: string[]): Promise<AlarmFiring[]> {
    const cw = new CloudWatchClient(this.config(region));
    const sns = new SNSClient(this.config(region));
    const alarms = (await cw.send(new DescribeAlarmsCommand(names.length ? { AlarmNames: names } : {}))).MetricAlarms ?? [];
    const missing = names.filter((n) => !alarms.some((a) => a.AlarmName === n));
    if (missing.length) throw new Error(`no alarm named ${missing.join(", ")} in ${region}`);
    const out: AlarmFiring[] = [];
    for (const alarm of alarms) {
      const firing: AlarmFiring = { alarmName: alarm.AlarmName!, alarmArn: alarm.AlarmArn!, deliveries: [] };
      for (const action of alarm.AlarmActions ?? []) {
        if (!action.includes(":sns:")) continue;
        const account = action.split(":")[4];
        const source = { arn: alarm.AlarmArn, account };
        const d: AlarmDelivery = { topicArn: action, allowed: true, subscriptions: [] };
        const publish = await this.may(source, { action: "sns:Publish", resource: action, resourcePolicy: "sns-topic" });
        const key = (await sns.send(new GetTopicAttributesCommand({ TopicArn: action }))).Attributes?.KmsMasterKeyId;
        const keyArn = key ? keyArnFor(key, region, account) : undefined;
        const checks = [publish];
        if (keyArn) {
          for (const kmsAction of ["kms:GenerateDataKey", "kms:Decrypt"]) {
            checks.push(await this.may(source, { action: kmsAction, resource: keyArn, resourcePolicy: "kms-key", context: { "kms:ViaService": `sns.${region}.amazonaws.com` } }));
          }
        }
        const denied = checks.find((c) => !c.allowed);
        d.allowed = !denied;
        d.reason = denied?.message;
        d.subscriptions = ((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: action }))).Subscriptions ?? []).map((s) => ({
          protocol: s.Protocol ?? "",
          endpoint: s.Endpoint ?? "",
        }));
        if (d.allowed) {
          await sns.send(new PublishCommand({ TopicArn: action, Subject: `ALARM: "${alarm.AlarmName}" in ${region}`, Message: JSON.stringify({ AlarmName: alarm.AlarmName, NewStateValue: "ALARM", NewStateReason: "fired by the sandbox" }) }));
        }
        firing.deliveries.push(d);
      }
      out.push(firing);
    }
    return out;
  }

  private may(source: { arn?: string; account?: string }, check: PermissionCheck): Promise<PermissionResult> {
    return this.opts.authority ? this.opts.authority.serviceMay("cloudwatch.amazonaws.com", source, check) : Promise.resolve({ allowed: true });
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    if (req.path !== "/alarms/fire" || req.method !== "POST") return undefined;
    const { region, alarmNames } = (req.body ?? {}) as { region?: unknown; alarmNames?: unknown };
    if (typeof region !== "string") return { status: 400, body: { error: "body needs `region` (and optionally `alarmNames`: string[])" } };
    const names = Array.isArray(alarmNames) ? alarmNames.map(String) : [];
    try {
      return { body: { alarms: await this.fire(region, names) } };
    } catch (e) {
      return { status: 404, body: { error: (e as Error).message } };
    }
  }
}
