// The IAM the pipeline needs in one account, per environment, as JSON an administrator creates
// once (`npm run pipeline-policies -- --env prod --repo owner/repo --account 111122223333`):
//
// - plan role: read-only metadata, state read-only (plans run with -lock=false); trusted by the
//   GitHub environment `<env>-plan` (pull requests, deploy plans, drift detection), never able to
//   change anything or read user data.
// - primary deploy role: manages `cdr-<env>-*` in both regions (the primary stack owns the table,
//   the key and their DR replicas); trusted only by the GitHub environment `<env>`.
// - DR deploy role: manages `cdr-<env>-*` in the DR region only, and the DR stack's state; trusted
//   only by `<env>-dr`: AWS, not only GitHub, keeps the DR gate.
// - failover role: the DR deploy role's rights plus switching sign-in to DR (Route 53 health
//   checks, Application Recovery Controller routing controls); trusted only by `<env>-failover`.
// - failback role: the operator tools' reads (reconcile and drift before switching back), the
//   smoke checks' reads, and the switch; trusted only by `<env>-failback`.
// - permissions boundary `cdr-<env>-boundary`: every role the stacks create must carry it, so a
//   deploy role cannot create a role stronger than the workloads need.
//
// Trust: GitHub's OIDC provider, `aud` sts.amazonaws.com and the exact `sub` of the job
// (OpenID Connect reference: `repo:ORG/REPO:environment:NAME` when the job names an environment,
// `repo:ORG/REPO:pull_request` for pull requests, `repo:ORG/REPO:ref:refs/heads/main` otherwise).
import type { Environment, TrailSetting } from "../../stacks/environments";
import { FAILOVER_CONTROL_KEY } from "../../handlers/contract";
import { names } from "../../stacks/names";
import { operatorPolicy } from "./operator-policy";

type Condition = Record<string, Record<string, string | string[]>>;
export interface Stmt {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: Condition;
}
export interface Doc {
  Version: "2012-10-17";
  Statement: Stmt[];
}
/** A trust policy's statement names who may assume the role, and no Resource: IAM refuses one ("Has prohibited field Resource"). */
export interface TrustStmt extends Omit<Stmt, "Resource"> {
  Principal: unknown;
}
export interface TrustDoc {
  Version: "2012-10-17";
  Statement: TrustStmt[];
}
export interface RoleSpec {
  name: string;
  /** The GitHub environment whose jobs may assume it (none: pull requests and main). */
  environment?: string;
  trust: TrustDoc;
  permissions: Doc;
}
export interface PipelinePolicies {
  roles: RoleSpec[];
  boundary: { name: string; policy: Doc };
}

export interface PolicyTarget {
  /** `changeCapture`: an existing trail's ARN (primary or DR region) adds the smoke checks' reads of that trail. */
  env: Pick<Environment, "name" | "prefix" | "primaryRegion" | "drRegion"> & Partial<Pick<Environment, "changeCapture">>;
  account: string;
  /** `owner/repo`. */
  repository: string;
  stateBuckets: { primary: string; dr: string };
  stateKeyPrefix: string;
  partition?: string;
}

const doc = (...Statement: Stmt[]): Doc => ({ Version: "2012-10-17", Statement });

export function boundaryArn(t: Pick<PolicyTarget, "env" | "account" | "partition">): string {
  return `arn:${t.partition ?? "aws"}:iam::${t.account}:policy/${t.env.prefix}-boundary`;
}

function trust(t: PolicyTarget, subs: string[]): TrustDoc {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GitHubActions",
        Effect: "Allow",
        Principal: { Federated: `arn:${t.partition ?? "aws"}:iam::${t.account}:oidc-provider/token.actions.githubusercontent.com` },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subs } },
      },
    ],
  };
}

function stateStatements(t: PolicyTarget, buckets: string[], write: boolean): Stmt[] {
  const p = t.partition ?? "aws";
  const objects = buckets.flatMap((b) => [`arn:${p}:s3:::${b}/${t.stateKeyPrefix}/*`]);
  return [
    { Sid: "ListStateBuckets", Effect: "Allow", Action: ["s3:ListBucket"], Resource: buckets.map((b) => `arn:${p}:s3:::${b}`), Condition: { StringLike: { "s3:prefix": [`${t.stateKeyPrefix}/*`] } } },
    // The state object and its lock file (`<key>.tflock`, terraform >= 1.10 use_lockfile).
    { Sid: write ? "ReadWriteStateAndLock" : "ReadState", Effect: "Allow", Action: write ? ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] : ["s3:GetObject"], Resource: objects },
  ];
}

