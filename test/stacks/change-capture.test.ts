// Change capture as synthesized, held to what AWS documents: the rule's pattern evaluated on the
// CloudTrail events AWS documents (an admin call names its pool in requestParameters, a managed
// login call in additionalEventData), the queue open to exactly that rule, a trail that logs the
// region's management write events into a private, encrypted bucket CloudTrail may write to, and
// an environment with a trail of its own (an organization trail) creating none.
import { evaluate, matchesAny, parseFilterCriteria } from "@cognito-dr/sandbox";
import { describe, expect, it } from "vitest";
import { CAPTURED_EVENT_NAMES, ENV } from "../../handlers/contract";
import { capturePattern } from "../../stacks/change-capture";
import { environment } from "../../stacks/environments";
import * as aws from "../support/aws";
import { only, resources, synthAll, synthEnvironment, type TfJson } from "./synth";

/** The trail's resources of `type` (the DR stack's scheduled reconcile has a bucket of its own). */
const trailResources = (stack: TfJson, type: string) => resources(stack, type).filter(([n]) => !n.startsWith("reconcile-state_"));
function trailOnly(stack: TfJson, type: string): Record<string, unknown> {
  const all = trailResources(stack, type);
  if (all.length !== 1) throw new Error(`expected exactly one trail ${type}, found ${all.length}`);
  return all[0]![1];
}

// Change capture runs in the primary stack always, and in the DR stack in two-way mode.
const cases = [
  ...synthAll().map((e) => ({ ...e, mode: "one-way", role: "primary" as const, stack: e.primary })),
  ...synthAll("two-way").flatMap((e) => (["primary", "dr"] as const).map((role) => ({ ...e, mode: "two-way", role, stack: e[role] as TfJson }))),
];
const POOL = "us-west-2_aaaaaaaaa";
const matches = (pattern: Record<string, unknown>, event: unknown) => matchesAny(parseFilterCriteria({ Filters: [{ Pattern: JSON.stringify(pattern) }] }), event as never);

describe("the capture rule's pattern, on AWS's documented events", () => {
  const pattern = capturePattern(POOL);
  it("matches the pool's admin calls (pool in requestParameters) and managed login's (in additionalEventData)", () => {
    expect(matches(pattern, aws.eventBridgeCloudTrailEvent(aws.cloudTrailAdminCall()))).toBe(true);
    const confirm = { ...aws.cloudTrailManagedLoginConfirm(), additionalEventData: { ...aws.cloudTrailManagedLoginConfirm().additionalEventData, userPoolId: POOL } };
    expect(matches(pattern, aws.eventBridgeCloudTrailEvent(confirm))).toBe(true);
  });
  it("leaves out another pool's calls, calls that change no user, and other sources", () => {
    expect(matches(capturePattern("us-west-2_bbbbbbbbb"), aws.eventBridgeCloudTrailEvent(aws.cloudTrailAdminCall()))).toBe(false);
    expect(matches(pattern, aws.eventBridgeCloudTrailEvent({ ...aws.cloudTrailAdminCall(), eventName: "AdminGetUser" }))).toBe(false);
    expect(matches(pattern, { ...aws.eventBridgeCloudTrailEvent(aws.cloudTrailAdminCall()), source: "aws.iam" })).toBe(false);
  });
  it("names every call change-capture handles, and fits EventBridge's pattern size", () => {
    expect((pattern.detail as { eventName: string[] }).eventName).toEqual([...CAPTURED_EVENT_NAMES]);
    // EventBridge API Reference, PutRule: EventPattern is at most 4096 characters.
    expect(JSON.stringify(pattern).length).toBeLessThan(4096);
  });
});

const ref = (type: string, name: string, attr: string) => `\${${type}.${name}.${attr}}`;

