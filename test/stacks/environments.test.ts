// The per-environment settings AWS cannot check at synth: state buckets in each stack's own region,
// who alarms reach, how the pools send email, and which of them plan and deploy refuse when unset.
import { describe, expect, it } from "vitest";
import { environment, unsetSettings } from "../../stacks/environments";

describe("state per region", () => {
  it("keeps the DR stack's state in a bucket of the DR region, named after the primary's by default", () => {
    const env = environment("prod", { PROD_STATE_BUCKET: "acme-tf" });
    expect(env.backend).toMatchObject({ kind: "s3", primary: { bucket: "acme-tf", region: "us-east-1" }, dr: { bucket: "acme-tf-us-west-2", region: "us-west-2" } });
    expect(environment("prod", { PROD_STATE_BUCKET: "acme-tf", PROD_DR_STATE_BUCKET: "acme-tf-dr" }).backend).toMatchObject({ dr: { bucket: "acme-tf-dr", region: "us-west-2" } });
  });

  it("uses the sandbox's S3 for local with LOCAL_STATE=s3, one bucket per region", () => {
    const env = environment("local", { LOCAL_STATE: "s3", SANDBOX_ENDPOINT: "http://127.0.0.1:5000" });
    expect(env.backend).toMatchObject({ kind: "s3", primary: { bucket: "cdr-local-state-us-east-1" }, dr: { bucket: "cdr-local-state-us-west-2" }, endpoint: "http://127.0.0.1:5000" });
  });
});

describe("alarm notifications and email", () => {
  it("takes subscribers and SES identities from the environment", () => {
    const env = environment("prod", {
      PROD_STATE_BUCKET: "b",
      PROD_ALARM_EMAILS: "oncall@example.com, sre@example.com",
      PROD_ALARM_HTTPS_ENDPOINT: "https://events.pagerduty.com/integration/x/enqueue",
      PROD_SES_FROM: "Example <no-reply@example.com>",
      PROD_SES_IDENTITY: "example.com",
    });
    expect(env.notifications).toEqual({ emails: ["oncall@example.com", "sre@example.com"], httpsEndpoint: "https://events.pagerduty.com/integration/x/enqueue", existingTopicArns: {} });
    expect(env.email).toEqual({ kind: "ses", from: "Example <no-reply@example.com>", identities: { primary: "example.com", dr: "example.com" } });
    expect(unsetSettings(env)).toEqual([]);
  });

  it("refuses an SES identity ARN outside its pool's region", () => {
    expect(() =>
      environment("prod", { PROD_SES_FROM: "a@example.com", PROD_SES_IDENTITY_ARN: "arn:aws:ses:us-east-1:111122223333:identity/example.com", PROD_DR_SES_IDENTITY_ARN: "arn:aws:ses:us-east-1:111122223333:identity/example.com" }),
    ).toThrow(/DR SES identity .* must be in us-west-2/);
  });

  it("marks what staging and prod must set before plan and deploy, and what dev may go without", () => {
    expect(unsetSettings(environment("staging", {})).map((u) => [u.what, u.required])).toEqual([
      ["Terraform state buckets", true],
      ["alarm notifications", true],
      ["SES email", true],
    ]);
    const dev = environment("dev", { DEV_STATE_BUCKET: "b" });
    expect(unsetSettings(dev).map((u) => [u.what, u.required])).toEqual([
      ["alarm notifications", false],
      ["SES email", false],
    ]);
    expect(dev.email.kind).toBe("cognito-default");
    expect(dev.notifications.emails).toEqual([]);
    expect(unsetSettings(environment("local", {}))).toEqual([]);
  });

  it("reads the unprefixed variables the workflows set for the environment they run", () => {
    const env = environment("staging", { STATE_BUCKET: "b", ALARM_EMAILS: "oncall@example.com", SES_FROM: "a@example.com", SES_IDENTITY: "example.com" });
    expect(unsetSettings(env)).toEqual([]);
  });
});

describe("settings from GitHub's configuration variables (DEPLOY_VARS = toJSON(vars))", () => {
  const vars = JSON.stringify({ PROD_STATE_BUCKET: "acme-tf", prod_dns_zone_id: "Z123", PROD_AUTH_HOSTNAME: "auth.example.com", PROD_PRIMARY_AUTH_TARGET: "p.example.com", PROD_DR_AUTH_TARGET: "d.example.com", PROD_DR_REGION: "eu-west-1" });

  it("reads every <ENV>_* setting from them, whatever the case of the name", () => {
    const env = environment("prod", { DEPLOY_VARS: vars });
    expect(env.backend).toMatchObject({ primary: { bucket: "acme-tf" }, dr: { region: "eu-west-1" } });
    expect(env.dnsFailover).toMatchObject({ hostedZoneId: "Z123", recordName: "auth.example.com", secondary: { region: "eu-west-1", target: "d.example.com" } });
  });

  it("lets the process environment win over them", () => {
    expect(environment("prod", { DEPLOY_VARS: vars, PROD_DR_REGION: "us-west-2" }).drRegion).toBe("us-west-2");
  });

  it("says what is wrong with a malformed value", () => {
    expect(() => environment("prod", { DEPLOY_VARS: "{nope" })).toThrow(/DEPLOY_VARS is not JSON/);
    expect(() => environment("prod", { DEPLOY_VARS: "[1]" })).toThrow(/DEPLOY_VARS must be a JSON object/);
  });
});

