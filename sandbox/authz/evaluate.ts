// AWS's policy evaluation for one request, by @cloud-copilot/iam-simulate (chosen as the
// issue asked: it implements identity and resource policies, permissions boundaries, every
// condition operator, same- and cross-account logic and KMS's rule that a key policy must
// allow; about 0.4-0.8 ms per evaluation here). This file only turns its analysis into the
// decision the gateway logs and the denial AWS would answer.
//
// AGPL-3.0: used by the sandbox and tests only, never bundled into Lambda code.

import { createValidatedPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { getDenialReasons, getGrantReasons, runSimulation, runUnsafeSimulation, type RequestDenial, type RequestGrant } from "@cloud-copilot/iam-simulate";
import type { NamedPolicy } from "./policies";
import { describePrincipal, type Principal } from "./principal";
import { resolveEncryptionContext } from "./encryption-context";
import { FULL_AWS_ACCESS } from "./scps";

export interface AuthzRequest {
  principal: Principal;
  /** `service:Action`, e.g. `dynamodb:PutItem`. */
  action: string;
  /** The resource ARN, or `*` for actions without a resource type. */
  resource: string;
  /** Account that owns the resource. */
  resourceAccount: string;
  context: Record<string, string | string[]>;
}

export interface PolicySet {
  identity: NamedPolicy[];
  boundary?: NamedPolicy;
  resource?: unknown;
  /** The organization's SCPs that limit this principal (FullAWSAccess is added: see scps.ts). */
  scps?: NamedPolicy[];
}

/** Which policy type decided, in the words AWS uses in its messages. */
export type PolicyType = "identity-based policy" | "resource-based policy" | "permissions boundary" | "service control policy";

export interface Decision {
  allowed: boolean;
  /** The statements that granted (when allowed) or the explicit denies (when denied): `identity:<policy>#<sid>` / `resource#<sid>`. */
  statements: string[];
  /** For a denial: explicit (a Deny statement) or implicit (no Allow), and which policy type. */
  denial?: { explicit: boolean; policyType: PolicyType };
  /** Set when the simulator refused the input (an invalid policy, an unknown action). */
  error?: string;
}

function principalId(p: Principal): string {
  switch (p.kind) {
    case "role":
      return `arn:${p.partition}:sts::${p.accountId}:assumed-role/${p.roleName}/${p.sessionName}`;
    case "service":
      return p.service;
    case "federated":
      return p.provider;
    case "admin":
      throw new Error("the administrator is not evaluated");
  }
}

function label(r: RequestGrant | RequestDenial): string {
  const where = r.policyType === "resource" ? "resource" : `${r.policyType}:${"policyIdentifier" in r ? r.policyIdentifier : ("identifier" in r ? r.identifier : "")}`;
  const sid = "statementId" in r && r.statementId ? r.statementId : "statementIndex" in r ? `#${r.statementIndex}` : "";
  return sid ? `${where}#${sid.replace(/^#/, "")}` : where;
}

const POLICY_TYPE: Record<string, PolicyType> = { identity: "identity-based policy", resource: "resource-based policy", pb: "permissions boundary", scp: "service control policy" };

export async function evaluate(req: AuthzRequest, given: PolicySet): Promise<Decision> {
  // Encryption-context conditions, which the simulator drops, decided first (encryption-context.ts).
  const ec = <T>(p: T) => resolveEncryptionContext(p, req.context);
  const policies: PolicySet = {
    ...given,
    identity: given.identity.map((p) => ({ ...p, policy: ec(p.policy) })),
    boundary: given.boundary && { ...given.boundary, policy: ec(given.boundary.policy) },
    resource: ec(given.resource),
  };
  const result = await runSimulation(
    {
      request: {
        principal: principalId(req.principal),
        action: req.action,
        resource: { resource: req.resource, accountId: req.resourceAccount },
        contextVariables: req.context,
      },
      identityPolicies: policies.identity.map((p) => ({ name: p.name, policy: p.policy })),
      permissionBoundaryPolicies: policies.boundary ? [policies.boundary] : undefined,
      // One level, the account: FullAWSAccess and the team's documents (scps.ts says why).
      serviceControlPolicies: policies.scps?.length ? [{ orgIdentifier: "sandbox-account", policies: [FULL_AWS_ACCESS, ...policies.scps] }] : [],
      resourceControlPolicies: [],
      resourcePolicy: policies.resource,
    },
    {},
  );
  if (result.resultType === "error") {
    return { allowed: false, statements: [], error: `${describePrincipal(req.principal)} ${req.action} on ${req.resource}: ${result.errors.message}` };
  }
  const analysis = result.resultType === "single" ? result.result.analysis : result.results[0]?.analysis;
  if (result.overallResult === "Allowed" || !analysis) {
    return { allowed: result.overallResult === "Allowed", statements: analysis ? getGrantReasons(analysis).map(label) : [] };
  }
  const reasons = getDenialReasons(analysis);
  const explicit = reasons.find((r) => r.denialType === "Explicit");
  // A service principal has no identity policies: only a resource policy could have allowed it.
  const first = explicit ?? (req.principal.kind === "service" ? { policyType: "resource" } : reasons.find((r) => r.policyType === "resource") ?? reasons[0]);
  return {
    allowed: false,
    statements: reasons.filter((r) => r.denialType === "Explicit").map(label),
    denial: { explicit: !!explicit, policyType: POLICY_TYPE[first?.policyType ?? "identity"] ?? "identity-based policy" },
  };
}

/**
 * A role's trust policy for a web identity. The identity provider's claims are condition keys of
 * their own (`token.actions.githubusercontent.com:sub`, `:aud`: IAM User Guide, "Available keys for
 * AWS web identity federation"), which the simulator's action catalogue does not list for
 * sts:AssumeRoleWithWebIdentity and would drop; so this one evaluation runs with the context as
 * given. The policy itself was accepted by IAM when the role was created.
 */
export function evaluateTrust(req: AuthzRequest, trust: unknown): Decision {
  const result = runUnsafeSimulation(
    {
      request: { principal: principalId(req.principal), action: req.action, resource: { resource: req.resource, accountId: req.resourceAccount }, contextVariables: req.context },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // Handed over validated, with a name: the unchecked path loads a plain resource policy without one.
      resourcePolicy: createValidatedPolicy(trust, validateTrustPolicy, { name: "trust" }),
    },
    {},
  );
  return { allowed: result === "Allowed", statements: [], denial: result === "Allowed" ? undefined : { explicit: result === "ExplicitlyDenied", policyType: "resource-based policy" } };
}

/** AWS's access denied message (IAM User Guide, "Troubleshoot access denied error messages"). */
export function deniedMessage(req: AuthzRequest, d: Decision): string {
  const who = req.principal.kind === "service" ? req.principal.service : describePrincipal(req.principal);
  const on = req.resource === "*" ? "" : ` on resource: ${req.resource}`;
  const why = d.denial?.explicit
    ? `with an explicit deny in ${d.denial.policyType.startsWith("identity") ? "an" : "a"} ${d.denial.policyType}`
    : `because no ${d.denial?.policyType ?? "identity-based policy"} allows the ${req.action} action`;
  return `User: ${who} is not authorized to perform: ${req.action}${on} ${why}`;
}