describe.each(cases.map((c) => [c.env.name, c.mode, c.role, c] as const))("environment %s (%s), %s stack", (_name, mode, role, { env, stack: primary }) => {
  const region = role === "primary" ? env.primaryRegion : env.drRegion;
  const [ruleName, rule] = resources(primary, "aws_cloudwatch_event_rule")[0]!;
  const fn = resources(primary, "aws_lambda_function").find(([name]) => name.startsWith("change-capture"))![1];

  it("sends its own pool's user changes to a queue open to that rule only", async () => {
    const pool = resources(primary, "aws_cognito_user_pool")[0]![0];
    expect(JSON.parse(rule.event_pattern as string)).toEqual(capturePattern(ref("aws_cognito_user_pool", pool, "id")));
    const target = only(primary, "aws_cloudwatch_event_target");
    const [queueName] = resources(primary, "aws_sqs_queue").find(([, q]) => q.name === `${env.prefix}-change-capture`)!;
    expect(target.arn).toBe(ref("aws_sqs_queue", queueName, "arn"));
    const doc = JSON.parse(only(primary, "aws_sqs_queue_policy").policy as string);
    const queueArn = "arn:aws:sqs:us-east-1:123456789012:q";
    const ruleArn = "arn:aws:events:us-east-1:123456789012:rule/r";
    const resolved = JSON.parse(JSON.stringify(doc).split(ref("aws_sqs_queue", queueName, "arn")).join(queueArn).split(ref("aws_cloudwatch_event_rule", ruleName, "arn")).join(ruleArn));
    const send = (sourceArn: string) =>
      evaluate(
        { principal: { kind: "service", service: "events.amazonaws.com", sourceArn }, action: "sqs:SendMessage", resource: queueArn, resourceAccount: "123456789012", context: { "aws:SourceArn": sourceArn } },
        { identity: [], resource: resolved },
      );
    expect((await send(ruleArn)).allowed).toBe(true);
    expect((await send("arn:aws:events:us-east-1:123456789012:rule/someone-else")).allowed).toBe(false);
  });

  it("re-reads users of that pool with a bounded mapping, never capturing the project's own roles", () => {
    const vars = (fn.environment as { variables: Record<string, string> }).variables;
    expect(vars[ENV.CAPTURE_USER_POOL_ID]).toMatch(/^\$\{aws_cognito_user_pool\..*\.id\}$/);
    expect(vars[ENV.CAPTURE_IGNORED_ROLE_PREFIX]).toBe(`${env.prefix}-`);
    // D2/D3: its region role, and whether its pool's canonical id attribute is trusted (DR always, the primary in two-way mode).
    expect([vars[ENV.REGION_ROLE], vars[ENV.TRUST_CANONICAL_ID_ATTRIBUTE]]).toEqual([role, String(role === "dr" || mode === "two-way")]);
    // IAM names are account-wide: the DR role has its own name, the primary's keeps the one it always had.
    const roleName = resources(primary, "aws_iam_role").find(([n]) => n.startsWith("change-capture"))![1].name;
    expect(roleName).toBe(role === "primary" ? `${env.prefix}-change-capture-role` : `${env.prefix}-change-capture-dr-role`);
    const policy = String(resources(primary, "aws_iam_role_policy").find(([n]) => n.startsWith("change-capture"))![1].policy);
    expect(policy).toContain(`dynamodb.${region}.amazonaws.com`);
    const m = resources(primary, "aws_lambda_event_source_mapping").find(([name]) => name.startsWith("capture-queue-to-function"))![1];
    expect(m).toMatchObject({ maximum_batching_window_in_seconds: env.changeCapture.batchWindowSeconds, scaling_config: { maximum_concurrency: env.changeCapture.maxConcurrency }, function_response_types: ["ReportBatchItemFailures"] });
    expect(vars[ENV.CAPTURE_MAX_CONCURRENCY]).toBe(String(env.changeCapture.maxConcurrency));
  });

  it("has its own trail: this region's management write events, into a private, encrypted bucket only it may write to, kept for a while", () => {
    const trail = only(primary, "aws_cloudtrail");
    expect(trail).toMatchObject({ is_multi_region_trail: false, enable_logging: true, event_selector: [{ read_write_type: "WriteOnly", include_management_events: true }] });
    expect(trailOnly(primary, "aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(JSON.stringify(trailOnly(primary, "aws_s3_bucket_server_side_encryption_configuration"))).toContain("AES256");
    const lifecycle = trailOnly(primary, "aws_s3_bucket_lifecycle_configuration") as { rule: Array<{ expiration: Array<{ days: number }> }> };
    expect(lifecycle.rule[0]!.expiration[0]!.days).toBe((env.changeCapture.trail as { retentionDays: number }).retentionDays);
    const policy = JSON.stringify(trailOnly(primary, "aws_s3_bucket_policy").policy);
    expect(policy).toContain("cloudtrail.amazonaws.com");
    expect(policy).toContain(`arn:\${data.aws_partition.partition.partition}:cloudtrail:${region}:\${data.aws_caller_identity.account.account_id}:trail/${env.prefix}-trail`);
    expect(trailOnly(primary, "aws_s3_bucket").bucket).toBe(`${env.prefix}-trail-\${data.aws_caller_identity.account.account_id}-${region}`);
  });
});

describe("an environment whose account already has a trail", () => {
  it("creates none: the organization's trail makes the calls reach EventBridge", () => {
    const env = environment("dev", { DEV_STATE_BUCKET: "b", DEV_CLOUDTRAIL_TRAIL_ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail" });
    expect(env.changeCapture.trail).toEqual({ kind: "existing", arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail" });
    const { primary } = synthEnvironment(env);
    expect(resources(primary, "aws_cloudtrail")).toEqual([]);
    expect(trailResources(primary, "aws_s3_bucket")).toEqual([]);
    expect(resources(primary, "aws_cloudwatch_event_rule")).toHaveLength(1);
    expect(() => environment("dev", { DEV_STATE_BUCKET: "b", DEV_CLOUDTRAIL_TRAIL_ARN: "org-trail" })).toThrow(/must be a trail's ARN/);
    expect(() => environment("dev", { DEV_STATE_BUCKET: "b", DEV_DELETION_POLICY: "erase" })).toThrow(/delete or disable/);
  });

  it("in two-way mode, an existing DR trail spares the DR stack its own, and the primary keeps its own unless told", () => {
    const env = environment("dev", { DEV_REPLICATION_MODE: "two-way", DEV_DR_CLOUDTRAIL_TRAIL_ARN: "arn:aws:cloudtrail:us-west-2:111122223333:trail/org-trail" });
    const { primary, dr } = synthEnvironment(env);
    expect(resources(dr, "aws_cloudtrail")).toEqual([]);
    expect(trailResources(dr, "aws_s3_bucket")).toEqual([]);
    expect(resources(dr, "aws_cloudwatch_event_rule")).toHaveLength(1);
    expect(resources(primary, "aws_cloudtrail")).toHaveLength(1);
  });

  it("the scheduled reconcile knows the mode: two-way sets REPLICATION_MODE (DR-born users are missing in the primary, not extra in DR); one-way leaves it unset", () => {
    const reconcileEnv = (dr: ReturnType<typeof synthEnvironment>["dr"]) => {
      const fn = resources(dr, "aws_lambda_function").find(([n]) => /reconcile/.test(n));
      return (fn?.[1] as { environment: { variables: Record<string, string> } }).environment.variables;
    };
    expect(reconcileEnv(synthEnvironment(environment("dev", { DEV_REPLICATION_MODE: "two-way" })).dr).REPLICATION_MODE).toBe("two-way");
    expect(reconcileEnv(synthEnvironment(environment("dev", {})).dr).REPLICATION_MODE).toBeUndefined();
  });

  it("in one-way mode, the DR stack captures nothing", () => {
    for (const { dr } of synthAll()) {
      for (const type of ["aws_cloudtrail", "aws_cloudwatch_event_rule", "aws_s3_bucket"]) expect(trailResources(dr, type), type).toEqual([]);
      expect(resources(dr, "aws_lambda_function").map(([n]) => n).filter((n) => /change-capture|post-confirmation|retry-worker/.test(n))).toEqual([]);
    }
  });
});

