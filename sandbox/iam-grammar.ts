// IAM's policy grammar, which moto checks only in part: a role's trust policy must not name a
// Resource ("MalformedPolicyDocument: Has prohibited field Resource", what IAM answers CreateRole
// and UpdateAssumeRolePolicy), and every statement of an identity policy (an inline role policy, a
// managed policy such as a permissions boundary) needs a Resource or NotResource (IAM User Guide,
// "IAM JSON policy elements: Resource": "Statements must include either a Resource or a
// NotResource element"). The documents are checked with @cloud-copilot/iam-policy's validators,
// whatever the caller (IAM validates an administrator's documents too).

import { validateIdentityPolicy, validateTrustPolicy, type ValidationError } from "@cloud-copilot/iam-policy";
import { awsError } from "./aws";
import type { SandboxPlugin } from "./gateway";
import type { AwsRequest, AwsResponse, Next } from "./types";

/** The document parameter of each IAM operation that takes one, and which grammar applies. */
const DOCUMENTS: Record<string, { param: string; kind: "trust" | "identity" }> = {
  CreateRole: { param: "AssumeRolePolicyDocument", kind: "trust" },
  UpdateAssumeRolePolicy: { param: "PolicyDocument", kind: "trust" },
  PutRolePolicy: { param: "PolicyDocument", kind: "identity" },
  PutUserPolicy: { param: "PolicyDocument", kind: "identity" },
  PutGroupPolicy: { param: "PolicyDocument", kind: "identity" },
  CreatePolicy: { param: "PolicyDocument", kind: "identity" },
  CreatePolicyVersion: { param: "PolicyDocument", kind: "identity" },
};

/** IAM's wording where it is known; the validator's otherwise. */
function iamMessage(e: ValidationError): string {
  if (/Resource is not allowed in a trust policy/.test(e.message)) return "Has prohibited field Resource";
  if (/NotResource is not allowed in a trust policy/.test(e.message)) return "Has prohibited field NotResource";
  return `${e.message} (${e.path})`;
}

/** What is wrong with a policy document of `kind`, in IAM's words, or undefined. */
export function policyGrammarProblem(document: string, kind: "trust" | "identity"): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(document);
  } catch {
    return "Syntax errors in policy.";
  }
  const errors = kind === "trust" ? validateTrustPolicy(doc) : validateIdentityPolicy(doc);
  return errors.length ? iamMessage(errors[0]!) : undefined;
}

export class IamGrammarPlugin implements SandboxPlugin {
  readonly name = "iam-grammar";

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const spec = req.service === "iam" ? DOCUMENTS[req.operation ?? ""] : undefined;
    if (spec) {
      const form = new URLSearchParams(req.body.toString("utf8"));
      const document = form.get(spec.param) ?? req.query.get(spec.param);
      const problem = document === null ? undefined : policyGrammarProblem(document, spec.kind);
      if (problem) return awsError(req, 400, "MalformedPolicyDocument", problem);
    }
    return next(req);
  }
}
