// Grants the end-to-end suite never sees used, each kept with the reason it must stay. The suite's
// least-privilege report (test/e2e/authz-report.ts, run by `npm test`) fails on any unused grant
// not listed here, and on any entry here that the suite did use after all: every other grant of
// every role the stacks create, and of the operator tools' documented policy (the suite's
// `operator` role), is proven used by the enforced sandbox.
//
// role: the role name without the `cdr-<env>-` prefix; action: as the policy grants it, or `*`
// for every grant of a role whose whole purpose is a situation the suite does not stage.
//
// The pipeline's roles (`pipeline-*`, scripts/lib/pipeline-policies.ts) are held to the same rule:
// terraform, the smoke, drift and plan jobs, the failover and the failback run as them in the
// suite (test/e2e/dr-outage.test.ts makes every kind of in-place change a deploy makes); what stays
// unused serves a change the suite does not make, listed here with that change.

export interface KeptUnused {
  role: string;
  action: string;
  why: string;
}

const POOL_SETTINGS = "a change to a deployed pool's settings (password or sign-in policy, MFA, schema) is applied in place; the suite changes pools' tags only";

/** What the deploy roles keep for changes to deployed resources the suite does not make. */
// (cognito-idp:Update* is proven: native mode's replica step updates the pool and the replica, test/e2e/native.test.ts.)
const deployRoleChanges = (role: string): KeptUnused[] => [
  { role, action: "cognito-idp:Set*", why: `${POOL_SETTINGS} (SetUserPoolMfaConfig)` },
  { role, action: "cognito-idp:AddCustomAttributes", why: "a custom attribute added to a deployed pool (a new replicated attribute) is added in place" },
  { role, action: "kms:UpdateAlias", why: "an alias moves to another key when a key is replaced" },
  { role, action: "kms:UpdateKeyDescription", why: "a key's description names its table and topic; it changes only with their names" },
];

