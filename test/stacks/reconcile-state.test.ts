// The scheduled reconcile's pass state in the DR stack (issue 24): a private bucket of its own,
// encrypted with the table's DR replica key, TLS only, its listings expiring; the function reads,
// writes and deletes only its prefix and may use the key only through S3; the schedule ticks.
import { describe, expect, it } from "vitest";
import { ENV } from "../../handlers/contract";
import { environment } from "../../stacks/environments";
import { RECONCILE_SCHEDULES } from "../../stacks/settings";
import { resources, synthAll, synthEnvironment, type TfJson } from "./synth";

const state = (dr: TfJson, type: string) => resources(dr, type).filter(([n]) => n.startsWith("reconcile-state_"));

describe.each(synthAll().map((e) => [e.env.name, e] as const))("reconcile state, %s", (name, { env, dr }) => {
  it("is a private, TLS-only bucket in the DR region, encrypted with the replica key, whose listings expire", () => {
    const [[, bucket]] = state(dr, "aws_s3_bucket") as [[string, Record<string, unknown>]];
    expect(bucket.bucket).toBe(`${env.prefix}-reconcile-\${data.aws_caller_identity.account.account_id}-${env.drRegion}`);
    expect(bucket.force_destroy).toBe(name === "local");
    expect(state(dr, "aws_s3_bucket_public_access_block")[0]![1]).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(state(dr, "aws_s3_bucket_ownership_controls")[0]![1]).toMatchObject({ rule: { object_ownership: "BucketOwnerEnforced" } });
    const sse = state(dr, "aws_s3_bucket_server_side_encryption_configuration")[0]![1] as { rule: Array<{ apply_server_side_encryption_by_default: Record<string, string>; bucket_key_enabled: boolean }> };
    expect(sse.rule[0]!.apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: expect.stringMatching(/^\$\{data\.aws_kms_alias\..*\.target_key_arn\}$/) });
    expect(sse.rule[0]!.bucket_key_enabled).toBe(true);
    const lifecycle = state(dr, "aws_s3_bucket_lifecycle_configuration")[0]![1] as { rule: Array<{ filter: Array<{ prefix: string }>; expiration: Array<{ days: number }> }> };
    expect(lifecycle.rule).toHaveLength(1);
    expect(lifecycle.rule[0]).toMatchObject({ filter: [{ prefix: "reconcile/passes/" }], expiration: [{ days: 3 }] });
    const policy = JSON.parse(String(state(dr, "aws_s3_bucket_policy")[0]![1].policy)) as { Statement: object[] };
    expect(policy.Statement).toEqual([{ Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [expect.stringMatching(/\.arn\}$/), expect.stringMatching(/\.arn\}\/\*$/)], Condition: { Bool: { "aws:SecureTransport": "false" } } }]);
  });

  it("lets the function read, write and delete its prefix, find a missing checkpoint, and use the key through S3 only", () => {
    const policy = JSON.parse(String(resources(dr, "aws_iam_role_policy").find(([n]) => n.startsWith("reconcile_policy"))![1].policy)) as { Statement: Array<{ Sid: string; Action: string[]; Resource: string[]; Condition?: unknown }> };
    const sid = (s: string) => policy.Statement.find((x) => x.Sid === s);
    expect(sid("PassState")).toMatchObject({ Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [expect.stringMatching(/^\$\{aws_s3_bucket\.reconcile-state_bucket_[0-9A-F]+\.arn\}\/reconcile\/\*$/)] });
    expect(sid("MissingCheckpointIsNotFound")).toMatchObject({ Action: ["s3:ListBucket"], Resource: [expect.stringMatching(/^\$\{aws_s3_bucket\.reconcile-state_bucket_[0-9A-F]+\.arn\}$/)] });
    expect(sid("UseBucketKeyThroughS3")).toMatchObject({ Action: ["kms:GenerateDataKey", "kms:Decrypt"], Condition: { StringEquals: { "kms:ViaService": `s3.${env.drRegion}.amazonaws.com` } } });
  });

  it("ticks, and tells the function its bucket, pass interval and time budget", () => {
    const settings = RECONCILE_SCHEDULES[name];
    const schedule = resources(dr, "aws_scheduler_schedule").find(([n]) => n.startsWith("reconcile-schedule"))![1] as { schedule_expression: string; target: { retry_policy: Record<string, number> } };
    expect(schedule.schedule_expression).toBe(`rate(${settings.tickMinutes} minutes)`);
    expect(schedule.target.retry_policy).toEqual({ maximum_retry_attempts: 0, maximum_event_age_in_seconds: settings.tickMinutes * 60 });
    const fn = resources(dr, "aws_lambda_function").find(([n]) => n.startsWith("reconcile_fn"))![1] as { timeout: number; environment: { variables: Record<string, string> } };
    const vars = fn.environment.variables;
    expect(vars[ENV.RECONCILE_BUCKET]).toMatch(/^\$\{aws_s3_bucket\.reconcile-state_bucket_[0-9A-F]+\.bucket\}$/);
    expect(vars[ENV.RECONCILE_PASS_INTERVAL_MINUTES]).toBe(String(settings.passIntervalMinutes));
    expect(Number(vars[ENV.RECONCILE_TIME_BUDGET_SECONDS])).toBeLessThan(fn.timeout);
    expect(settings.tickMinutes * 60).toBeGreaterThanOrEqual(fn.timeout);
  });
});

describe("reconcile state", () => {
  it("exists only with the schedule", () => {
    const env = environment("dev", { DEV_STATE_BUCKET: "b" });
    const { dr } = synthEnvironment({ ...env, reconcile: { ...env.reconcile!, enabled: false } });
    expect(state(dr, "aws_s3_bucket")).toEqual([]);
  });

  it("refuses a tick shorter than the function's timeout (two runs would share a checkpoint)", () => {
    const env = environment("dev", { DEV_STATE_BUCKET: "b" });
    expect(() => synthEnvironment({ ...env, reconcile: { ...env.reconcile!, tickMinutes: 10 } })).toThrow("reconcile tickMinutes (10) must be at least the function's timeout (15 minutes)");
    expect(() => synthEnvironment({ ...env, reconcile: { ...env.reconcile!, passIntervalMinutes: 5 } })).toThrow("reconcile passIntervalMinutes (5) must be at least tickMinutes (15)");
  });
});
