// What a reviewed plan may not do without a named override, read from `terraform show -json`.
import { describe, expect, it } from "vitest";
import { destructiveChanges, planCounts, unapproved, type PlanJson } from "../../scripts/lib/plan-guard";

const plan: PlanJson = {
  resource_changes: [
    { address: "aws_cognito_user_pool.pool", type: "aws_cognito_user_pool", change: { actions: ["delete", "create"] } },
    { address: "aws_dynamodb_table.users", type: "aws_dynamodb_table", change: { actions: ["delete"] } },
    { address: "aws_kms_key.table", type: "aws_kms_key", change: { actions: ["create", "delete"] } },
    { address: "aws_kms_replica_key.table", type: "aws_kms_replica_key", change: { actions: ["update"] } },
    { address: "aws_lambda_function.replicate", type: "aws_lambda_function", change: { actions: ["delete", "create"] } },
    { address: "aws_sqs_queue.dlq", type: "aws_sqs_queue", change: { actions: ["delete"] } },
    { address: "aws_iam_role.r", type: "aws_iam_role", change: { actions: ["create"] } },
    { address: "data.aws_region.here", type: "aws_region", change: { actions: ["read"] } },
    { address: "aws_sns_topic.alarms", type: "aws_sns_topic", change: { actions: ["no-op"] } },
  ],
};

describe("plan guard", () => {
  it("finds deletes and replaces (either order) of pools, the table and keys, and nothing else", () => {
    expect(destructiveChanges(plan)).toEqual([
      { address: "aws_cognito_user_pool.pool", type: "aws_cognito_user_pool", kind: "replace" },
      { address: "aws_dynamodb_table.users", type: "aws_dynamodb_table", kind: "delete" },
      { address: "aws_kms_key.table", type: "aws_kms_key", kind: "replace" },
    ]);
    expect(destructiveChanges({})).toEqual([]);
  });

  it("counts what the plan does for the reviewer's summary", () => {
    expect(planCounts(plan)).toEqual({ create: 1, update: 1, delete: 2, replace: 3 });
  });

  it("lets through only the addresses named one by one (no wildcard, spaces tolerated)", () => {
    const found = destructiveChanges(plan);
    expect(unapproved(found, undefined).length).toBe(3);
    expect(unapproved(found, "").length).toBe(3);
    expect(unapproved(found, "*").length).toBe(3);
    expect(unapproved(found, "aws_cognito_user_pool.pool, aws_kms_key.table").map((d) => d.address)).toEqual(["aws_dynamodb_table.users"]);
    expect(unapproved(found, "aws_cognito_user_pool.pool,aws_dynamodb_table.users,aws_kms_key.table")).toEqual([]);
  });
});
