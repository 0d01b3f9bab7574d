// What a break-glass failover may apply to the DR stack, read from its plan (`terraform show
// -json`). The failover's approvers approve switching sign-in, not a change to the stack: the
// stack's changes were reviewed when it was promoted (the <env>-dr approval) from the commit it
// records as `deployed_commit`. So:
// - a change that needs a control plane outside the DR region is refused, whatever the commit:
//   IAM's, Organizations' and Route 53's control planes are in us-east-1 (Route 53 ARC's and Global
//   Accelerator's in us-west-2), and AWS advises not to rely on them in a recovery path (AWS Fault
//   Isolation Boundaries, "Global services" and Appendix A:
//   https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html);
//   if that region is the one down, the apply fails half-way before sign-in is switched;
// - a change to any resource is refused unless the checkout is the deployed commit: from another
//   commit it is a change nobody reviewed for DR (one not yet promoted, or one whose promotion was
//   rejected). Output-only changes (the deployed_commit output itself) touch no resource.
import type { PlanJson } from "./plan-guard";

/**
 * Resource types whose API is a global service's control plane (aws partition). Route 53 Resolver
 * (aws_route53_resolver_*) is regional and is not among them.
 */
const CONTROL_PLANE = /^aws_(iam|organizations|account|route53(?!_resolver)|route53recovery\w*|cloudfront|globalaccelerator|shield|networkmanager)_/;

export interface ResourceChange {
  address: string;
  type: string;
  /** create, update, delete or replace. */
  action: string;
}

/** The resources a plan changes (no-ops and data source reads left out). */
export function changedResources(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => !rc.change.actions.every((a) => a === "no-op" || a === "read"))
    .map((rc) => {
      const a = rc.change.actions;
      return { address: rc.address, type: rc.type, action: a.includes("delete") && a.includes("create") ? "replace" : (a.find((x) => x !== "no-op" && x !== "read") ?? a[0]) };
    });
}

/** The changes that need a control plane outside the DR region. */
export function controlPlaneChanges(plan: PlanJson): ResourceChange[] {
  return changedResources(plan).filter((c) => CONTROL_PLANE.test(c.type));
}

/**
 * Why the failover must not apply this plan of the DR stack (undefined: it may). `deployed` is the
 * stack's deployed_commit output, `commit` the checkout's.
 */
export function failoverRefusal(plan: PlanJson, opts: { stack: string; commit: string; deployed: string | undefined }): string | undefined {
  const recorded = opts.deployed && opts.deployed !== "unrecorded" ? opts.deployed : undefined;
  const global = controlPlaneChanges(plan);
  if (global.length > 0) {
    return (
      `the DR plan would ${global.map((c) => `${c.action} ${c.address}`).join(", ")}, which needs a control plane in another region (IAM, Route 53: us-east-1), ` +
      `possibly the one that is down; nothing applied, sign-in not switched. Fail over from the commit ${opts.stack} was deployed from${recorded ? ` (${recorded})` : ""} ` +
      `(the failover workflow checks it out) and make this change through the deploy workflow once both regions are up.`
    );
  }
  const changes = changedResources(plan);
  if (changes.length === 0 || opts.deployed === opts.commit) return undefined;
  return (
    `${opts.stack} was deployed from ${recorded ?? "an unrecorded commit"}, this checkout is ${opts.commit}, and the plan would change what the DR promotion did not review:\n` +
    changes.map((c) => `  - ${c.action} ${c.address}`).join("\n") +
    `\nNothing applied, sign-in not switched: check out ${recorded ?? "the commit the DR stack was deployed from"} and fail over from there ` +
    `(the failover workflow does), or promote these changes through the deploy workflow.`
  );
}
