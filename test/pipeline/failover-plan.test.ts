// What a failover may apply to the DR stack, decided from the plan (`terraform show -json`): nothing
// that needs a control plane in another region (IAM, Route 53, ...: us-east-1 for the aws
// partition), and no change to a resource unless the checkout is the commit the DR stack was
// deployed from (what its DR promotion reviewed). Unit tests of the decision; the script's use of it
// is run in failover-script.test.ts.
import { describe, expect, it } from "vitest";
import { changedResources, controlPlaneChanges, failoverRefusal } from "../../scripts/lib/failover-plan";
import type { PlanJson } from "../../scripts/lib/plan-guard";

const change = (address: string, ...actions: string[]) => ({ address, type: address.replace(/^data\./, "").split(".")[0], change: { actions } });
const DEPLOYED = "a".repeat(40);
const HEAD = "b".repeat(40);

describe("failover plan", () => {
  it("lists the resources a plan changes, not no-ops or reads", () => {
    const plan: PlanJson = { resource_changes: [change("aws_lambda_function.replicate", "update"), change("aws_sqs_queue.dlq", "no-op"), change("data.aws_iam_policy_document.p", "read"), change("aws_cognito_user_pool.pool", "delete", "create")] };
    expect(changedResources(plan).map((c) => `${c.action} ${c.address}`)).toEqual(["update aws_lambda_function.replicate", "replace aws_cognito_user_pool.pool"]);
  });

  it("finds the changes that need a control plane outside the DR region (IAM, Route 53, CloudFront, ...)", () => {
    const plan: PlanJson = {
      resource_changes: [
        change("aws_iam_role_policy.replicator", "update"),
        change("aws_route53_health_check.primary", "create"),
        change("aws_route53_record.signin", "update"),
        change("aws_cloudfront_distribution.cdn", "update"),
        change("aws_route53_resolver_rule.r", "update"), // Route 53 Resolver is regional
        change("aws_lambda_function.replicate", "update"),
        change("aws_iam_role.unchanged", "no-op"),
      ],
    };
    expect(controlPlaneChanges(plan).map((c) => c.address)).toEqual(["aws_iam_role_policy.replicator", "aws_route53_health_check.primary", "aws_route53_record.signin", "aws_cloudfront_distribution.cdn"]);
  });

  it("refuses a plan that needs IAM, in one line saying why and what to do, even at the deployed commit", () => {
    const why = failoverRefusal({ resource_changes: [change("aws_iam_role_policy.replicator", "update")] }, { stack: "cdr-prod-dr", commit: DEPLOYED, deployed: DEPLOYED });
    expect(why).toBeDefined();
    expect(why!.split("\n")).toHaveLength(1);
    expect(why).toContain("update aws_iam_role_policy.replicator");
    expect(why).toContain("us-east-1");
    expect(why).toContain("the deploy workflow");
  });

  it("refuses resource changes from a checkout other than the deployed commit, listing them", () => {
    const plan: PlanJson = { resource_changes: [change("aws_lambda_function.replicate", "update"), change("aws_sqs_queue.dlq", "create")] };
    const why = failoverRefusal(plan, { stack: "cdr-prod-dr", commit: HEAD, deployed: DEPLOYED });
    expect(why).toContain(`cdr-prod-dr was deployed from ${DEPLOYED}, this checkout is ${HEAD}`);
    expect(why).toContain("  - update aws_lambda_function.replicate\n  - create aws_sqs_queue.dlq");
    expect(why).toContain(`check out ${DEPLOYED}`);
    expect(failoverRefusal(plan, { stack: "cdr-prod-dr", commit: HEAD, deployed: "unrecorded" })).toContain("was deployed from an unrecorded commit");
  });

  it("applies the deployed commit's plan, and a plan that changes no resource (only outputs) from any commit", () => {
    const plan: PlanJson = { resource_changes: [change("aws_lambda_function.replicate", "update")] };
    expect(failoverRefusal(plan, { stack: "cdr-prod-dr", commit: DEPLOYED, deployed: DEPLOYED })).toBeUndefined();
    expect(failoverRefusal({ resource_changes: [change("aws_sqs_queue.dlq", "no-op")] }, { stack: "cdr-prod-dr", commit: HEAD, deployed: DEPLOYED })).toBeUndefined();
    expect(failoverRefusal({}, { stack: "cdr-prod-dr", commit: HEAD, deployed: undefined })).toBeUndefined();
  });
});
