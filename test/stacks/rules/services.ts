// AWS's service rules on the synthesized stacks, beyond IAM: supported runtimes, the email sender,
// the state bucket's region, alarm topics that can be published to, schedule retries, health
// check names, permission boundaries and prod's deletion protection.
import { evaluate, NODE_RUNTIMES, RUNTIMES_SOURCE, runtimeState } from "@cognito-dr/sandbox";
import { regionOf, resolveRefs, SAMPLE_ACCOUNT } from "../refs";
import { blocks, dedupe, list, refOf, type Block, type Finding, type StackUnderTest } from "./types";

/** Days before a runtime's deprecation from which the rule warns. */
export const RUNTIME_WARNING_DAYS = 180;

/**
 * Every function's memory and /tmp are within Lambda's ranges (API reference: CreateFunction
 * "MemorySize ... Minimum value of 128. Maximum value of 10240."; EphemeralStorage "Size ... Minimum
 * value of 512. Maximum value of 10240."): Lambda refuses others at apply, which plan never shows.
 */
export function functionSizeRule(s: StackUnderTest): Finding[] {
  return blocks(s.json, "aws_lambda_function").flatMap(([name, fn]): Finding[] => {
    const where = `aws_lambda_function.${name}`;
    const out: Finding[] = [];
    const within = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
    if (fn.memory_size !== undefined && !within(fn.memory_size, 128, 10_240)) out.push({ rule: "function-size", where, message: `memory_size ${String(fn.memory_size)} MB is outside Lambda's 128..10240 MB`, severity: "error" });
    for (const e of list(fn.ephemeral_storage as Block | Block[] | undefined)) {
      if (!within(e.size, 512, 10_240)) out.push({ rule: "function-size", where, message: `ephemeral_storage size ${String(e.size)} MB is outside Lambda's 512..10240 MB`, severity: "error" });
    }
    return out;
  });
}

/**
 * Every function's runtime is supported today (a dated table of AWS's deprecation schedule); one
 * that AWS deprecates within RUNTIME_WARNING_DAYS is a warning.
 */
export function runtimeRule(s: StackUnderTest, today = new Date().toISOString().slice(0, 10)): Finding[] {
  return blocks(s.json, "aws_lambda_function").flatMap(([name, fn]): Finding[] => {
    const rt = String(fn.runtime);
    const state = runtimeState(rt, today);
    const row = NODE_RUNTIMES.find((r) => r.runtime === rt);
    const where = `aws_lambda_function.${name}`;
    if (state === "supported") {
      const days = row ? Math.round((Date.parse(row.deprecation) - Date.parse(today)) / 86_400_000) : Infinity;
      return days <= RUNTIME_WARNING_DAYS ? [{ rule: "runtime", where, message: `runtime ${rt} is deprecated in ${days} days (${row!.deprecation}); see ${RUNTIMES_SOURCE}`, severity: "warning" as const }] : [];
    }
    const why = row ? `${state} on ${today} (deprecated ${row.deprecation}, block create ${row.blockCreate}, block update ${row.blockUpdate})` : "not in the table of supported runtimes";
    return [{ rule: "runtime", where, message: `runtime ${rt} is ${why}; see ${RUNTIMES_SOURCE}`, severity: "error" as const }];
  });
}

/**
 * Pools that sign users in with EMAIL_OTP send through SES in their own region outside `local`:
 * Cognito's default sender allows 50 emails a day per account (Cognito developer guide, "Quotas"),
 * and every DR sign-in of a replicated user is an OTP email. `dev` may keep the default (warning).
 * The SES identity's region must be the pool's (user-pool-email.html: "Typically, the Region in the
 * SourceArn and the user pool Region are the same"; the DR pool must not depend on the primary region).
 */
