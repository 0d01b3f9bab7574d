// An organization's service control policies (SCPs), optional: a team points the sandbox at its
// own SCPs (`SANDBOX_SCP_FILE`, or `startSandbox({ serviceControlPolicies })`) to see the stacks
// run under them, e.g. a region deny. Organizations User Guide, "Service control policies (SCPs)"
// (orgs_manage_policies_scps.html):
// - an SCP never grants; every level of the organization must allow the action, and AWS attaches
//   FullAWSAccess to the root, every OU and every account when SCPs are enabled. The sandbox's
//   account is one member account with FullAWSAccess plus the file's documents (a deny-list
//   strategy); an organization that detaches FullAWSAccess (allow-list) is not modelled.
// - "SCPs don't affect users or roles in the management account": the sandbox's account is taken
//   to be a member account (assumed: the stacks are not deployed in a management account).
// - "SCPs do not affect any service-linked role": roles under `/aws-service-role/` are exempt.
// - SCPs limit principals of the account; AWS services acting as themselves (Cognito invoking a
//   trigger, Scheduler assuming a role) are not such principals and are not evaluated against them.

import { readFileSync } from "node:fs";
import type { NamedPolicy } from "./policies";
import type { Principal } from "./principal";

/** AWS's default SCP (Organizations User Guide, "FullAWSAccess"). */
export const FULL_AWS_ACCESS: NamedPolicy = {
  name: "FullAWSAccess",
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
};

/**
 * SCP documents from a file's JSON: one policy document, an array of them, or an array of
 * `{name, policy}`. Throws with the file's name on anything else, so a typo never runs silently
 * without the team's SCPs.
 */
export function parseServiceControlPolicies(json: unknown, source = "service control policies"): NamedPolicy[] {
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) throw new Error(`${source}: no SCP documents`);
  return items.map((item, i) => {
    const named = item && typeof item === "object" && "policy" in item ? (item as { name?: unknown; policy: unknown }) : undefined;
    const policy = named ? named.policy : item;
    if (!policy || typeof policy !== "object" || !("Statement" in policy)) throw new Error(`${source}: item ${i + 1} is not a policy document (no Statement)`);
    return { name: named && typeof named.name === "string" ? named.name : `scp-${i + 1}`, policy };
  });
}

/** Reads `path` (JSON) as SCP documents. */
export function loadServiceControlPolicies(path: string): NamedPolicy[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`SANDBOX_SCP_FILE ${path}: ${(e as Error).message}`);
  }
  return parseServiceControlPolicies(json, path);
}

/** Whether the organization's SCPs limit this principal: a role session, unless of a service-linked role. */
export function scpsApplyTo(p: Principal): boolean {
  return p.kind === "role" && !p.roleArn.includes(":role/aws-service-role/");
}
