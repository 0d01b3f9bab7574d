// AWS's service rules over every synthesized stack, and each rule failing on a stack broken on
// purpose (a copy of the real JSON with one thing changed), so no rule passes by not looking.

import { describe, expect, it } from "vitest";
import { globMatchesPattern } from "./arn-match";
import {
  alarmTopicRule,
  checkStack,
  emailRule,
  healthCheckNameRule,
  iamCatalogRule,
  prodProtectionRule,
  roleBoundaryRule,
  runtimeRule,
  functionSizeRule,
  scheduleRetryRule,
  scheduleTrustRule,
  stateRegionRule,
  tableKeyRule,
  type Finding,
  type StackUnderTest,
} from "./aws-rules";
import { Testing } from "cdktf";
import { healthCheckReference } from "../../modules/dns-failover";
import { DrStack } from "../../stacks/dr-stack";
import { ENV_NAMES, environment } from "../../stacks/environments";
import { resources, synthAll, type TfJson } from "./synth";

const envs = synthAll();
const stacks: StackUnderTest[] = envs.flatMap(({ env, primary, dr }) => [
  { name: `${env.prefix}-primary`, envName: env.name, json: primary },
  { name: `${env.prefix}-dr`, envName: env.name, json: dr },
]);
// Two-way stacks (DR's sign-up and change capture, the primary's replicator) are held to the same rules.
const twoWay: StackUnderTest[] = synthAll("two-way").flatMap(({ env, primary, dr }) => [
  { name: `${env.prefix}-primary`, envName: env.name, json: primary },
  { name: `${env.prefix}-dr`, envName: env.name, json: dr },
]);
// Native stacks (the pool key and its replica, the DR Region's trigger for the secondary) too.
const native: StackUnderTest[] = synthAll("native").flatMap(({ env, primary, dr }) => [
  { name: `${env.prefix}-primary`, envName: env.name, json: primary },
  { name: `${env.prefix}-dr`, envName: env.name, json: dr },
]);
const stack = (envName: string, role: "primary" | "dr") => stacks.find((s) => s.envName === envName && s.name.endsWith(`-${role}`))!;

/** A deep copy of a stack with `edit` applied to its JSON. */
function broken(base: StackUnderTest, edit: (j: TfJson) => void): StackUnderTest {
  const json = structuredClone(base.json);
  edit(json);
  return { ...base, json };
}
const errors = (fs: Finding[]) => fs.filter((f) => f.severity === "error");
const first = <T>(o: Record<string, T> | undefined): T => Object.values(o ?? {})[0]!;
const policyOf = (j: TfJson, match: string) => resources(j, "aws_iam_role_policy").find(([n]) => n.includes(match))![1];

