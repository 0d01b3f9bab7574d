// What the primary and the DR stack of one environment each take from its settings for their own
// region: the state bucket, the alarm topic and its subscribers, the pool's email sender. Modules
// get plain props; this is where an Environment becomes them.
import type { Construct } from "constructs";
import type { Account } from "../modules/account";
import { AlarmTopic } from "../modules/alarm-topic";
import type { BackendProps } from "../modules/backend";
import type { PoolEmail } from "../modules/user-pool";
import type { Environment } from "./environments";
import type { Role } from "./names";

export function regionOf(env: Environment, role: Role): string {
  return role === "primary" ? env.primaryRegion : env.drRegion;
}

export function backendProps(env: Environment, role: Role, stackName: string): BackendProps {
  const b = env.backend;
  if (b.kind === "local") return b;
  const bucket = role === "primary" ? b.primary : b.dr;
  return { kind: "s3", bucket: bucket.bucket, region: bucket.region, key: `${b.keyPrefix}/${stackName}.tfstate`, endpoint: b.endpoint };
}

export function alarmTopic(scope: Construct, env: Environment, account: Account, role: Role, stackName: string): AlarmTopic {
  const n = env.notifications;
  return new AlarmTopic(scope, "alarm-topic", {
    name: `${stackName}-alarms`,
    region: regionOf(env, role),
    accountId: account.id,
    partition: account.partition,
    accountRootArn: account.rootArn,
    emails: n.emails,
    httpsEndpoint: n.httpsEndpoint,
    existingTopicArn: n.existingTopicArns[role],
  });
}

/** The pool's email sender: SES in the pool's own region outside `local` (see EmailSettings). */
export function poolEmail(env: Environment, account: Account, role: Role): PoolEmail {
  const e = env.email;
  if (e.kind === "cognito-default") return { kind: "cognito-default" };
  const identity = e.identities[role];
  const arn = identity.startsWith("arn:") ? identity : `arn:${account.partition}:ses:${regionOf(env, role)}:${account.id}:identity/${identity}`;
  return { kind: "ses", from: e.from, sourceArn: arn, configurationSet: e.configurationSet };
}