export function emailRule(s: StackUnderTest): Finding[] {
  if (s.envName === "local") return [];
  return blocks(s.json, "aws_cognito_user_pool").flatMap(([name, pool]) => {
    const factors = list((pool.sign_in_policy as { allowed_first_auth_factors?: string[] } | undefined)?.allowed_first_auth_factors);
    if (!factors.includes("EMAIL_OTP")) return [];
    const where = `aws_cognito_user_pool.${name}`;
    const email = (pool.email_configuration ?? {}) as { email_sending_account?: string; source_arn?: string };
    if (email.email_sending_account !== "DEVELOPER" || !email.source_arn) {
      return [{ rule: "email", where, message: `EMAIL_OTP sign-in with Cognito's default sender (50 emails a day per account): set an SES identity (DEVELOPER) for ${s.envName}`, severity: s.envName === "dev" ? ("warning" as const) : ("error" as const) }];
    }
    const sesRegion = resolveRefs(s.json, email.source_arn).split(":")[3];
    const poolRegion = regionOf(s.json, pool);
    return sesRegion === poolRegion ? [] : [{ rule: "email", where, message: `SES identity ${email.source_arn} is in ${sesRegion}, the pool in ${poolRegion}: use an identity in the pool's own region`, severity: "error" as const }];
  });
}

/** A stack's Terraform state lives in its own region: the DR stack must be plannable while the primary region is down. */
export function stateRegionRule(s: StackUnderTest): Finding[] {
  const s3 = (s.json.terraform.backend as Record<string, Block> | undefined)?.s3;
  if (!s3) return [];
  const own = s.json.provider.aws.find((p) => p.alias === undefined)?.region;
  return s3.region === own ? [] : [{ rule: "state-region", where: `${s.name} backend`, message: `state bucket region ${String(s3.region)} is not the stack's region ${String(own)}`, severity: "error" }];
}

/**
 * Alarm actions reach a person: CloudWatch may publish to the topic (topic policy naming
 * cloudwatch.amazonaws.com, re:Post "cloudwatch-receive-sns-for-alarm-trigger"), may use its key
 * (a customer managed key whose policy allows cloudwatch.amazonaws.com kms:GenerateDataKey* and
 * kms:Decrypt; never aws/sns: SNS developer guide, "Enable compatibility between event sources
 * from AWS services and encrypted topics"), and someone is subscribed.
 */
export async function alarmTopicRule(s: StackUnderTest): Promise<Finding[]> {
  const out: Finding[] = [];
  const topics = new Map(blocks(s.json, "aws_sns_topic").map(([name, t]) => [refOf("aws_sns_topic", name, "arn"), { name, t }]));
  const checked = new Set<string>();
  for (const [alarmName, alarm] of blocks(s.json, "aws_cloudwatch_metric_alarm")) {
    for (const action of list(alarm.alarm_actions as string[] | undefined)) {
      const topic = topics.get(action);
      if (!topic) {
        out.push({ rule: "alarm-topic", where: `aws_cloudwatch_metric_alarm.${alarmName}`, message: `action ${action} is not a topic of this stack; its policy and key are not checked here`, severity: "warning" });
        continue;
      }
      const where = `aws_sns_topic.${topic.name}`;
      const source = { arn: resolveRefs(s.json, refOf("aws_cloudwatch_metric_alarm", alarmName, "arn")), account: SAMPLE_ACCOUNT };
      const topicArn = resolveRefs(s.json, action);
      const cloudwatch = { kind: "service" as const, service: "cloudwatch.amazonaws.com", sourceArn: source.arn, sourceAccount: source.account };
      const context = { "aws:SourceArn": source.arn, "aws:SourceAccount": source.account };
      const topicPolicy = blocks(s.json, "aws_sns_topic_policy").find(([, p]) => p.arn === action)?.[1]?.policy;
      const publish = await evaluate(
        { principal: cloudwatch, action: "sns:Publish", resource: topicArn, resourceAccount: SAMPLE_ACCOUNT, context },
        { identity: [], resource: topicPolicy ? JSON.parse(resolveRefs(s.json, String(topicPolicy))) : undefined },
      );
      if (!publish.allowed) out.push({ rule: "alarm-topic", where, message: `CloudWatch may not sns:Publish to it (alarm ${String(alarm.alarm_name)}): add a topic policy for cloudwatch.amazonaws.com`, severity: "error" });
      const keyRef = topic.t.kms_master_key_id as string | undefined;
      if (keyRef && /alias\/aws\/sns$/.test(keyRef)) {
        out.push({ rule: "alarm-topic", where, message: "encrypted with the AWS managed aws/sns key, whose policy CloudWatch can never use: alarm actions fail", severity: "error" });
      } else if (keyRef) {
        const key = [...blocks(s.json, "aws_kms_key"), ...blocks(s.json, "aws_kms_replica_key")].find(([n, , ]) => [refOf("aws_kms_key", n, "arn"), refOf("aws_kms_key", n, "key_id"), refOf("aws_kms_replica_key", n, "arn")].includes(keyRef));
        const policy = key?.[1].policy ? JSON.parse(resolveRefs(s.json, String(key[1].policy))) : undefined;
        const keyArn = resolveRefs(s.json, keyRef);
        for (const kmsAction of ["kms:GenerateDataKey", "kms:Decrypt"]) {
          const d = await evaluate({ principal: cloudwatch, action: kmsAction, resource: keyArn, resourceAccount: SAMPLE_ACCOUNT, context }, { identity: [], resource: policy });
          if (!d.allowed) out.push({ rule: "alarm-topic", where, message: `its key ${keyRef} does not let CloudWatch ${kmsAction}`, severity: "error" });
        }
      }
      if (!checked.has(action)) {
        checked.add(action);
        const subscribed = blocks(s.json, "aws_sns_topic_subscription").some(([, sub]) => sub.topic_arn === action);
        // dev may run without subscribers (plan and deploy warn); nowhere else.
        if (!subscribed) out.push({ rule: "alarm-topic", where, message: "no subscription: alarms published here reach nobody", severity: s.envName === "dev" ? "warning" : "error" });
      }
    }
  }
  return dedupe(out);
}

