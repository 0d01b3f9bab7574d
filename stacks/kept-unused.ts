// Grants the end-to-end suite never sees used, each kept with the reason it must stay. The suite's
// least-privilege report (test/e2e/authz-report.ts, run by `npm test`) fails on any unused grant
// not listed here, and on any entry here that the suite did use after all: every other grant of
// every role the stacks create, and of the operator tools' documented policy (the suite's
// `operator` role), is proven used by the enforced sandbox.
//
// role: the role name without the `cdr-<env>-` prefix; action: as the policy grants it.

export interface KeptUnused {
  role: string;
  action: string;
  why: string;
}

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
  // The scheduled reconcile's role (stacks/dr-reconcile.ts), run from its schedule in operator-tools.test.ts.
  {
    role: "reconcile-role",
    action: "cognito-idp:AdminDeleteUser",
    why: "local runs without allow-delete; the shared upsert then deletes only a DR user it has just created that the pool left unconfirmed, which needs a DR pool without passwordless sign-in (replication.test.ts scenario 11 takes the replicator role through that branch)",
  },
];
