// The pipeline's one-time IAM setup, held to AWS's catalogue and to what the runbook promises:
// one exact GitHub `sub` per role, the DR roles confined to the DR region, roles created only with
// the boundary and passed only to Lambda and Scheduler, plans unable to write state or read data.
import { describe, expect, it } from "vitest";
import { pipelinePolicies, type Doc } from "../../scripts/lib/pipeline-policies";
import { environment } from "../../stacks/environments";
import { policyGrammarProblem } from "@cognito-dr/sandbox";
import { checkPolicy } from "./aws-rules";

const env = environment("prod", { PROD_STATE_BUCKET: "acme-tf" });
const p = pipelinePolicies({ env, account: "111122223333", repository: "acme/cognito-dr", stateBuckets: { primary: "acme-tf", dr: "acme-tf-us-west-2" }, stateKeyPrefix: "cognito-dr/prod" });
const role = (suffix: string) => p.roles.find((r) => r.name === `cdr-prod-pipeline-${suffix}`)!;
const actions = (d: Doc) => d.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action);
const regionsOf = (d: Doc) => new Set(d.Statement.flatMap((s) => s.Condition?.StringEquals?.["aws:RequestedRegion"] ?? []));
const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

/**
 * Whether an Allow statement of `d` grants `action` on `resource` for a request in `region` to a
 * resource tagged with the environment (enough of IAM's evaluation for these reads: a condition on
 * any other key, ArnLike or Null, does not count as met).
 */
function allows(d: Doc, action: string, resource: string, region: string, envName = "prod"): boolean {
  const context: Record<string, string> = { "aws:RequestedRegion": region, "aws:ResourceTag/env": envName };
  return d.Statement.some((s) => {
    if (s.Effect !== "Allow" || !s.Action.some((a) => glob(a).test(action)) || !s.Resource.some((r) => glob(r).test(resource))) return false;
    return Object.entries(s.Condition ?? {}).every(
      ([op, keys]) => op === "StringEquals" && Object.entries(keys).every(([k, v]) => k in context && (Array.isArray(v) ? v : [v]).includes(context[k]!)),
    );
  });
}

/** Every call the smoke's change-capture and PostConfirmation checks make in `region` (capture-wiring.ts, smoke-checks.ts). */
function smokeCaptureCalls(region: string, trail = `arn:aws:cloudtrail:${region}:111122223333:trail/cdr-prod-trail`): Array<[string, string]> {
  return [
    ["cloudtrail:GetTrail", trail],
    ["cloudtrail:GetTrailStatus", trail],
    ["cloudtrail:GetEventSelectors", trail],
    ["events:DescribeRule", `arn:aws:events:${region}:111122223333:rule/cdr-prod-change-capture`],
    ["lambda:ListEventSourceMappings", "*"],
    ["cognito-idp:ListUserPools", "*"],
    ["cognito-idp:DescribeUserPool", `arn:aws:cognito-idp:${region}:111122223333:userpool/${region}_AbCdEf123`],
    ["lambda:GetFunction", `arn:aws:lambda:${region}:111122223333:function:cdr-prod-post-confirmation`],
  ];
}

