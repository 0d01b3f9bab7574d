// One-way mode after two-way mode was added (issue 22): every environment's stacks are what they
// were (test/stacks/fixtures/one-way-baseline.json, recorded before the change), but for exactly
// what D7 and D8 add and the two variables the shared functions now read:
// - the DR pool's PreSignUp trigger: its function, role, policy, log group, errors alarm and
//   Cognito's permission (new), and `pre_sign_up` in the DR pool's lambda_config;
// - both pools' user_attribute_update_settings (email changes need verification);
// - REGION_ROLE on change capture and the replicator, TRUST_CANONICAL_ID_ATTRIBUTE on change capture;
// - (issue 24) the replicator's pace: MAX_CONCURRENCY and REPLICATOR_RATES on the function and the
//   stream mapping's batch_size, each exactly what handlers/replication/pacing.ts derives;
// - the table key's policy lets S3 use it for the reconcile's bucket (issue 24);
// - the scheduled reconcile's pass state (issue 24): its bucket (six resources), and its function,
//   policy, schedule and async settings (a tick and a pass interval instead of one daily run).
// Nothing else is added, removed, renamed (a replacement) or changed in place.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV } from "../../handlers/contract";
import { replicatorPacing } from "../../handlers/replication/pacing";
import type { Environment } from "../../stacks/settings";
import { addressed, BASELINE_FILE, hashes, hashOf, type Baseline } from "./one-way-baseline";
import { synthAll, type TfJson } from "./synth";

const envs = synthAll();
if (process.env.UPDATE_ONE_WAY_BASELINE === "1") {
  const out: Baseline = {};
  for (const { env, primary, dr } of envs) out[env.name] = { primary: hashes(primary), dr: hashes(dr) };
  writeFileSync(BASELINE_FILE, `${JSON.stringify(out, null, 1)}\n`);
}
const baseline = JSON.parse(readFileSync(BASELINE_FILE, "utf8")) as Baseline;

type Resource = Record<string, unknown>;
const vars = (r: Resource) => (r.environment as { variables: Record<string, string> }).variables;

/** Takes out of a copy of `r` what one-way mode may add to it (and checks it is what D7, D8 and D2 say). */
function withoutAllowedAdditions(address: string, r: Resource, role: "primary" | "dr", env: Environment): Resource {
  const copy = structuredClone(r);
  if (address.startsWith("aws_cognito_user_pool.")) {
    expect(copy.user_attribute_update_settings, address).toEqual({ attributes_require_verification_before_update: ["email"] });
    delete copy.user_attribute_update_settings;
    const triggers = copy.lambda_config as Record<string, unknown>;
    if (role === "dr") {
      expect(triggers.pre_sign_up, address).toMatch(/^\$\{aws_lambda_function\.pre-sign-up_fn_[0-9A-F]+\.arn\}$/);
      delete triggers.pre_sign_up;
    } else expect(triggers.pre_sign_up, address).toBeUndefined();
  }
  if (address.startsWith("aws_lambda_function.change-capture")) {
    expect([vars(copy)[ENV.REGION_ROLE], vars(copy)[ENV.TRUST_CANONICAL_ID_ATTRIBUTE]], address).toEqual([role, "false"]);
    delete vars(copy)[ENV.REGION_ROLE];
    delete vars(copy)[ENV.TRUST_CANONICAL_ID_ATTRIBUTE];
  }
  const pacing = replicatorPacing(env.replication.quotaShare, env.replication.cognitoQuotas);
  if (address.startsWith("aws_lambda_function.replicate-user")) {
    expect(vars(copy)[ENV.REGION_ROLE], address).toBe(role);
    delete vars(copy)[ENV.REGION_ROLE];
    expect([vars(copy)[ENV.MAX_CONCURRENCY], vars(copy)[ENV.REPLICATOR_RATES]], address).toEqual([String(pacing.inFlight), JSON.stringify(pacing.rates)]);
    vars(copy)[ENV.MAX_CONCURRENCY] = "10";
    delete vars(copy)[ENV.REPLICATOR_RATES];
  }
  if ((address.startsWith("aws_kms_key.") || address.startsWith("aws_kms_replica_key.")) && typeof copy.policy === "string" && copy.policy.includes("ReconcileStateThroughS3")) {
    // Issue 24: the table key also serves the reconcile's bucket in DR (SSE-KMS), through S3 only.
    const policy = JSON.parse(copy.policy) as { Statement: Array<{ Sid?: string; Action?: unknown; Condition?: unknown }> };
    const s3 = policy.Statement.find((st) => st.Sid === "ReconcileStateThroughS3");
    expect(s3, address).toMatchObject({ Action: ["kms:GenerateDataKey", "kms:Decrypt"], Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } } });
    policy.Statement = policy.Statement.filter((st) => st !== s3);
    copy.policy = JSON.stringify(policy);
  }
  if (address.startsWith("aws_lambda_event_source_mapping.replica-stream-to-replicator")) {
    expect(copy.batch_size, address).toBe(pacing.batchSize);
    copy.batch_size = 100;
  }
  return copy;
}