export const KEPT_UNUSED: readonly KeptUnused[] = [
  // The operator tools' policy (scripts/lib/operator-policy.ts).
  ...["cognito-idp:AdminEnableUser", "cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminDeleteUserAttributes"].map((action) => ({
    role: "operator",
    action,
    why: "reconcile --apply repairs through the shared upsert, whose other branches (enable, leave a group, drop an attribute) the replicator role exercises in replication.test.ts scenario 9",
  })),
  ...["dynamodb:GetShardIterator", "dynamodb:GetRecords"].map((action) => ({
    role: "operator",
    action,
    why: "redrive reads the stream only for a BATCH_ message (a whole batch's position after retries ran out); no scenario exhausts a batch's retries",
  })),
  // The pipeline's roles.
  ...["cognito-idp:ListUserPoolReplicas", "kms:DescribeKey"].map((action) => ({
    role: "pipeline-failback",
    action,
    why: "native mode's failback: its smoke checks read the replica in both Regions and drift describes the pool's key; no end-to-end test fails back a native environment yet (test/e2e/native.test.ts proves the same reads for the deploy, plan and operator roles)",
  })),
  ...deployRoleChanges("pipeline-primary"),
  ...deployRoleChanges("pipeline-dr"),
  {
    role: "pipeline-failover",
    action: "*",
    why: "the DR deploy role's grants, to rebuild the DR stack during an outage, and the sign-in switch; the rehearsal applies a DR stack that needs no change (pipeline-dr proves the grants) and local has neither DNS failover nor ARC to switch (test/pipeline/sign-in-switch.test.ts drives the switch against fakes)",
  },
  ...["route53:GetHealthCheck", "route53:UpdateHealthCheck", "route53-recovery-cluster:GetRoutingControlState", "route53-recovery-cluster:UpdateRoutingControlState", "route53-recovery-cluster:UpdateRoutingControlStates"].map((action) => ({
    role: "pipeline-failback",
    action,
    why: "the sign-in switch back: local has neither DNS failover nor ARC configured (test/pipeline/sign-in-switch.test.ts drives the switch against fakes)",
  })),
  {
    role: "pipeline-failback",
    action: "cognito-idp:ListUsersInGroup",
    why: "the failback's reconcile reads group members only when the pools have groups; the rehearsal's pools have none (operator-tools.test.ts proves the read for the same policy as the operator role)",
  },
  {
    role: "pipeline-failback",
    action: "sqs:ChangeMessageVisibility",
    why: "the two-way drain puts the messages it peeked on the primary replicator's DLQ back at once; the rehearsal's DLQ is empty (failback-io.test.ts drives the peek against messages)",
  },
  // Change capture's trail (stacks/change-capture.ts, modules/trail.ts).
  { role: "pipeline-primary", action: "cloudtrail:UpdateTrail", why: "a change to the trail's own settings (its bucket, region scope) is applied in place; the suite changes only its tags (AddTags)" },
  { role: "pipeline-primary", action: "cloudtrail:StopLogging", why: "turning the trail's logging off (enable_logging = false) is applied in place; the suite stops it as an administrator" },
  ...["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"].map((action) => ({
    role: "pipeline-primary",
    action,
    why: "force_destroy (outside prod) empties the trail's bucket of its log files before deleting it; the sandbox's CloudTrail writes no log files, so the suite's destroys find it empty",
  })),
  // Two-way mode's DR change capture (the DR deploy role builds it; the two-way game day deploys it and never changes or destroys it).
  { role: "pipeline-dr", action: "cloudtrail:UpdateTrail", why: "a change to the DR trail's own settings (two-way mode: its bucket, region scope) is applied in place; the suite changes only its tags (AddTags, RemoveTags in dr-outage.test.ts)" },
  { role: "pipeline-dr", action: "cloudtrail:StopLogging", why: "turning the DR trail's logging off (enable_logging = false) is applied in place; nothing in the suite turns it off" },
  ...["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"].map((action) => ({
    role: "pipeline-dr",
    action,
    why: "force_destroy (outside prod) empties the DR trail's bucket of its log files before deleting it (two-way mode); the sandbox's CloudTrail writes no log files, so the suite's destroys find it empty",
  })),
  // Two-way mode's workloads that only a fault or a rare change reaches.
  {
    role: "retry-worker-dr-role",
    action: "*",
    why: "the DR sign-up capture's retry worker drains its fallback queue only when a DR sign-up's table write failed; the two-way game day injects no DynamoDB fault in DR (the primary's retry worker proves the same bundle and grants)",
  },
  {
    role: "post-confirmation-dr-role",
    action: "sqs:SendMessage",
    why: "the DR sign-up capture falls back to its queue only when the table write fails; the two-way game day injects no DynamoDB fault in DR (the primary's post-confirmation proves the same grant)",
  },
  ...["cognito-idp:AdminEnableUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminDeleteUserAttributes"].map((action) => ({
    role: "replicate-user-primary-role",
    action,
    why: "the shared upsert's branches for a DR change the game day does not make (re-enable, group changes, a dropped attribute); the DR replicator's role proves them (replication.test.ts scenario 9)",
  })),
  {
    role: "replicate-user-primary-role",
    action: "sqs:SendMessage",
    why: "the primary replicator parks a record only after a permanent failure; the suite's planted same-email conflict is still inside its 2-minute retry window when the game day ends (the DR replicator's role proves parking, replication.test.ts)",
  },
  // The scheduled reconcile's role (stacks/dr-reconcile.ts), run from its schedule in operator-tools.test.ts.
  {
    role: "reconcile-role",
    action: "cognito-idp:AdminDeleteUser",
    why: "local runs without allow-delete; the shared upsert then deletes only a DR user it has just created that the pool left unconfirmed, which needs a DR pool without passwordless sign-in (replication.test.ts scenario 11 takes the replicator role through that branch)",
  },
  {
    role: "reconcile-role",
    action: "s3:ListBucket",
    why: "only makes S3 answer a missing checkpoint with 404 NoSuchKey instead of 403 (S3 API Reference, GetObject); the sandbox answers 404 without asking for it (sandbox/README.md), so no run records its use, yet without it the first run in AWS fails",
  },
];