/**
 * A function a schedule invokes asynchronously has its retries set on purpose: Lambda retries a
 * failed asynchronous invocation twice by default (AWS::Lambda::EventInvokeConfig: "By default,
 * Lambda retries an asynchronous invocation twice"), on top of the schedule's own RetryPolicy
 * (Scheduler API, RetryPolicy: 0-185 attempts, 60-86400 s), so both are stated explicitly.
 */
export function scheduleRetryRule(s: StackUnderTest): Finding[] {
  const out: Finding[] = [];
  for (const [name, sched] of blocks(s.json, "aws_scheduler_schedule")) {
    const target = (sched.target ?? {}) as { arn?: string; retry_policy?: { maximum_retry_attempts?: number; maximum_event_age_in_seconds?: number } };
    const where = `aws_scheduler_schedule.${name}`;
    if (target.retry_policy?.maximum_retry_attempts === undefined || target.retry_policy?.maximum_event_age_in_seconds === undefined) {
      out.push({ rule: "schedule-retry", where, message: "retry_policy must state maximum_retry_attempts and maximum_event_age_in_seconds", severity: "error" });
    }
    const fn = blocks(s.json, "aws_lambda_function").find(([n]) => target.arn === refOf("aws_lambda_function", n, "arn"));
    if (!fn) continue;
    const [fnName] = fn;
    const config = blocks(s.json, "aws_lambda_function_event_invoke_config").find(([, c]) =>
      [refOf("aws_lambda_function", fnName, "function_name"), refOf("aws_lambda_function", fnName, "arn")].includes(String(c.function_name)),
    );
    if (config?.[1].maximum_retry_attempts === undefined) {
      out.push({ rule: "schedule-retry", where, message: `${String(fn[1].function_name)} is invoked asynchronously but has no aws_lambda_function_event_invoke_config with maximum_retry_attempts: Lambda would retry a failed run twice`, severity: "error" });
    }
  }
  return out;
}

/**
 * A schedule's execution role trusts EventBridge Scheduler for this account's schedules only: its
 * trust policy, evaluated as AWS evaluates it, lets scheduler.amazonaws.com assume the role with
 * the request context Scheduler sends (`aws:SourceAccount` the account, `aws:SourceArn` the
 * schedule group: Scheduler User Guide, "Confused deputy prevention") and refuses the same request
 * from another account (so the condition is there, and on the right key).
 */
