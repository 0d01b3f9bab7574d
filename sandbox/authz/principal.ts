// Who makes a request, as AWS's authorization sees it.
//
// - admin: the operator's and the tests' own calls (the shared dummy keys). In a
//   real account these are an administrator's credentials; the sandbox does not
//   evaluate them, as it did not before authorization existed.
// - role: a session of an IAM role (a Lambda function's execution role, an event
//   source mapping reading with that role, a schedule's role). Evaluated.
// - service: an AWS service acting with no role of ours (Cognito invoking a
//   trigger, CloudWatch publishing an alarm). Only resource policies can allow it.

export interface AdminPrincipal {
  kind: "admin";
}

export interface RolePrincipal {
  kind: "role";
  accountId: string;
  partition: string;
  /** `arn:aws:iam::<account>:role/<path><name>` */
  roleArn: string;
  roleName: string;
  sessionName: string;
  /** When the session's credentials were issued (CloudTrail's sessionContext.attributes.creationDate). */
  issuedAt?: string;
}

export interface ServicePrincipal {
  kind: "service";
  /** e.g. `cognito-idp.amazonaws.com` */
  service: string;
  /** The resource the service acts for (the user pool, the alarm): `aws:SourceArn`. */
  sourceArn?: string;
  sourceAccount?: string;
}

/** A web identity (a GitHub Actions OIDC token) asking STS for a role: only the trust policy decides. */
export interface FederatedPrincipal {
  kind: "federated";
  /** The IAM OIDC provider's ARN: `arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`. */
  provider: string;
  /** The token's subject (`repo:<owner>/<repo>:environment:<name>`). */
  subject: string;
}

export type Principal = AdminPrincipal | RolePrincipal | ServicePrincipal | FederatedPrincipal;

export const ADMIN: AdminPrincipal = { kind: "admin" };

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/** A session of `roleArn`; throws on anything that is not a role ARN. */
export function roleSession(roleArn: string, sessionName: string): RolePrincipal {
  const m = ROLE_ARN.exec(roleArn);
  if (!m) throw new Error(`not an IAM role ARN: ${roleArn}`);
  return { kind: "role", partition: m[1]!, accountId: m[2]!, roleArn, roleName: m[3]!, sessionName };
}

/** The ARN AWS reports for the caller: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
export function callerArn(p: RolePrincipal): string {
  return `arn:${p.partition}:sts::${p.accountId}:assumed-role/${p.roleName}/${p.sessionName}`;
}

/**
 * The role's unique id as AWS shows it (`AROA...`), derived from its name: moto's role ids are not
 * read here, and a stable id per role is all `aws:userid` and CloudTrail's `principalId` need.
 */
export function roleUniqueId(p: Pick<RolePrincipal, "roleName">): string {
  return `AROA${p.roleName.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 17)}`;
}

/** One line naming the principal, as decisions and error messages show it. */
export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case "admin":
      return "admin";
    case "role":
      return callerArn(p);
    case "service":
      return p.service;
    case "federated":
      return `${p.provider} (${p.subject})`;
  }
}
