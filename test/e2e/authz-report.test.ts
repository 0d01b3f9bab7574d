// The least-privilege report's logic on hand-made snapshots: unused grants are listed per role,
// a kept one carries its reason, an unexplained one and a stale kept entry fail the report.
import { describe, expect, it } from "vitest";
import { KEPT_UNUSED } from "../../stacks/kept-unused";
import { buildReport } from "./authz-report";

const role = "arn:aws:iam::123456789012:role/cdr-local-replicate-user-role";
const policies = [
  {
    name: "cdr-local-replicate-user-least-privilege",
    policy: { Statement: [{ Sid: "UpsertDrUsers", Effect: "Allow", Action: ["cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser"], Resource: ["arn:pool"] }] },
  },
];
const decision = (action: string, allowed = true) => ({
  principal: "p",
  role,
  action,
  resource: "arn:pool",
  allowed,
  statements: allowed ? ["identity:cdr-local-replicate-user-least-privilege#UpsertDrUsers"] : [],
  count: 3,
  first: "",
  last: "",
});

describe("authz report", () => {
  it("counts decisions per role, lists the denials, and fails on a grant nobody used", () => {
    const r = buildReport([{ decisions: [decision("cognito-idp:AdminCreateUser"), decision("cognito-idp:AdminGetUser", false)], roles: [{ roleArn: role, policies }] }]);
    expect(r.roles).toEqual([
      expect.objectContaining({
        role,
        decisions: 6,
        allowed: 3,
        denied: 3,
        denials: [{ action: "cognito-idp:AdminGetUser", resource: "arn:pool", count: 3 }],
        unused: [expect.objectContaining({ action: "cognito-idp:AdminDeleteUser" })],
      }),
    ]);
    expect(r.unexplained).toEqual(["replicate-user-role: cognito-idp:AdminDeleteUser (cdr-local-replicate-user-least-privilege#UpsertDrUsers) was never used"]);
  });

  it("passes when every grant was used, and lists kept entries the suite no longer needs as stale", () => {
    const r = buildReport([{ decisions: [decision("cognito-idp:AdminCreateUser"), decision("cognito-idp:AdminDeleteUser")], roles: [{ roleArn: role, policies }] }]);
    expect(r.unexplained).toEqual([]);
    expect(r.stale).toHaveLength(KEPT_UNUSED.length);
  });

  it("merges a role's documents across sandboxes by Sid: a grant only the second sandbox's document has is still checked", () => {
    const second = [{ name: policies[0]!.name, policy: { Statement: [{ Sid: "NativeOnly", Effect: "Allow", Action: ["cognito-idp:ListUserPoolReplicas"], Resource: ["arn:pool"] }] } }];
    const r = buildReport([
      { decisions: [decision("cognito-idp:AdminCreateUser"), decision("cognito-idp:AdminDeleteUser")], roles: [{ roleArn: role, policies }] },
      { decisions: [], roles: [{ roleArn: role, policies: second }] },
    ]);
    expect(r.unexplained).toEqual(["replicate-user-role: cognito-idp:ListUserPoolReplicas (cdr-local-replicate-user-least-privilege#NativeOnly) was never used"]);
  });
});