export async function scheduleTrustRule(s: StackUnderTest): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const [name, sched] of blocks(s.json, "aws_scheduler_schedule")) {
    const where = `aws_scheduler_schedule.${name}`;
    const roleRef = String((sched.target as { role_arn?: string } | undefined)?.role_arn ?? "");
    const role = blocks(s.json, "aws_iam_role").find(([n]) => roleRef === refOf("aws_iam_role", n, "arn"));
    if (!role) {
      out.push({ rule: "schedule-trust", where, message: `its role ${roleRef} is not a role of this stack; its trust is not checked here`, severity: "warning" });
      continue;
    }
    const trust = JSON.parse(resolveRefs(s.json, String(role[1].assume_role_policy))) as unknown;
    const roleArn = resolveRefs(s.json, roleRef);
    const assume = (account: string) =>
      evaluate(
        {
          principal: { kind: "service", service: "scheduler.amazonaws.com" },
          action: "sts:AssumeRole",
          resource: roleArn,
          resourceAccount: SAMPLE_ACCOUNT,
          context: { "aws:SourceAccount": account, "aws:SourceArn": `arn:aws:scheduler:${regionOf(s.json, sched)}:${account}:schedule-group/default` },
        },
        { identity: [], resource: trust },
      );
    if (!(await assume(SAMPLE_ACCOUNT)).allowed) out.push({ rule: "schedule-trust", where, message: `EventBridge Scheduler may not assume its role ${String(role[1].name)}: the schedule never runs`, severity: "error" });
    if ((await assume("999999999999")).allowed) {
      out.push({ rule: "schedule-trust", where, message: `its role ${String(role[1].name)} trusts Scheduler acting for any account: condition the trust on aws:SourceAccount`, severity: "error" });
    }
  }
  return out;
}

/**
 * Route 53 health check `reference_name`: the provider appends a 37-character unique id to make the
 * CallerReference (64 at most), so it refuses names over 27 characters (hashicorp/aws
 * internal/service/route53/health_check.go).
 */
export function healthCheckNameRule(s: StackUnderTest): Finding[] {
  return blocks(s.json, "aws_route53_health_check").flatMap(([name, hc]) => {
    const ref = String(hc.reference_name ?? "");
    return ref.length <= 27 ? [] : [{ rule: "health-check-name", where: `aws_route53_health_check.${name}`, message: `reference_name "${ref}" is ${ref.length} characters; the provider allows 27`, severity: "error" as const }];
  });
}

/**
 * Every role the stacks create carries the environment's permissions boundary, so what a deploy role
 * can hand a workload is capped (IAM User Guide, "Permissions boundaries for IAM entities"); the
 * pipeline's deploy roles may create roles only with it (iam:PermissionsBoundary condition).
 */
export function roleBoundaryRule(s: StackUnderTest): Finding[] {
  const prefix = s.name.replace(/-(primary|dr)$/, "");
  return blocks(s.json, "aws_iam_role").flatMap(([name, role]) => {
    const boundary = role.permissions_boundary === undefined ? "" : resolveRefs(s.json, String(role.permissions_boundary));
    return boundary.endsWith(`:policy/${prefix}-boundary`) ? [] : [{ rule: "role-boundary", where: `aws_iam_role.${name}`, message: `role ${String(role.name)} has no permissions boundary ${prefix}-boundary (got ${boundary || "none"})`, severity: "error" as const }];
  });
}

/** In prod, the pools, the table and the keys that encrypt it refuse `terraform destroy` (lifecycle.prevent_destroy). */
export function prodProtectionRule(s: StackUnderTest): Finding[] {
  if (s.envName !== "prod") return [];
  const out: Finding[] = [];
  const tableKeys = new Set(
    blocks(s.json, "aws_dynamodb_table").flatMap(([, t]) => [
      (t.server_side_encryption as { kms_key_arn?: string } | undefined)?.kms_key_arn,
      ...list(t.replica as Array<{ kms_key_arn?: string }> | undefined).map((r) => r.kms_key_arn),
    ]),
  );
  const encryptsTable = (type: string, name: string) => !type.startsWith("aws_kms") || tableKeys.has(refOf(type, name, "arn"));
  for (const type of ["aws_cognito_user_pool", "aws_dynamodb_table", "aws_kms_key", "aws_kms_replica_key"]) {
    for (const [name, r] of blocks(s.json, type).filter(([n]) => encryptsTable(type, n))) {
      if ((r.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy !== true) {
        out.push({ rule: "prod-protection", where: `${type}.${name}`, message: "prod keeps it from terraform destroy: set lifecycle.prevent_destroy", severity: "error" });
      }
    }
  }
  return out;
}