describe("AWS service rules", () => {
  it.each([...stacks.map((s) => [s.name, "one-way", s] as const), ...twoWay.map((s) => [s.name, "two-way", s] as const), ...native.map((s) => [s.name, "native", s] as const)])("%s (%s) follows them", async (_name, _mode, s) => {
    const findings = await checkStack(s);
    expect(errors(findings).map((f) => `${f.rule} ${f.where}: ${f.message}`)).toEqual([]);
  });

  describe("iam-catalog", () => {
    const withStatement = (st: object) =>
      broken(stack("local", "dr"), (j) => {
        const p = policyOf(j, "replicate-user");
        const doc = JSON.parse(String(p.policy));
        doc.Statement.push(st);
        p.policy = JSON.stringify(doc);
      });
    const replicaTable = "${data.aws_dynamodb_table.replica-table.arn}";

    it("flags a stream action granted on a table ARN", async () => {
      const f = await iamCatalogRule(withStatement({ Sid: "Bad", Effect: "Allow", Action: ["dynamodb:GetRecords"], Resource: [replicaTable] }));
      expect(errors(f).map((x) => x.message)).toEqual([expect.stringContaining("matches none of dynamodb:GetRecords's resource types (stream")]);
    });

    it("flags an action AWS does not have", async () => {
      const f = await iamCatalogRule(withStatement({ Effect: "Allow", Action: ["cognito-idp:AdminCreateUsers"], Resource: ["*"] }));
      expect(errors(f).map((x) => x.message)).toEqual(["cognito-idp:AdminCreateUsers is not an action in AWS's Service Authorization Reference"]);
    });

    it("flags an action without resource types granted on a specific resource", async () => {
      const f = await iamCatalogRule(withStatement({ Effect: "Allow", Action: ["dynamodb:ListStreams"], Resource: [`${replicaTable}/stream/*`] }));
      expect(errors(f).map((x) => x.message)).toEqual([expect.stringContaining('dynamodb:ListStreams has no resource type, so only Resource "*" grants it')]);
    });
  });

  it("table-key: flags a DR replica writer (two-way sign-up capture) that may not decrypt the replica key through DynamoDB", async () => {
    const base = twoWay.find((t) => t.envName === "prod" && t.name === "cdr-prod-dr")!;
    const s = broken(base, (j) => {
      const p = policyOf(j, "post-confirmation");
      const doc = JSON.parse(String(p.policy));
      doc.Statement = doc.Statement.filter((st: { Action: string[] }) => !st.Action.some((a) => a.startsWith("kms:")));
      p.policy = JSON.stringify(doc);
    });
    expect(errors(await tableKeyRule(base))).toEqual([]);
    expect(errors(await tableKeyRule(s)).map((f) => f.message)).toEqual([expect.stringMatching(/^cdr-prod-post-confirmation-dr-role may dynamodb:PutItem on .* but not kms:Decrypt/)]);
  });

  it("table-key: flags a table writer that may not decrypt the table key through DynamoDB", async () => {
    const s = broken(stack("prod", "primary"), (j) => {
      const p = policyOf(j, "post-confirmation");
      const doc = JSON.parse(String(p.policy));
      doc.Statement = doc.Statement.filter((st: { Action: string[] }) => !st.Action.some((a) => a.startsWith("kms:")));
      p.policy = JSON.stringify(doc);
    });
    expect(errors(await tableKeyRule(s)).map((f) => f.message)).toEqual([expect.stringMatching(/^cdr-prod-post-confirmation-role may dynamodb:PutItem on cdr-prod-replicated-users but not kms:Decrypt/)]);
  });

  it("runtime: flags a deprecated runtime, dated", () => {
    const s = broken(stack("prod", "dr"), (j) => {
      first(j.resource.aws_lambda_function).runtime = "nodejs20.x";
    });
    expect(errors(runtimeRule(s, "2026-11-30")).map((f) => f.message)).toEqual([expect.stringContaining("runtime nodejs20.x is deprecated on 2026-11-30 (deprecated 2026-04-30")]);
    expect(runtimeRule(s, "2025-01-01")).toEqual([]);
    // The deployed runtime: a warning within 180 days of its deprecation, an error from that day.
    const deployed = stack("prod", "dr");
    expect(runtimeRule(deployed, "2027-04-01").map((f) => f.severity)).toContain("warning");
    expect(errors(runtimeRule(deployed, "2027-04-30")).length).toBeGreaterThan(0);
  });

  it("function-size: flags memory or /tmp outside Lambda's ranges; prod's reconcile has its /tmp set", () => {
    const reconcile = (j: TfJson) => Object.values(j.resource.aws_lambda_function as Record<string, Record<string, unknown>>).find((f) => String(f.function_name).endsWith("-reconcile"))!;
    expect(reconcile(stack("prod", "dr").json)).toMatchObject({ ephemeral_storage: { size: expect.any(Number) } });
    expect(functionSizeRule(stack("prod", "dr"))).toEqual([]);
    const s = broken(stack("prod", "dr"), (j) => {
      reconcile(j).ephemeral_storage = { size: 256 };
      first(j.resource.aws_lambda_function).memory_size = 10_241;
    });
    expect(errors(functionSizeRule(s)).map((f) => f.message).sort()).toEqual(["ephemeral_storage size 256 MB is outside Lambda's 512..10240 MB", "memory_size 10241 MB is outside Lambda's 128..10240 MB"]);
  });

  describe("email", () => {
    const defaultSender = (envName: string) =>
      broken(stack(envName, "dr"), (j) => {
        first(j.resource.aws_cognito_user_pool).email_configuration = { email_sending_account: "COGNITO_DEFAULT" };
      });
    it("flags EMAIL_OTP with Cognito's default sender in prod, warns in dev, allows it in local", () => {
      expect(errors(emailRule(defaultSender("prod")))).toHaveLength(1);
      expect(emailRule(defaultSender("dev"))).toEqual([expect.objectContaining({ severity: "warning" })]);
      expect(emailRule(defaultSender("local"))).toEqual([]);
    });
    it("flags an SES identity in another region than the pool", () => {
      const s = broken(stack("prod", "dr"), (j) => {
        const pool = first(j.resource.aws_cognito_user_pool);
        const email = pool.email_configuration as { source_arn: string };
        email.source_arn = email.source_arn.replace(/:ses:[a-z0-9-]+:/, ":ses:eu-west-1:");
      });
      expect(errors(emailRule(s)).map((f) => f.message)).toEqual([expect.stringContaining("is in eu-west-1, the pool in us-west-2")]);
    });
  });

  it("state-region: flags a DR stack whose state is in the primary region", () => {
    const s = broken(stack("prod", "dr"), (j) => {
      (j.terraform.backend as { s3: { region: string } }).s3.region = "us-east-1";
    });
    expect(errors(stateRegionRule(s)).map((f) => f.message)).toEqual(["state bucket region us-east-1 is not the stack's region us-west-2"]);
  });

  describe("alarm-topic", () => {
    it("flags a topic encrypted with aws/sns", async () => {
      const s = broken(stack("staging", "primary"), (j) => {
        first(j.resource.aws_sns_topic).kms_master_key_id = "alias/aws/sns";
      });
      expect(errors(await alarmTopicRule(s)).map((f) => f.message)).toContain("encrypted with the AWS managed aws/sns key, whose policy CloudWatch can never use: alarm actions fail");
    });
    it("flags a key policy without CloudWatch, a missing topic policy and a topic nobody is subscribed to", async () => {
      const s = broken(stack("staging", "dr"), (j) => {
        const keys = j.resource.aws_kms_key ?? {};
        for (const k of Object.values(keys)) {
          const doc = JSON.parse(String(k.policy));
          doc.Statement = doc.Statement.filter((st: { Principal?: { Service?: string } }) => st.Principal?.Service !== "cloudwatch.amazonaws.com");
          k.policy = JSON.stringify(doc);
        }
        delete j.resource.aws_sns_topic_policy;
        delete j.resource.aws_sns_topic_subscription;
      });
      const messages = errors(await alarmTopicRule(s)).map((f) => f.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^CloudWatch may not sns:Publish to it/),
          expect.stringMatching(/does not let CloudWatch kms:GenerateDataKey$/),
          expect.stringMatching(/does not let CloudWatch kms:Decrypt$/),
          "no subscription: alarms published here reach nobody",
        ]),
      );
    });
  });

  it("schedule-retry: flags a scheduled function without an event invoke config", () => {
    const s = broken(stack("dev", "dr"), (j) => {
      delete j.resource.aws_lambda_function_event_invoke_config;
    });
    expect(errors(scheduleRetryRule(s)).map((f) => f.message)).toEqual([expect.stringContaining("cdr-dev-reconcile is invoked asynchronously but has no aws_lambda_function_event_invoke_config")]);
  });

  describe("schedule-trust", () => {
    const scheduleRole = (j: TfJson) => resources(j, "aws_iam_role").find(([n]) => n.includes("reconcile-schedule"))![1];
    const withTrust = (statement: object) =>
      broken(stack("dev", "dr"), (j) => {
        scheduleRole(j).assume_role_policy = JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
      });

    it("passes the deployed trust: Scheduler, for this account's schedules only", async () => {
      expect(JSON.parse(String(scheduleRole(stack("dev", "dr").json).assume_role_policy)).Statement[0].Condition).toEqual({
        StringEquals: { "aws:SourceAccount": "${data.aws_caller_identity.account.account_id}" },
      });
      expect(await scheduleTrustRule(stack("dev", "dr"))).toEqual([]);
    });

    it("flags a trust without aws:SourceAccount", async () => {
      const s = withTrust({ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" });
      expect(errors(await scheduleTrustRule(s)).map((f) => f.message)).toEqual([expect.stringMatching(/trusts Scheduler acting for any account: condition the trust on aws:SourceAccount$/)]);
    });

    it("flags a trust that does not name Scheduler", async () => {
      const s = withTrust({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });
      expect(errors(await scheduleTrustRule(s)).map((f) => f.message)).toEqual([expect.stringMatching(/^EventBridge Scheduler may not assume its role cdr-dev-reconcile-schedule-role: the schedule never runs$/)]);
    });
  });

  it("health-check-name: the DR stack with DNS failover fits for the longest environment name", () => {
    const longest = [...ENV_NAMES].sort((a, b) => b.length - a.length)[0]!;
    const key = longest.toUpperCase();
    const env = environment(longest, { [`${key}_DNS_ZONE_ID`]: "Z0123", [`${key}_AUTH_HOSTNAME`]: "auth.example.com", [`${key}_PRIMARY_AUTH_TARGET`]: "a.example.com", [`${key}_DR_AUTH_TARGET`]: "b.example.com" });
    const json = JSON.parse(Testing.synth(new DrStack(Testing.app(), "dr", env))) as TfJson;
    const names = resources(json, "aws_route53_health_check").map(([, c]) => String(c.reference_name));
    expect(names).toHaveLength(2);
    expect(healthCheckNameRule({ name: "dr", envName: longest, json })).toEqual([]);
    // A prefix longer than any environment's still fits, and the two checks keep distinct names.
    const long = ["primary", "secondary"].map((r) => healthCheckReference("cdr-a-very-long-environment-name-auth", r as "primary" | "secondary"));
    expect(long.every((n) => n.length <= 27)).toBe(true);
    expect(new Set(long).size).toBe(2);
  });

  it("health-check-name: flags a reference_name over the provider's 27 characters", () => {
    const s = broken(stack("local", "dr"), (j) => {
      j.resource.aws_route53_health_check = { hc: { reference_name: "x".repeat(28) } };
    });
    expect(errors(healthCheckNameRule(s))).toHaveLength(1);
  });

  it("role-boundary: flags a role created without the environment's permissions boundary", () => {
    const s = broken(stack("staging", "dr"), (j) => {
      delete first(j.resource.aws_iam_role).permissions_boundary;
    });
    expect(errors(roleBoundaryRule(s)).map((f) => f.message)).toEqual([expect.stringMatching(/has no permissions boundary cdr-staging-boundary \(got none\)$/)]);
  });

  it("prod-protection: flags a prod table that terraform destroy would delete", () => {
    const s = broken(stack("prod", "primary"), (j) => {
      delete first(j.resource.aws_dynamodb_table).lifecycle;
    });
    expect(errors(prodProtectionRule(s)).map((f) => f.where)).toEqual([expect.stringMatching(/^aws_dynamodb_table\./)]);
  });
});

describe("globMatchesPattern", () => {
  const table = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}";
  const stream = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/stream/${StreamLabel}";
  it("tells stream ARNs from table ARNs", () => {
    expect(globMatchesPattern("arn:aws:dynamodb:us-east-1:123456789012:table/t", table)).toBe(true);
    expect(globMatchesPattern("arn:aws:dynamodb:us-east-1:123456789012:table/t", stream)).toBe(false);
    expect(globMatchesPattern("arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/*", stream)).toBe(true);
    expect(globMatchesPattern("arn:aws:dynamodb:*:*:table/*", table)).toBe(true);
  });
  it("matches log-stream actions on a log group's `:*`", () => {
    const logStream = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}";
    expect(globMatchesPattern("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*", logStream)).toBe(true);
    expect(globMatchesPattern("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn", logStream)).toBe(false);
  });
});