/** The global table's own grants (the primary stack's data plane). */
function dataPlaneStatements(arn: (service: string, resource: string) => string, regions: string[], pre: string): Stmt[] {
  const verbs = (service: string, list: string[]) => list.map((v) => `${service}:${v}`);
  return [
    // The provider looks up DynamoDB's AWS managed key by its alias on every read of a table (to tell
    // it from a customer managed one); its key policy leaves key metadata to IAM.
    { Sid: "DefaultTableKeyLookup", Effect: "Allow", Action: ["kms:DescribeKey"], Resource: [arn("kms", "key/*")], Condition: { StringEquals: { "kms:RequestAlias": "alias/aws/dynamodb", "aws:RequestedRegion": regions } } },
    {
      Sid: "ManageTable",
      Effect: "Allow",
      Action: verbs("dynamodb", ["CreateTable", "UpdateTable", "DeleteTable", "Describe*", "List*", "UpdateTimeToLive", "UpdateContinuousBackups", "TagResource", "UntagResource", "CreateTableReplica", "DeleteTableReplica"]),
      Resource: [arn("dynamodb", `table/${pre}-*`), arn("dynamodb", `table/${pre}-*/stream/*`)],
      Condition: { StringEquals: { "aws:RequestedRegion": regions } },
    },
  ];
}

/**
 * Change capture (stacks/change-capture.ts: the primary stack's, and in two-way mode the DR
 * stack's, in their own regions): its trail with its own bucket (`<prefix>-trail-<account>-<region>`),
 * and the EventBridge rule that sends the pool's calls to the capture queue. `readOnly`: what a plan
 * reads of them (no object of the bucket). `trail`: that region's trail setting (an existing one
 * adds the smoke checks' reads of it). Granted whatever the mode: switching to two-way is a deploy,
 * not an IAM change.
 */
/** What aws_s3_bucket reads of a bucket on every refresh (every one of its settings). */
const BUCKET_READS = [
  "GetBucketPolicy", "GetEncryptionConfiguration", "GetLifecycleConfiguration", "GetBucketTagging", "GetBucketAcl", "GetBucketPublicAccessBlock",
  "GetBucketCORS", "GetBucketWebsite", "GetAccelerateConfiguration", "GetBucketRequestPayment", "GetBucketLogging", "GetReplicationConfiguration",
  "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls", "GetBucketVersioning",
].map((a) => `s3:${a}`);

/** What creates, configures and (force_destroy: local only) empties and destroys one of the stacks' private buckets. */
const BUCKET_MANAGE = [
  ...BUCKET_READS, "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
  "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutBucketTagging", "s3:ListBucket", "s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion",
];

function captureStatements(arn: (service: string, resource: string) => string, t: PolicyTarget, regions: string[], readOnly: boolean, trail?: TrailSetting): Stmt[] {
  const pre = t.env.prefix;
  const p = t.partition ?? "aws";
  const inRegions = { StringEquals: { "aws:RequestedRegion": regions } };
  const bucket = `arn:${p}:s3:::${pre}-trail-*`;
  const bucketReads = BUCKET_READS;
  const trailReads = ["GetTrail", "GetTrailStatus", "GetEventSelectors", "ListTags"].map((a) => `cloudtrail:${a}`);
  const ruleReads = ["DescribeRule", "ListTargetsByRule", "ListTagsForResource"].map((a) => `events:${a}`);
  if (readOnly) {
    return [
      // What the refresh of aws_cloudtrail called in the suite (GetTrail and GetEventSelectors are the smoke checks', as the deploy role).
      { Sid: "CaptureTrailConfiguration", Effect: "Allow", Action: ["cloudtrail:GetTrailStatus", "cloudtrail:ListTags"], Resource: [arn("cloudtrail", `trail/${pre}-*`)], Condition: inRegions },
      { Sid: "ListTrails", Effect: "Allow", Action: ["cloudtrail:DescribeTrails"], Resource: ["*"], Condition: inRegions },
      { Sid: "CaptureRuleConfiguration", Effect: "Allow", Action: ruleReads, Resource: [arn("events", `rule/${pre}-*`)], Condition: inRegions },
      // s3:ListBucket: the refresh's HeadBucket is authorized as it (S3 API Reference, HeadBucket);
      // it lists log files' names, never their contents (no s3:GetObject).
      { Sid: "TrailBucketConfiguration", Effect: "Allow", Action: [...bucketReads, "s3:ListBucket"], Resource: [bucket] },
    ];
  }
  return [
    ...existingTrailReads(trail, inRegions),
    {
      Sid: "ManageCaptureTrail",
      Effect: "Allow",
      Action: [...trailReads, "cloudtrail:CreateTrail", "cloudtrail:UpdateTrail", "cloudtrail:DeleteTrail", "cloudtrail:StartLogging", "cloudtrail:StopLogging", "cloudtrail:PutEventSelectors", "cloudtrail:AddTags", "cloudtrail:RemoveTags"],
      Resource: [arn("cloudtrail", `trail/${pre}-*`)],
      Condition: inRegions,
    },
    // DescribeTrails has no resource type (Service Authorization Reference).
    { Sid: "ListTrails", Effect: "Allow", Action: ["cloudtrail:DescribeTrails"], Resource: ["*"], Condition: inRegions },
    {
      Sid: "ManageCaptureRule",
      Effect: "Allow",
      Action: [...ruleReads, "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource", "events:UntagResource"],
      Resource: [arn("events", `rule/${pre}-*`)],
      Condition: inRegions,
    },
    {
      // The trail's bucket: its settings, and emptying it when the trail goes (force_destroy outside prod).
      Sid: "ManageTrailBucket",
      Effect: "Allow",
      Action: BUCKET_MANAGE,
      Resource: [bucket, `${bucket}/*`],
      Condition: inRegions,
    },
  ];
}