describe("pipeline policies", () => {
  it.each(["plan", "primary", "dr", "failover", "failback"])("%s role: actions and resources follow AWS's catalogue", async (r) => {
    expect(await checkPolicy(r, role(r).permissions, { identity: true })).toEqual([]);
  });

  it("boundary: follows AWS's catalogue", async () => {
    expect(await checkPolicy("boundary", p.boundary.policy, { identity: true })).toEqual([]);
  });

  // What IAM itself refuses (MalformedPolicyDocument) before any permission is looked at: a trust
  // policy with a Resource ("Has prohibited field Resource"), an identity statement without one.
  it.each(["plan", "primary", "dr", "failover", "failback"])("%s role: IAM accepts its trust and permissions policies", (r) => {
    expect(policyGrammarProblem(JSON.stringify(role(r).trust), "trust")).toBeUndefined();
    expect(policyGrammarProblem(JSON.stringify(role(r).permissions), "identity")).toBeUndefined();
  });

  it.each(["plan", "primary", "dr", "failover", "failback"])("%s role: every statement has its own Sid", (r) => {
    const sids = role(r).permissions.Statement.map((s) => s.Sid);
    expect(sids.filter((s, i) => sids.indexOf(s) !== i)).toEqual([]);
  });

  it("boundary: IAM accepts it as a managed policy", () => {
    expect(policyGrammarProblem(JSON.stringify(p.boundary.policy), "identity")).toBeUndefined();
  });

  it("trusts exactly one GitHub environment per role, with the sts audience", () => {
    for (const [r, envName] of [["plan", "prod-plan"], ["primary", "prod"], ["dr", "prod-dr"], ["failover", "prod-failover"], ["failback", "prod-failback"]] as const) {
      const cond = role(r).trust.Statement[0]!.Condition!.StringEquals!;
      expect(cond, r).toEqual({ "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": [`repo:acme/cognito-dr:environment:${envName}`] });
      expect(role(r).environment).toBe(envName);
    }
  });

  it("keeps the DR roles in the DR region, so AWS (not only GitHub) holds the DR gate", () => {
    expect([...regionsOf(role("primary").permissions)].sort()).toEqual(["us-east-1", "us-west-2"]);
    for (const r of ["dr", "failover"]) expect([...regionsOf(role(r).permissions)], r).toEqual(["us-west-2"]);
    // Their state is the DR bucket's only.
    for (const r of ["dr", "failover"]) expect(JSON.stringify(role(r).permissions)).not.toContain("arn:aws:s3:::acme-tf/");
  });

  it("creates roles only with the boundary, passes them only to Lambda and Scheduler, and never lifts the boundary", () => {
    for (const r of ["primary", "dr", "failover"]) {
      const stmts = role(r).permissions.Statement;
      expect(stmts.find((s) => s.Action.includes("iam:CreateRole"))!.Condition).toEqual({ StringEquals: { "iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/cdr-prod-boundary" } });
      expect(stmts.find((s) => s.Action.includes("iam:PassRole"))!.Condition).toEqual({ StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "scheduler.amazonaws.com"] } });
      expect(stmts.find((s) => s.Effect === "Deny")!.Action).toContain("iam:DeleteRolePermissionsBoundary");
    }
  });

  it("plans read metadata only: no state writes, no item, user, message or log reads, no decrypt", () => {
    const a = actions(role("plan").permissions);
    for (const forbidden of ["s3:PutObject", "s3:DeleteObject", "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "cognito-idp:ListUsers", "cognito-idp:AdminGetUser", "sqs:ReceiveMessage", "kms:Decrypt", "logs:GetLogEvents"]) {
      expect(a, forbidden).not.toContain(forbidden);
    }
    expect(a.some((x) => /^[a-z0-9-]+:(Create|Update|Delete|Put|Set|Tag|Untag|Add|Remove)/.test(x))).toBe(false);
  });
});