describe("replication mode (D1)", () => {
  it("is one-way in every environment unless <ENV>_REPLICATION_MODE (or REPLICATION_MODE) says two-way", () => {
    for (const name of ["local", "dev", "staging", "prod"] as const) expect(environment(name, {}).replication.mode, name).toBe("one-way");
    expect(environment("prod", { PROD_REPLICATION_MODE: "two-way" }).replication.mode).toBe("two-way");
    expect(environment("prod", { REPLICATION_MODE: "two-way" }).replication.mode).toBe("two-way");
    // The environment's own variable wins over the unprefixed one.
    expect(environment("prod", { REPLICATION_MODE: "two-way", PROD_REPLICATION_MODE: "one-way" }).replication.mode).toBe("one-way");
    expect(environment("dev", { DEPLOY_VARS: JSON.stringify({ dev_replication_mode: "two-way" }) }).replication.mode).toBe("two-way");
  });

  it("refuses anything else, naming the variable that holds it", () => {
    expect(() => environment("staging", { STAGING_REPLICATION_MODE: "both" })).toThrow('Environment "staging": STAGING_REPLICATION_MODE must be one of one-way, two-way, native (got "both")');
    expect(() => environment("dev", { REPLICATION_MODE: "twoway" })).toThrow(/REPLICATION_MODE must be one of one-way, two-way, native \(got "twoway"\)/);
    expect(() => environment("dev", { REPLICATION_MODE: "twoway" })).not.toThrow(/DEV_REPLICATION_MODE/);
  });
});

describe("the DR region's trail (two-way change capture)", () => {
  const arn = "arn:aws:cloudtrail:us-west-2:111122223333:trail/org-trail";

  it("is the stack's own unless <ENV>_DR_CLOUDTRAIL_TRAIL_ARN names an existing one, independently of the primary's", () => {
    expect(environment("prod", {}).changeCapture.drTrail).toEqual({ kind: "own", retentionDays: 90 });
    const env = environment("prod", { PROD_DR_CLOUDTRAIL_TRAIL_ARN: arn });
    expect(env.changeCapture.drTrail).toEqual({ kind: "existing", arn });
    expect(env.changeCapture.trail).toEqual({ kind: "own", retentionDays: 90 });
  });

  it("must be a trail's ARN, homed in any region (a multi-Region trail such as an organization's is named by its home region)", () => {
    expect(() => environment("prod", { PROD_DR_CLOUDTRAIL_TRAIL_ARN: "org-trail" })).toThrow(/PROD_DR_CLOUDTRAIL_TRAIL_ARN must be a trail's ARN/);
    expect(environment("prod", { PROD_DR_CLOUDTRAIL_TRAIL_ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail" }).changeCapture.drTrail.kind).toBe("existing");
  });
});

describe("the replicator's pace (issue 24)", () => {
  it("takes 0.8 of AWS's default quotas unless <ENV>_REPLICATOR_QUOTA_SHARE and <ENV>_COGNITO_QUOTAS say otherwise", () => {
    expect(environment("prod", {}).replication).toMatchObject({ quotaShare: 0.8, cognitoQuotas: {} });
    const raised = environment("prod", { PROD_REPLICATOR_QUOTA_SHARE: "1", PROD_COGNITO_QUOTAS: "UserCreation=250, UserRead=240" }).replication;
    expect(raised).toMatchObject({ quotaShare: 1, cognitoQuotas: { UserCreation: 250, UserRead: 240 } });
    expect(environment("dev", { REPLICATOR_QUOTA_SHARE: "0.5" }).replication.quotaShare).toBe(0.5);
  });

  it.each([
    [{ DEV_REPLICATOR_QUOTA_SHARE: "0" }, 'DEV_REPLICATOR_QUOTA_SHARE must be a number in (0, 1] (got "0")'],
    [{ DEV_REPLICATOR_QUOTA_SHARE: "1.5" }, 'DEV_REPLICATOR_QUOTA_SHARE must be a number in (0, 1] (got "1.5")'],
    [{ DEV_COGNITO_QUOTAS: "UserCreate=250" }, 'DEV_COGNITO_QUOTAS names an unknown category "UserCreate"'],
    [{ DEV_COGNITO_QUOTAS: "UserUpdate=50" }, "UserUpdate is a fixed quota"],
    [{ DEV_COGNITO_QUOTAS: "UserCreation=20" }, 'UserCreation must be a number of requests/s at or above AWS\'s default 50 (got "20")'],
    [{ DEV_COGNITO_QUOTAS: "UserCreation" }, 'UserCreation must be a number of requests/s at or above AWS\'s default 50 (got "")'],
  ])("refuses %j, naming the variable and the value", (vars, message) => {
    expect(() => environment("dev", vars)).toThrow(message);
  });
});