/**
 * The smoke checks' reads of an existing trail capture depends on (`<ENV>_CLOUDTRAIL_TRAIL_ARN`,
 * `<ENV>_DR_CLOUDTRAIL_TRAIL_ARN`), asked by its ARN in the region it must log (`inRegions`).
 */
function existingTrailReads(trail: TrailSetting | undefined, inRegions: Condition, sid = "ExistingTrailStatus"): Stmt[] {
  if (trail?.kind !== "existing") return [];
  return [{ Sid: sid, Effect: "Allow", Action: ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"], Resource: [trail.arn], Condition: inRegions }];
}

/**
 * What the smoke's change-capture check of `role` reads (scripts/operator/capture-wiring.ts), for a
 * role that does not manage the capture resources (the failback's): the region's trail (the stack's
 * own by name, or the configured one by ARN) and its capture rule, asked in that region only. The
 * function's mapping and pool reads are granted with the smoke's other reads (SmokeMappings,
 * CompareTriggerCode, ReadBothPools). DR's (Sids `SmokeDr*`, `ExistingDrTrailStatus`) whatever the
 * mode: the smoke asks them in two-way mode, and switching modes is a deploy, not an IAM change.
 */
function smokeCaptureReads(t: PolicyTarget, role: "primary" | "dr"): Stmt[] {
  const p = t.partition ?? "aws";
  const n = names(t.env);
  const region = role === "primary" ? t.env.primaryRegion : t.env.drRegion;
  const trail = role === "primary" ? t.env.changeCapture?.trail : t.env.changeCapture?.drTrail;
  const only = { StringEquals: { "aws:RequestedRegion": [region] } };
  const sid = (what: string) => (role === "primary" ? what : what.replace(/^(Smoke|Existing)/, "$1Dr"));
  return [
    ...(trail?.kind === "existing"
      ? existingTrailReads(trail, only, sid("ExistingTrailStatus"))
      : [{ Sid: sid("SmokeCaptureTrail"), Effect: "Allow" as const, Action: ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"], Resource: [`arn:${p}:cloudtrail:${region}:${t.account}:trail/${n.trail}`], Condition: only }]),
    { Sid: sid("SmokeCaptureRule"), Effect: "Allow", Action: ["events:DescribeRule"], Resource: [`arn:${p}:events:${region}:${t.account}:rule/${n.captureRule}`], Condition: only },
  ];
}

/** The DR stack finds the replica table by name (a data source) and never changes it. */
function findTheReplica(arn: (service: string, resource: string) => string, regions: string[], pre: string): Stmt[] {
  return [
    { Sid: "FindTheReplicaTable", Effect: "Allow", Action: ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"], Resource: [arn("dynamodb", `table/${pre}-*`)], Condition: { StringEquals: { "aws:RequestedRegion": regions } } },
  ];
}

/**
 * What creates and manages the stacks' resources, scoped to `cdr-<env>-*` in `regions`. `dataPlane`:
 * the role also manages the global table and its multi-Region key (the primary stack owns them; the
 * DR stack only finds them by name); `schedule`: the scheduled reconcile, its schedule and its
 * function's asynchronous invoke settings (the DR stack's). Every grant here was seen used by a step in the sandbox, or is
 * kept for a change the suite does not make, with its reason (stacks/kept-unused.ts).
 */
function manageStatements(t: PolicyTarget, regions: string[], owns: { dataPlane: boolean; schedule: boolean }): Stmt[] {
  const { dataPlane } = owns;
  const p = t.partition ?? "aws";
  const pre = t.env.prefix;
  const arn = (service: string, resource: string, region = "*") => `arn:${p}:${service}:${region}:${t.account}:${resource}`;
  const inRegions = { StringEquals: { "aws:RequestedRegion": regions } };
  const tagged = { StringEquals: { "aws:ResourceTag/env": t.env.name, "aws:RequestedRegion": regions } };
  const requestTagged = { StringEquals: { "aws:RequestTag/env": t.env.name, "aws:RequestedRegion": regions } };
  const verbs = (service: string, list: string[]) => list.map((v) => `${service}:${v}`);
  return [
    // sts:GetCallerIdentity (the account id at plan time) needs no permission: STS API Reference.
    // Created with the environment's tag (the provider's default tags), managed only when tagged so.
    { Sid: "CreateTaggedPoolsAndKeys", Effect: "Allow", Action: ["cognito-idp:CreateUserPool", "kms:CreateKey"], Resource: ["*"], Condition: requestTagged },
    // ListUserPools and ListEventSourceMappings: the smoke checks after an apply find the pool and the mapping.
    { Sid: "ListWhatHasNoResourceType", Effect: "Allow", Action: ["cognito-idp:ListUserPools", "kms:ListAliases", "lambda:ListEventSourceMappings", "logs:DescribeLogGroups"], Resource: ["*"], Condition: inRegions },
    {
      Sid: "ManageTaggedPools",
      Effect: "Allow",
      Action: verbs("cognito-idp", ["Describe*", "Get*", "Update*", "Delete*", "Set*", "TagResource", "UntagResource", "CreateUserPoolClient", "AddCustomAttributes"]),
      Resource: [arn("cognito-idp", "userpool/*")],
      Condition: tagged,
    },
    {
      // Native mode's deploy step (scripts/lib/native-replica/deploy.ts): the primary's creates the
      // replica and lists it from the primary's Region; the DR step lists it from the DR Region (it
      // updates the secondary and activates it with Update*, above). Creating a replica also needs
      // CreateUserPool, with the replica's tags (CreateTaggedPoolsAndKeys).
      Sid: "NativeReplicas",
      Effect: "Allow",
      Action: verbs("cognito-idp", dataPlane ? ["CreateUserPoolReplica", "ListUserPoolReplicas"] : ["ListUserPoolReplicas"]),
      Resource: [arn("cognito-idp", "userpool/*")],
      Condition: tagged,
    },
    {
      Sid: "ManageTaggedKeys",
      Effect: "Allow",
      // ReplicateKey for the table key's DR replica; CreateGrant is what DynamoDB asks of the caller for a table key.
      // (The stacks keep rotation on and never restore a key scheduled for deletion: no
      // DisableKeyRotation, no CancelKeyDeletion.)
      Action: verbs("kms", ["Describe*", "Get*", "List*", "PutKeyPolicy", "CreateAlias", "UpdateAlias", "DeleteAlias", "EnableKeyRotation", "ScheduleKeyDeletion", "TagResource", "UntagResource", "UpdateKeyDescription", ...(dataPlane ? ["ReplicateKey", "CreateGrant"] : [])]),
      Resource: [arn("kms", "key/*")],
      Condition: tagged,
    },
    {
      // KMS checks kms:TagResource in an IAM policy for a key created with tags (KMS API Reference,
      // CreateKey/ReplicateKey "Required permissions"); the new key carries no tag yet. Only keys
      // without an env tag can be tagged so: a key of another team that has no env tag could be
      // tagged too, and then managed; its own key policy still has to allow that.
      Sid: "TagKeysAtCreation",
      Effect: "Allow",
      Action: ["kms:TagResource"],
      Resource: [arn("kms", "key/*")],
      Condition: { StringEquals: { "aws:RequestTag/env": t.env.name, "aws:RequestedRegion": regions }, Null: { "aws:ResourceTag/env": "true" } },
    },
    ...(dataPlane
      ? [...dataPlaneStatements(arn, regions, pre), ...captureStatements(arn, t, [t.env.primaryRegion], false, t.env.changeCapture?.trail)]
      : // Two-way mode: the DR stack's own change capture in the DR region.
        [...findTheReplica(arn, regions, pre), ...captureStatements(arn, t, [t.env.drRegion], false, t.env.changeCapture?.drTrail)]),
    { Sid: "ManageAliases", Effect: "Allow", Action: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], Resource: [arn("kms", `alias/${pre}-*`)], Condition: inRegions },
    {
      Sid: "ManageFunctions",
      Effect: "Allow",
      Action: verbs("lambda", [
        "CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "DeleteFunction", "Get*", "List*", "AddPermission", "RemovePermission", "TagResource", "UntagResource",
        // The provider creates and updates the async config with Put (UpdateFunctionEventInvokeConfig unused).
        ...(owns.schedule ? ["PutFunctionEventInvokeConfig", "DeleteFunctionEventInvokeConfig"] : []),
      ]),
      Resource: [arn("lambda", `function:${pre}-*`)],
      Condition: inRegions,
    },
    {
      // Mappings have generated ids: they are scoped by the function they feed.
      Sid: "CreateMappingsOfOwnFunctions",
      Effect: "Allow",
      Action: ["lambda:CreateEventSourceMapping"],
      Resource: ["*"],
      Condition: { ArnLike: { "lambda:FunctionArn": arn("lambda", `function:${pre}-*`) }, StringEquals: { "aws:RequestedRegion": regions } },
    },
    // Reading a mapping is not conditioned on its function: terraform polls a deleted mapping until it
    // is gone, and a mapping that no longer exists feeds no function (lambda:FunctionArn absent).
    { Sid: "ReadMappings", Effect: "Allow", Action: ["lambda:GetEventSourceMapping"], Resource: [arn("lambda", "event-source-mapping:*")], Condition: inRegions },
    {
      Sid: "ManageMappingsOfOwnFunctions",
      Effect: "Allow",
      Action: ["lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
      Resource: [arn("lambda", "event-source-mapping:*")],
      Condition: { ArnLike: { "lambda:FunctionArn": arn("lambda", `function:${pre}-*`) }, StringEquals: { "aws:RequestedRegion": regions } },
    },
    {
      // A mapping's tags: set when it is created (lambda:TagResource, "tag on create"), read on every refresh.
      Sid: "TagMappingsAtCreation",
      Effect: "Allow",
      Action: ["lambda:TagResource"],
      Resource: [arn("lambda", "event-source-mapping:*")],
      Condition: { StringEquals: { "aws:RequestTag/env": t.env.name, "aws:RequestedRegion": regions }, Null: { "aws:ResourceTag/env": "true" } },
    },
    { Sid: "TagsOfOwnMappings", Effect: "Allow", Action: ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"], Resource: [arn("lambda", "event-source-mapping:*")], Condition: tagged },
    { Sid: "ManageQueues", Effect: "Allow", Action: verbs("sqs", ["CreateQueue", "DeleteQueue", "GetQueueAttributes", "SetQueueAttributes", "ListQueueTags", "TagQueue", "UntagQueue"]), Resource: [arn("sqs", `${pre}-*`)], Condition: inRegions },
    {
      Sid: "ManageAlarmTopics",
      Effect: "Allow",
      Action: verbs("sns", ["CreateTopic", "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes", "Subscribe", "Unsubscribe", "GetSubscriptionAttributes", "ListTagsForResource", "TagResource", "UntagResource"]),
      Resource: [arn("sns", `${pre}-*`)],
      Condition: inRegions,
    },
    {
      Sid: "ManageLogGroups",
      Effect: "Allow",
      // (logs:TagLogGroup and ListTagsLogGroup are the older names of the tag actions; the provider uses the new ones.)
      Action: verbs("logs", ["CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "ListTagsForResource", "TagResource", "UntagResource"]),
      Resource: [arn("logs", `log-group:/aws/lambda/${pre}-*`), arn("logs", `log-group:/aws/lambda/${pre}-*:*`)],
      Condition: inRegions,
    },
    { Sid: "ManageAlarms", Effect: "Allow", Action: verbs("cloudwatch", ["PutMetricAlarm", "DeleteAlarms", "DescribeAlarms", "ListTagsForResource", "TagResource", "UntagResource"]), Resource: [arn("cloudwatch", `alarm:${pre}-*`)], Condition: inRegions },
    ...(owns.schedule
      ? [
          {
            // The scheduled reconcile's pass state (stacks/dr-reconcile.ts): emptied only where force_destroy is set (local).
            Sid: "ManageReconcileBucket",
            Effect: "Allow" as const,
            Action: BUCKET_MANAGE,
            Resource: [`arn:${p}:s3:::${pre}-reconcile-*`, `arn:${p}:s3:::${pre}-reconcile-*/*`],
            Condition: inRegions,
          },
        ]
      : []),
    ...(owns.schedule
      ? [{ Sid: "ManageSchedules", Effect: "Allow" as const, Action: verbs("scheduler", ["CreateSchedule", "UpdateSchedule", "DeleteSchedule", "GetSchedule"]), Resource: [arn("scheduler", `schedule/default/${pre}-*`)], Condition: inRegions }]
      : []),
    {
      Sid: "CreateRolesOnlyWithTheBoundary",
      Effect: "Allow",
      // The stacks' roles have inline policies only (no managed policy is ever attached), and get
      // the boundary when they are created (it is never put on an existing role).
      Action: ["iam:CreateRole", "iam:PutRolePolicy"],
      Resource: [`arn:${p}:iam::${t.account}:role/${pre}-*`],
      Condition: { StringEquals: { "iam:PermissionsBoundary": boundaryArn(t) } },
    },
    {
      Sid: "ManageOwnRoles",
      Effect: "Allow",
      Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"],
      Resource: [`arn:${p}:iam::${t.account}:role/${pre}-*`],
    },
    {
      // A role the stacks create goes only to Lambda (functions) and EventBridge Scheduler (schedules).
      Sid: "PassOwnRolesToLambdaAndScheduler",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: [`arn:${p}:iam::${t.account}:role/${pre}-*`],
      Condition: { StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "scheduler.amazonaws.com"] } },
    },
    { Sid: "NeverLiftTheBoundary", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary"], Resource: [`arn:${p}:iam::${t.account}:role/${pre}-*`] },
    { Sid: "NeverChangeTheBoundary", Effect: "Deny", Action: ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"], Resource: [boundaryArn(t)] },
  ];
}

/**
 * The service-linked roles the primary stack's resources make AWS create for the caller: KMS's for
 * multi-Region keys, "recreated" with every multi-Region primary key (KMS developer guide,
 * "Controlling access to multi-Region keys"), and DynamoDB's replication role with the first global
 * table ("DynamoDB global tables security"). Only the primary stack creates either.
 */
function serviceLinkedRoles(t: PolicyTarget): Stmt {
  const services = ["mrk.kms.amazonaws.com", "replication.dynamodb.amazonaws.com"];
  return {
    Sid: "ServiceLinkedRolesOfKeysAndGlobalTables",
    Effect: "Allow",
    Action: ["iam:CreateServiceLinkedRole"],
    Resource: services.map((s) => `arn:${t.partition ?? "aws"}:iam::${t.account}:role/aws-service-role/${s}/*`),
    Condition: { StringEquals: { "iam:AWSServiceName": services } },
  };
}

/** Read-only metadata for plans and drift detection: no item, user, message or log reads, no decrypt. */
function readOnlyStatements(t: PolicyTarget): Stmt[] {
  const p = t.partition ?? "aws";
  const pre = t.env.prefix;
  const regions = [t.env.primaryRegion, t.env.drRegion];
  const arn = (service: string, resource: string) => `arn:${p}:${service}:*:${t.account}:${resource}`;
  const inRegions = { StringEquals: { "aws:RequestedRegion": regions } };
  return [
    // ListUserPools: the drift check finds the pools by name.
    { Sid: "ListWhatHasNoResourceType", Effect: "Allow", Action: ["cognito-idp:ListUserPools", "kms:ListAliases", "logs:DescribeLogGroups"], Resource: ["*"], Condition: inRegions },
    { Sid: "MappingConfiguration", Effect: "Allow", Action: ["lambda:GetEventSourceMapping", "lambda:ListTags"], Resource: [arn("lambda", "event-source-mapping:*")], Condition: inRegions },
    {
      Sid: "PoolConfiguration",
      Effect: "Allow",
      // ListUserPoolClients: the drift check (run as this role by drift.yml and the verify job) compares the clients;
      // ListUserPoolReplicas: in native mode it also checks the replica.
      Action: ["cognito-idp:DescribeUserPool", "cognito-idp:DescribeUserPoolClient", "cognito-idp:ListUserPoolClients", "cognito-idp:GetUserPoolMfaConfig", "cognito-idp:ListUserPoolReplicas"],
      Resource: [arn("cognito-idp", "userpool/*")],
      Condition: inRegions,
    },
    { Sid: "DefaultTableKeyLookup", Effect: "Allow", Action: ["kms:DescribeKey"], Resource: [arn("kms", "key/*")], Condition: { StringEquals: { "kms:RequestAlias": "alias/aws/dynamodb", "aws:RequestedRegion": regions } } },
    { Sid: "KeyConfiguration", Effect: "Allow", Action: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"], Resource: [arn("kms", "key/*")], Condition: inRegions },
    {
      Sid: "TableConfiguration",
      Effect: "Allow",
      Action: ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"],
      Resource: [arn("dynamodb", `table/${pre}-*`)],
      Condition: inRegions,
    },
    {
      Sid: "FunctionConfiguration",
      Effect: "Allow",
      Action: ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetPolicy", "lambda:ListVersionsByFunction", "lambda:ListTags", "lambda:GetFunctionEventInvokeConfig"],
      Resource: [arn("lambda", `function:${pre}-*`)],
      Condition: inRegions,
    },
    { Sid: "QueueConfiguration", Effect: "Allow", Action: ["sqs:GetQueueAttributes", "sqs:ListQueueTags"], Resource: [arn("sqs", `${pre}-*`)], Condition: inRegions },
    { Sid: "TopicConfiguration", Effect: "Allow", Action: ["sns:GetTopicAttributes", "sns:GetSubscriptionAttributes", "sns:ListTagsForResource"], Resource: [arn("sns", `${pre}-*`)], Condition: inRegions },
    { Sid: "LogGroupConfiguration", Effect: "Allow", Action: ["logs:ListTagsForResource"], Resource: [arn("logs", `log-group:/aws/lambda/${pre}-*`)], Condition: inRegions },
    { Sid: "AlarmConfiguration", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"], Resource: [arn("cloudwatch", `alarm:${pre}-*`)], Condition: inRegions },
    // Both regions: the DR stack captures its pool too in two-way mode.
    ...captureStatements(arn, t, regions, true),
    // The scheduled reconcile's bucket: its settings (s3:ListBucket: the refresh's HeadBucket), never its objects.
    { Sid: "ReconcileBucketConfiguration", Effect: "Allow", Action: [...BUCKET_READS, "s3:ListBucket"], Resource: [`arn:${p}:s3:::${pre}-reconcile-*`], Condition: inRegions },
    { Sid: "ScheduleConfiguration", Effect: "Allow", Action: ["scheduler:GetSchedule"], Resource: [arn("scheduler", `schedule/default/${pre}-*`)], Condition: inRegions },
    {
      Sid: "RoleConfiguration",
      Effect: "Allow",
      Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
      Resource: [`arn:${p}:iam::${t.account}:role/${pre}-*`],
    },
  ];
}

/**
 * The boundary every role the stacks create carries: the most any workload may ever do. A role's
 * effective permissions are what both its own policy and the boundary allow (IAM User Guide,
 * "Permissions boundaries for IAM entities"), so a deploy role can never create a stronger one.
 */
export function boundaryPolicy(t: Pick<PolicyTarget, "env" | "account" | "partition">): Doc {
  const p = t.partition ?? "aws";
  const pre = t.env.prefix;
  const n = names(t.env);
  const regions = [t.env.primaryRegion, t.env.drRegion];
  const arn = (service: string, resource: string) => `arn:${p}:${service}:*:${t.account}:${resource}`;
  const inRegions = { StringEquals: { "aws:RequestedRegion": regions } };
  return doc(
    { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [arn("logs", `log-group:/aws/lambda/${pre}-*:*`)], Condition: inRegions },
    {
      Sid: "ReplicatedTableAndStream",
      Effect: "Allow",
      // DeleteItem: the replicators' and the scheduled reconcile's directories forget a pool user
      // whose email a newcomer took (DR_DIRECTORY_TABLE_ACTIONS); without it here their grant is void.
      Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
      Resource: [arn("dynamodb", `table/${n.table}`), arn("dynamodb", `table/${n.table}/stream/*`)],
      Condition: inRegions,
    },
    { Sid: "ListStreams", Effect: "Allow", Action: ["dynamodb:ListStreams"], Resource: ["*"], Condition: inRegions },
    { Sid: "TableKeyThroughDynamoDB", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [arn("kms", "key/*")], Condition: { StringEquals: { "kms:ViaService": regions.map((r) => `dynamodb.${r}.amazonaws.com`) } } },
    { Sid: "OwnQueues", Effect: "Allow", Action: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: [arn("sqs", `${pre}-*`)], Condition: inRegions },
    { Sid: "Pools", Effect: "Allow", Action: ["cognito-idp:Admin*", "cognito-idp:ListUsers", "cognito-idp:ListGroups", "cognito-idp:ListUsersInGroup"], Resource: [arn("cognito-idp", "userpool/*")], Condition: inRegions },
    { Sid: "FindPools", Effect: "Allow", Action: ["cognito-idp:ListUserPools"], Resource: ["*"], Condition: inRegions },
    // The scheduled reconcile's pass state (its checkpoint and listings) and the bucket's SSE-KMS key through S3.
    { Sid: "ReconcileState", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"], Resource: [`arn:${p}:s3:::${pre}-reconcile-*`, `arn:${p}:s3:::${pre}-reconcile-*/*`] },
    { Sid: "BucketKeyThroughS3", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [arn("kms", "key/*")], Condition: { StringEquals: { "kms:ViaService": regions.map((r) => `s3.${r}.amazonaws.com`) } } },
    { Sid: "InvokeOwnFunctions", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [arn("lambda", `function:${pre}-*`)], Condition: inRegions },
  );
}

/**
 * The failover control item (`control#failover`, D7) in the DR replica: `npm run failover` (two-way)
 * marks the environment failed over there after the switch, `npm run failback` marks it normal
 * before switching back; the DR pool's pre-sign-up trigger reads it. GetItem: each reads it first
 * (the failover's `changedAt` bounds failback's backlog). The DR replica is writable while the
 * primary region is down; both run in the DR region only.
 */
function failoverControl(t: PolicyTarget, sid: string): Stmt[] {
  const p = t.partition ?? "aws";
  const dr = t.env.drRegion;
  return [
    { Sid: sid, Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: [`arn:${p}:dynamodb:${dr}:${t.account}:table/${names(t.env).table}`], Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [FAILOVER_CONTROL_KEY] } } },
    { Sid: `${sid}Key`, Effect: "Allow", Action: ["kms:Decrypt"], Resource: [`arn:${p}:kms:${dr}:${t.account}:key/*`], Condition: { StringEquals: { "kms:ViaService": `dynamodb.${dr}.amazonaws.com` } } },
  ];
}

/**
 * Two-way failback's drain (D11): the DR-originated records, scanned in the DR replica where DR's
 * capture wrote them (a scan: no index on the origin; records still on their way to the primary
 * count), must show in the primary pool (found through its primary# directory items in the primary
 * replica), and none may sit in the primary replicator's DLQ.
 */
function drainReads(t: PolicyTarget): Stmt[] {
  const p = t.partition ?? "aws";
  const { primaryRegion: primary, drRegion: dr } = t.env;
  const n = names(t.env);
  const table = (region: string) => `arn:${p}:dynamodb:${region}:${t.account}:table/${n.table}`;
  return [
    { Sid: "ScanDrRecords", Effect: "Allow", Action: ["dynamodb:Scan"], Resource: [table(dr)] },
    { Sid: "ReadPrimaryDirectory", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [table(primary)] },
    { Sid: "TableKeysThroughDynamoDB", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [`arn:${p}:kms:${primary}:${t.account}:key/*`, `arn:${p}:kms:${dr}:${t.account}:key/*`], Condition: { StringEquals: { "kms:ViaService": [`dynamodb.${primary}.amazonaws.com`, `dynamodb.${dr}.amazonaws.com`] } } },
    // A peek: received, then made visible again at once (scripts/lib/dlq.ts), so the queue is left as it was.
    { Sid: "PeekPrimaryReplicatorDlq", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility"], Resource: [`arn:${p}:sqs:${primary}:${t.account}:${n.replicatorDlqIn("primary")}`] },
  ];
}

/** What failback reads before switching back: reconcile's and drift's reads, and the smoke checks'. */
function failbackReads(t: PolicyTarget): Stmt[] {
  const op = operatorPolicy(t.env, { id: t.account, partition: t.partition });
  const keep = new Set(["FindPoolsByName", "ReadBothPools", "CompareTriggerCode"]);
  const p = t.partition ?? "aws";
  const regions = [t.env.primaryRegion, t.env.drRegion];
  return [
    ...op.Statement.filter((s) => keep.has(s.Sid)).map((s) => ({ ...s, Action: [...s.Action] })),
    // Native mode: the smoke checks read the replica in each Region, drift the pool's key (by its alias).
    { Sid: "NativeReplicaReads", Effect: "Allow", Action: ["cognito-idp:ListUserPoolReplicas"], Resource: regions.map((r) => `arn:${p}:cognito-idp:${r}:${t.account}:userpool/*`) },
    { Sid: "NativePoolKey", Effect: "Allow", Action: ["kms:DescribeKey"], Resource: [`arn:${p}:kms:${t.env.primaryRegion}:${t.account}:key/*`], Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": names(t.env).poolKeyAlias } } },
    { Sid: "SmokeTables", Effect: "Allow", Action: ["dynamodb:DescribeTable"], Resource: regions.map((r) => `arn:${p}:dynamodb:${r}:${t.account}:table/${names(t.env).table}`) },
    { Sid: "SmokeMappings", Effect: "Allow", Action: ["lambda:ListEventSourceMappings"], Resource: ["*"], Condition: { StringEquals: { "aws:RequestedRegion": regions } } },
    // Change capture must be seeing the primary's changes before sign-in goes back there, and in
    // two-way mode DR's too (a DR change nothing captured would be left behind in DR).
    ...smokeCaptureReads(t, "primary"),
    ...smokeCaptureReads(t, "dr"),
  ];
}

export function pipelinePolicies(t: PolicyTarget): PipelinePolicies {
  const sub = (what: string) => `repo:${t.repository}:${what}`;
  const pre = t.env.prefix;
  const { primaryRegion, drRegion } = t.env;
  const failoverSwitch: Stmt[] = [
    // DNS failover through Route 53 health checks: inverting the primary's check moves the records.
    { Sid: "InvertHealthChecks", Effect: "Allow", Action: ["route53:GetHealthCheck", "route53:UpdateHealthCheck"], Resource: [`arn:${t.partition ?? "aws"}:route53:::healthcheck/*`] },
    // Route 53 ARC: routing control states are changed through the cluster's regional endpoints.
    { Sid: "RoutingControls", Effect: "Allow", Action: ["route53-recovery-cluster:GetRoutingControlState", "route53-recovery-cluster:UpdateRoutingControlState", "route53-recovery-cluster:UpdateRoutingControlStates"], Resource: [`arn:${t.partition ?? "aws"}:route53-recovery-control::${t.account}:controlpanel/*/routingcontrol/*`] },
  ];
  return {
    boundary: { name: `${pre}-boundary`, policy: boundaryPolicy(t) },
    roles: [
      {
        name: `${pre}-pipeline-plan`,
        environment: `${t.env.name}-plan`,
        trust: trust(t, [sub(`environment:${t.env.name}-plan`)]),
        permissions: doc(...readOnlyStatements(t), ...stateStatements(t, [t.stateBuckets.primary, t.stateBuckets.dr], false)),
      },
      {
        name: `${pre}-pipeline-primary`,
        environment: t.env.name,
        trust: trust(t, [sub(`environment:${t.env.name}`)]),
        permissions: doc(...manageStatements(t, [primaryRegion, drRegion], { dataPlane: true, schedule: false }), serviceLinkedRoles(t), ...stateStatements(t, [t.stateBuckets.primary], true)),
      },
      {
        name: `${pre}-pipeline-dr`,
        environment: `${t.env.name}-dr`,
        trust: trust(t, [sub(`environment:${t.env.name}-dr`)]),
        permissions: doc(...manageStatements(t, [drRegion], { dataPlane: false, schedule: true }), ...stateStatements(t, [t.stateBuckets.dr], true)),
      },
      {
        name: `${pre}-pipeline-failover`,
        environment: `${t.env.name}-failover`,
        trust: trust(t, [sub(`environment:${t.env.name}-failover`)]),
        permissions: doc(...manageStatements(t, [drRegion], { dataPlane: false, schedule: true }), ...stateStatements(t, [t.stateBuckets.dr], true), ...failoverSwitch, ...failoverControl(t, "MarkFailedOver")),
      },
      {
        name: `${pre}-pipeline-failback`,
        environment: `${t.env.name}-failback`,
        trust: trust(t, [sub(`environment:${t.env.name}-failback`)]),
        // Both states read: the DR stack's health-check output, and in two-way mode the primary stack's replicator DLQ (the drain).
        permissions: doc(...failbackReads(t), ...stateStatements(t, [t.stateBuckets.primary, t.stateBuckets.dr], false), ...failoverSwitch, ...failoverControl(t, "MarkNormal"), ...drainReads(t)),
      },
    ],
  };
}