describe("pipeline policies with an existing trail (an organization trail)", () => {
  const trailArn = "arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail";
  const withTrail = pipelinePolicies({
    env: environment("prod", { PROD_STATE_BUCKET: "acme-tf", PROD_CLOUDTRAIL_TRAIL_ARN: trailArn }),
    account: "111122223333",
    repository: "acme/cognito-dr",
    stateBuckets: { primary: "acme-tf", dr: "acme-tf-us-west-2" },
    stateKeyPrefix: "cognito-dr/prod",
  });
  const stmt = (suffix: string, sid: string) => withTrail.roles.find((r) => r.name === `cdr-prod-pipeline-${suffix}`)!.permissions.Statement.find((s) => s.Sid === sid);

  it("the primary deploy and failback roles may read that trail's status and selectors (the smoke checks), and change nothing of it", () => {
    for (const r of ["primary", "failback"]) {
      expect(stmt(r, "ExistingTrailStatus")).toMatchObject({ Action: ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"], Resource: [trailArn] });
    }
    const anyWriteOnIt = withTrail.roles.flatMap((r) => r.permissions.Statement).filter((s) => s.Resource?.includes(trailArn) && s.Action.some((a) => !/^cloudtrail:Get/.test(a)));
    expect(anyWriteOnIt).toEqual([]);
  });

  it("without one, failback reads only the stack's own trail and rule in the primary region", () => {
    expect(role("failback").permissions.Statement.find((s) => s.Sid === "ExistingTrailStatus")).toBeUndefined();
    const own = role("failback").permissions.Statement.find((s) => s.Sid === "SmokeCaptureTrail");
    expect(own).toMatchObject({ Resource: ["arn:aws:cloudtrail:us-east-1:111122223333:trail/cdr-prod-trail"], Condition: { StringEquals: { "aws:RequestedRegion": ["us-east-1"] } } });
  });
});

describe("pipeline policies for two-way mode (granted in every mode: switching is a deploy, not an IAM change)", () => {
  const stmt = (r: string, sid: string) => role(r).permissions.Statement.find((s) => s.Sid === sid);

  it("the DR deploy and failover roles may build the DR stack's change capture, in the DR region only, scoped to the environment's names", () => {
    for (const r of ["dr", "failover"]) {
      for (const [sid, resources] of [
        ["ManageCaptureTrail", ["arn:aws:cloudtrail:*:111122223333:trail/cdr-prod-*"]],
        ["ManageCaptureRule", ["arn:aws:events:*:111122223333:rule/cdr-prod-*"]],
        ["ManageTrailBucket", ["arn:aws:s3:::cdr-prod-trail-*", "arn:aws:s3:::cdr-prod-trail-*/*"]],
      ] as const) {
        expect(stmt(r, sid), `${r} ${sid}`).toMatchObject({ Resource: resources, Condition: { StringEquals: { "aws:RequestedRegion": ["us-west-2"] } } });
      }
    }
    // The primary deploy role's stay in the primary region.
    expect(stmt("primary", "ManageCaptureTrail")!.Condition).toEqual({ StringEquals: { "aws:RequestedRegion": ["us-east-1"] } });
  });

  it("the plan role reads both regions' capture configuration, still nothing of the trail bucket's objects", () => {
    expect(stmt("plan", "CaptureRuleConfiguration")!.Condition).toEqual({ StringEquals: { "aws:RequestedRegion": ["us-east-1", "us-west-2"] } });
    expect(stmt("plan", "TrailBucketConfiguration")!.Action).not.toContain("s3:GetObject");
  });

  it("failover and failback may read and write the failover control item of the DR replica, and no other item", () => {
    for (const [r, sid] of [["failover", "MarkFailedOver"], ["failback", "MarkNormal"]] as const) {
      expect(stmt(r, sid)).toEqual({
        Sid: sid,
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
        Resource: ["arn:aws:dynamodb:us-west-2:111122223333:table/cdr-prod-replicated-users"],
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["control#failover"] } },
      });
      expect(stmt(r, `${sid}Key`)!.Condition).toEqual({ StringEquals: { "kms:ViaService": "dynamodb.us-west-2.amazonaws.com" } });
    }
  });

  it("failback scans the DR replica's records, reads the primary replica's directory and the primary replicator's DLQ for the drain, and writes none", () => {
    expect(stmt("failback", "ScanDrRecords")).toMatchObject({ Action: ["dynamodb:Scan"], Resource: ["arn:aws:dynamodb:us-west-2:111122223333:table/cdr-prod-replicated-users"] });
    expect(stmt("failback", "ReadPrimaryDirectory")).toMatchObject({ Action: ["dynamodb:GetItem"], Resource: ["arn:aws:dynamodb:us-east-1:111122223333:table/cdr-prod-replicated-users"] });
    expect(stmt("failback", "PeekPrimaryReplicatorDlq")!.Resource).toEqual(["arn:aws:sqs:us-east-1:111122223333:cdr-prod-replicator-primary-dlq"]);
    const a = actions(role("failback").permissions);
    for (const write of ["sqs:DeleteMessage", "sqs:SendMessage", "dynamodb:DeleteItem", "dynamodb:UpdateItem"]) expect(a, write).not.toContain(write);
  });

  it("the DR deploy and failover roles create, configure and destroy the scheduled reconcile's bucket in the DR region; the primary role cannot; the plan role reads its settings only", () => {
    const bucket = "arn:aws:s3:::cdr-prod-reconcile-111122223333-us-west-2";
    for (const r of ["dr", "failover"]) {
      for (const action of ["s3:CreateBucket", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:GetBucketPolicy", "s3:DeleteBucket"]) {
        expect(allows(role(r).permissions, action, bucket, "us-west-2"), `${r} ${action}`).toBe(true);
        expect(allows(role(r).permissions, action, bucket, "us-east-1"), `${r} ${action} outside the DR region`).toBe(false);
      }
      expect(allows(role(r).permissions, "s3:DeleteObject", `${bucket}/reconcile/checkpoint.json`, "us-west-2"), `${r} empties it (force_destroy, local)`).toBe(true);
    }
    expect(allows(role("primary").permissions, "s3:CreateBucket", bucket, "us-west-2")).toBe(false);
    expect(allows(role("plan").permissions, "s3:GetEncryptionConfiguration", bucket, "us-west-2")).toBe(true);
    expect(allows(role("plan").permissions, "s3:GetObject", `${bucket}/reconcile/checkpoint.json`, "us-west-2")).toBe(false);
  });

  it("the boundary lets the scheduled reconcile keep its pass state (its bucket's objects, the key through S3 only)", () => {
    const bucket = "arn:aws:s3:::cdr-prod-reconcile-111122223333-us-west-2";
    const state = p.boundary.policy.Statement.find((s) => s.Sid === "ReconcileState")!;
    expect(state.Action).toEqual(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]);
    expect(state.Resource.some((r) => glob(r).test(`${bucket}/reconcile/checkpoint.json`))).toBe(true);
    expect(state.Resource.some((r) => glob(r).test("arn:aws:s3:::cdr-prod-trail-111122223333-us-west-2/AWSLogs/x"))).toBe(false);
    expect(p.boundary.policy.Statement.find((s) => s.Sid === "BucketKeyThroughS3")).toMatchObject({ Action: ["kms:GenerateDataKey", "kms:Decrypt"], Condition: { StringEquals: { "kms:ViaService": ["s3.us-east-1.amazonaws.com", "s3.us-west-2.amazonaws.com"] } } });
  });

  it("the boundary lets the directories forget (DeleteItem on the table), so the replicators' grant is not void", () => {
    expect(p.boundary.policy.Statement.find((s) => s.Sid === "ReplicatedTableAndStream")!.Action).toContain("dynamodb:DeleteItem");
  });

  it("the same roles in one-way and two-way mode: switching modes needs no IAM change", () => {
    const target = (vars: Record<string, string>) => ({ env: environment("prod", { PROD_STATE_BUCKET: "acme-tf", ...vars }), account: "111122223333", repository: "acme/cognito-dr", stateBuckets: { primary: "acme-tf", dr: "acme-tf-us-west-2" }, stateKeyPrefix: "cognito-dr/prod" });
    expect(environment("prod", { PROD_STATE_BUCKET: "acme-tf" }).replication.mode).toBe("one-way");
    expect(pipelinePolicies(target({ PROD_REPLICATION_MODE: "two-way" }))).toEqual(p);
    const drTrail = "arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail";
    expect(pipelinePolicies(target({ PROD_REPLICATION_MODE: "two-way", PROD_DR_CLOUDTRAIL_TRAIL_ARN: drTrail }))).toEqual(pipelinePolicies(target({ PROD_DR_CLOUDTRAIL_TRAIL_ARN: drTrail })));
  });

  it("the roles that smoke the DR side (DR deploy, failover, failback) may make the DR capture and PostConfirmation checks' reads in the DR region", () => {
    for (const r of ["dr", "failover", "failback"]) {
      for (const [action, resource] of smokeCaptureCalls("us-west-2")) expect(allows(role(r).permissions, action, resource, "us-west-2"), `${r}: ${action} on ${resource}`).toBe(true);
    }
    // The roles that smoke the primary side make the same reads there; the DR-only roles cannot.
    for (const r of ["primary", "failback"]) {
      for (const [action, resource] of smokeCaptureCalls("us-east-1")) expect(allows(role(r).permissions, action, resource, "us-east-1"), `${r}: ${action} on ${resource}`).toBe(true);
    }
    for (const r of ["dr", "failover"]) {
      for (const [action, resource] of smokeCaptureCalls("us-east-1").filter(([, res]) => res !== "*")) expect(allows(role(r).permissions, action, resource, "us-east-1"), `${r}: ${action} on ${resource}`).toBe(false);
    }
  });

  it("failback reads the DR trail and rule as it reads the primary's: the same actions, scoped to the DR region and names", () => {
    const pairs = [
      ["SmokeCaptureTrail", "SmokeDrCaptureTrail", "arn:aws:cloudtrail:us-west-2:111122223333:trail/cdr-prod-trail"],
      ["SmokeCaptureRule", "SmokeDrCaptureRule", "arn:aws:events:us-west-2:111122223333:rule/cdr-prod-change-capture"],
    ] as const;
    for (const [primarySid, drSid, resource] of pairs) {
      const primary = stmt("failback", primarySid)!;
      expect(stmt("failback", drSid), drSid).toEqual({ ...primary, Sid: drSid, Resource: [resource], Condition: { StringEquals: { "aws:RequestedRegion": ["us-west-2"] } } });
    }
    expect(stmt("failback", "ExistingDrTrailStatus")).toBeUndefined();
  });

  it("with an existing DR trail (a multi-Region trail homed in the primary region), failback and the DR roles read it by ARN in the DR region, and failback both configured trails", () => {
    const trail = "arn:aws:cloudtrail:us-east-1:444455556666:trail/primary-org-trail";
    const drTrail = "arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail";
    const both = pipelinePolicies({ env: environment("prod", { PROD_STATE_BUCKET: "acme-tf", PROD_CLOUDTRAIL_TRAIL_ARN: trail, PROD_DR_CLOUDTRAIL_TRAIL_ARN: drTrail }), account: "111122223333", repository: "acme/cognito-dr", stateBuckets: { primary: "acme-tf", dr: "acme-tf-us-west-2" }, stateKeyPrefix: "cognito-dr/prod" });
    const of = (r: string) => both.roles.find((x) => x.name === `cdr-prod-pipeline-${r}`)!.permissions;
    expect(of("failback").Statement.find((s) => s.Sid === "ExistingDrTrailStatus")).toEqual({
      Sid: "ExistingDrTrailStatus",
      Effect: "Allow",
      Action: ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
      Resource: [drTrail],
      Condition: { StringEquals: { "aws:RequestedRegion": ["us-west-2"] } },
    });
    expect(of("failback").Statement.find((s) => s.Sid === "ExistingTrailStatus")).toMatchObject({ Resource: [trail], Condition: { StringEquals: { "aws:RequestedRegion": ["us-east-1"] } } });
    expect(of("failback").Statement.find((s) => s.Sid === "SmokeDrCaptureTrail")).toBeUndefined();
    for (const r of ["dr", "failover", "failback"]) {
      for (const [action, resource] of smokeCaptureCalls("us-west-2", drTrail)) expect(allows(of(r), action, resource, "us-west-2"), `${r}: ${action} on ${resource}`).toBe(true);
    }
    // Asked only in the DR region: not a way into the primary region for the DR-only roles.
    for (const r of ["dr", "failover"]) expect(allows(of(r), "cloudtrail:GetTrailStatus", drTrail, "us-east-1"), r).toBe(false);
    const sids = of("failback").Statement.map((s) => s.Sid);
    expect(sids.filter((s, i) => sids.indexOf(s) !== i)).toEqual([]);
  });

  it("with an existing DR trail, the DR deploy role reads that trail's status and changes nothing of it", () => {
    const drTrail = "arn:aws:cloudtrail:us-west-2:444455556666:trail/org-trail";
    const withDrTrail = pipelinePolicies({ env: environment("prod", { PROD_STATE_BUCKET: "acme-tf", PROD_DR_CLOUDTRAIL_TRAIL_ARN: drTrail }), account: "111122223333", repository: "acme/cognito-dr", stateBuckets: { primary: "acme-tf", dr: "acme-tf-us-west-2" }, stateKeyPrefix: "cognito-dr/prod" });
    const dr = withDrTrail.roles.find((r) => r.name === "cdr-prod-pipeline-dr")!;
    expect(dr.permissions.Statement.find((s) => s.Sid === "ExistingTrailStatus")).toMatchObject({ Resource: [drTrail], Condition: { StringEquals: { "aws:RequestedRegion": ["us-west-2"] } } });
    const primary = withDrTrail.roles.find((r) => r.name === "cdr-prod-pipeline-primary")!;
    expect(primary.permissions.Statement.find((s) => s.Sid === "ExistingTrailStatus")).toBeUndefined();
  });
});
