// What the primary and the DR stack of one environment each take from its settings for their own
// region: the state bucket, the alarm topic and its subscribers, the pool's email sender. Modules
// get plain props; this is where an Environment becomes them.
import type { Construct } from "constructs";
import type { Account } from "../modules/account";
import { AlarmTopic } from "../modules/alarm-topic";
import type { BackendProps } from "../modules/backend";
import { PreTokenTrigger } from "../modules/pre-token-trigger";
import { awsProvider } from "../modules/providers";
import { ReplicatedUserPool, type PoolEmail, type ReplicatedUserPoolProps } from "../modules/user-pool";
import type { Environment } from "./environments";
import { names, type Role } from "./names";

export function regionOf(env: Environment, role: Role): string {
  return role === "primary" ? env.primaryRegion : env.drRegion;
}

export function backendProps(env: Environment, role: Role, stackName: string): BackendProps {
  const b = env.backend;
  if (b.kind === "local") return b;
  const bucket = role === "primary" ? b.primary : b.dr;
  // Workspaces under the same prefix: terraform lists `<workspace_key_prefix>/` at every init, and the
  // pipeline roles may list only the state prefix (default prefix `env:` would be denied: sandbox-found).
  return { kind: "s3", bucket: bucket.bucket, region: bucket.region, key: `${b.keyPrefix}/${stackName}.tfstate`, workspaceKeyPrefix: `${b.keyPrefix}/workspaces`, endpoint: b.endpoint };
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
export function poolEmail(env: Environment, account: Pick<Account, "id" | "partition">, role: Role): PoolEmail {
  const e = env.email;
  if (e.kind === "cognito-default") return { kind: "cognito-default" };
  const identity = e.identities[role];
  const arn = identity.startsWith("arn:") ? identity : `arn:${account.partition}:ses:${regionOf(env, role)}:${account.id}:identity/${identity}`;
  return { kind: "ses", from: e.from, sourceArn: arn, configurationSet: e.configurationSet };
}

/** The stack's provider for a region (the other region's with an alias). */
export function provider(scope: Construct, id: string, env: Environment, region: string, alias?: string) {
  return awsProvider(scope, id, { region, alias, tags: env.tags, sandboxEndpoint: env.sandboxEndpoint });
}

/**
 * D3: whether a pool's `custom:canonical_id` names its users' canonical id: the DR pool's (the
 * replicator sets it) unless the replication is native, the primary pool's only in two-way mode (DR-born users' copies carry it; in
 * one-way mode nothing of this project sets it there, so a value was written by someone else).
 */
export function trustsCanonicalIdAttribute(env: Pick<Environment, "replication">, role: Role): boolean {
  // Native: the secondary's users are Cognito's copies, same sub; nothing of this project sets the attribute.
  if (env.replication.engine === "native") return false;
  return role === "dr" || env.replication.mode === "two-way";
}

/** The pre-token trigger of one region's pool; its role name differs by role (IAM names are account-wide). */
export function preTokenTrigger(scope: Construct, env: Environment, role: Role, alarmActions: string[], permissionsBoundary: string): PreTokenTrigger {
  const n = names(env);
  return new PreTokenTrigger(scope, "pre-token", {
    functionName: n.fn("pre-token"),
    roleName: n.role(`pre-token-${role}`),
    logRetentionDays: env.logRetentionDays,
    errorsThreshold: env.alarms.lambdaErrors,
    alarmActions,
    permissionsBoundary,
    trustCanonicalIdAttribute: trustsCanonicalIdAttribute(env, role),
  });
}

/** One region's pool: everything but the name, the sender and the triggers comes from the environment. */
export function userPool(scope: Construct, env: Environment, account: Account, role: Role, triggers: Pick<ReplicatedUserPoolProps, "triggers" | "preTokenGeneration">): ReplicatedUserPool {
  const n = names(env);
  return new ReplicatedUserPool(scope, "users", {
    name: n.userPool(role),
    clientName: n.appClient,
    appClient: env.appClient,
    deletionProtection: env.deletionProtection,
    email: poolEmail(env, account, role),
    ...triggers,
  });
}