/** The DR pool's PreSignUp trigger: a function with its role, policy, log group, errors alarm and invoke permission. */
const PRE_SIGN_UP = [/^aws_cloudwatch_log_group\.pre-sign-up_logs_/, /^aws_cloudwatch_metric_alarm\.pre-sign-up-state-unreadable$/, /^aws_iam_role\.pre-sign-up_role_/, /^aws_iam_role_policy\.pre-sign-up_policy_/, /^aws_lambda_function\.pre-sign-up_fn_/, /^aws_lambda_permission\.cognito-invokes-pre-sign-up$/];

/** Issue 24: the scheduled reconcile's bucket (added) and what carries a pass across invocations (changed). */
const RECONCILE_STATE = [/^aws_s3_bucket\.reconcile-state_bucket_/, /^aws_s3_bucket_public_access_block\.reconcile-state_private_/, /^aws_s3_bucket_ownership_controls\.reconcile-state_owner_/, /^aws_s3_bucket_server_side_encryption_configuration\.reconcile-state_encrypted_/, /^aws_s3_bucket_lifecycle_configuration\.reconcile-state_retention_/, /^aws_s3_bucket_policy\.reconcile-state_policy_/];
const RECONCILE_CHANGED = [/^aws_lambda_function\.reconcile_fn_/, /^aws_iam_role_policy\.reconcile_policy_/, /^aws_scheduler_schedule\.reconcile-schedule_[0-9A-F]+$/, /^aws_lambda_function_event_invoke_config\.reconcile-schedule_async_/];

describe.each(envs.map((e) => [e.env.name, e] as const))("one-way %s", (name, synthed) => {
  it("is in one-way mode by default", () => expect(synthed.env.replication.mode).toBe("one-way"));

  it.each(["primary", "dr"] as const)("%s stack: the same addresses, plus only the DR pool's PreSignUp trigger", (role) => {
    const before = Object.keys(baseline[name]![role]);
    const now = [...addressed(synthed[role]).keys()];
    expect(before.filter((a) => !now.includes(a)), "removed or renamed").toEqual([]);
    const added = now.filter((a) => !before.includes(a)).sort();
    if (role === "primary") expect(added).toEqual([]);
    else {
      expect(added).toHaveLength(PRE_SIGN_UP.length + RECONCILE_STATE.length);
      for (const pattern of [...PRE_SIGN_UP, ...RECONCILE_STATE]) expect(added.filter((a) => pattern.test(a)), String(pattern)).toHaveLength(1);
    }
  });

  it.each(["primary", "dr"] as const)("%s stack: every resource it had is unchanged but for the email-verification setting, the DR trigger and the region role", (role) => {
    const stack: TfJson = synthed[role];
    const changed: string[] = [];
    for (const [address, r] of addressed(stack)) {
      const was = baseline[name]![role][address];
      if (was !== undefined && hashOf(withoutAllowedAdditions(address, r as Resource, role, synthed.env)) !== was) changed.push(address);
    }
    const reconcile = changed.filter((a) => RECONCILE_CHANGED.some((p) => p.test(a)));
    expect(changed.filter((a) => !reconcile.includes(a))).toEqual([]);
    expect(reconcile).toHaveLength(role === "dr" ? RECONCILE_CHANGED.length : 0);
  });
});

describe("the baseline", () => {
  it("is recorded for every environment and both stacks", () => {
    expect(existsSync(BASELINE_FILE)).toBe(true);
    expect(Object.keys(baseline).sort()).toEqual(envs.map((e) => e.env.name).sort());
    for (const e of envs) for (const role of ["primary", "dr"] as const) expect(Object.keys(baseline[e.env.name]![role]).length, `${e.env.name} ${role}`).toBeGreaterThan(20);
  });

  it("tells a changed resource from an unchanged one", () => {
    const { primary } = envs[0]!;
    const [address, pool] = [...addressed(primary)].find(([a]) => a.startsWith("aws_cognito_user_pool."))!;
    const same = withoutAllowedAdditions(address, pool as Resource, "primary", envs[0]!.env);
    expect(hashOf(same)).toBe(baseline[envs[0]!.env.name]!.primary[address]);
    expect(hashOf({ ...same, mfa_configuration: "ON" })).not.toBe(baseline[envs[0]!.env.name]!.primary[address]);
  });
});
