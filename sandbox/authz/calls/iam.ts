// IAM's control plane as a role session calls it (terraform managing the stacks' roles), and the
// IAM permissions other services check on the caller: iam:PassRole when a role is handed to a
// service, iam:CreateServiceLinkedRole when a service creates its service-linked role.
//
// - Actions and resources: Service Authorization Reference, "Actions defined by AWS Identity and
//   Access Management": role operations on `arn:aws:iam::<account>:role/<path><name>`, policy
//   operations on `...:policy/<path><name>`, CreateServiceLinkedRole on the role it creates.
// - `iam:PermissionsBoundary` (IAM User Guide, "IAM condition context keys"; "Permissions boundaries
//   for IAM entities", the delegation example): for CreateRole and PutRolePermissionsBoundary it is
//   the boundary in the request; for the role-policy operations (Put/Delete/Attach/DetachRolePolicy)
//   and DeleteRolePermissionsBoundary it is the role's existing boundary; absent when there is none.
// - Tags on CreateRole need iam:TagRole too (observed AWS behaviour, openshift/installer#1073: "not
//   authorized to perform: iam:TagRole" from CreateRole with tags); the IAM guide's "Tagging IAM
//   roles" lists iam:TagRole for tagging a role at creation.

import type { Check } from "../requests";
import { globalArn, memberList, params, requestTagContext, tagMap, type CallContext, type CallMapper } from "./common";

const ROLE_OPS = new Set([
  "GetRole", "ListRolePolicies", "GetRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "ListAttachedRolePolicies", "AttachRolePolicy",
  "DetachRolePolicy", "ListInstanceProfilesForRole", "DeleteRole", "UpdateAssumeRolePolicy", "TagRole", "UntagRole", "ListRoleTags",
  "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary", "UpdateRole", "UpdateRoleDescription",
]);
/** Operations whose `iam:PermissionsBoundary` is the role's current boundary. */
const EXISTING_BOUNDARY = new Set(["PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "DeleteRolePermissionsBoundary", "GetRole"]);
const POLICY_OPS = new Set(["GetPolicy", "GetPolicyVersion", "ListPolicyVersions", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicy", "ListEntitiesForPolicy", "TagPolicy", "UntagPolicy"]);

function rolePath(path: unknown): string {
  const p = typeof path === "string" && path ? path : "/";
  return p.endsWith("/") ? p : `${p}/`;
}

export const iam: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  if (op === "CreateRole") {
    const arn = globalArn(c, "iam", `role${rolePath(p.Path)}${p.RoleName}`);
    const tags = tagMap(memberList(p, "Tags"));
    const context = { ...requestTagContext(tags), ...(p.PermissionsBoundary ? { "iam:PermissionsBoundary": String(p.PermissionsBoundary) } : {}) };
    const checks: Check[] = [{ action: "iam:CreateRole", resource: arn, context }];
    if (Object.keys(tags).length) checks.push({ action: "iam:TagRole", resource: arn, context: requestTagContext(tags), impliedBy: "iam:CreateRole" });
    return checks;
  }
  if (ROLE_OPS.has(op)) {
    const name = String(p.RoleName ?? "");
    const role = await c.store.role(name);
    const arn = role?.arn ?? globalArn(c, "iam", `role/${name}`);
    const context: Record<string, string | string[]> = {};
    if (op === "PutRolePermissionsBoundary") context["iam:PermissionsBoundary"] = String(p.PermissionsBoundary);
    else if (EXISTING_BOUNDARY.has(op) && role?.boundary) context["iam:PermissionsBoundary"] = role.boundary;
    if (op === "AttachRolePolicy" || op === "DetachRolePolicy") context["iam:PolicyARN"] = String(p.PolicyArn);
    if (op === "TagRole") Object.assign(context, requestTagContext(tagMap(memberList(p, "Tags"))));
    return [{ action: `iam:${op}`, resource: arn, context }];
  }
  if (op === "CreatePolicy") return [{ action: "iam:CreatePolicy", resource: globalArn(c, "iam", `policy${rolePath(p.Path)}${p.PolicyName}`) }];
  if (POLICY_OPS.has(op)) return [{ action: `iam:${op}`, resource: String(p.PolicyArn) }];
  if (op === "CreateServiceLinkedRole") return [serviceLinkedRoleCheck(c, String(p.AWSServiceName), SERVICE_LINKED_ROLES[String(p.AWSServiceName)] ?? "AWSServiceRole", "iam:CreateServiceLinkedRole")];
  if (op === "ListRoles" || op === "ListPolicies") return [{ action: `iam:${op}`, resource: "*" }];
  return undefined;
};

/**
 * iam:PassRole, checked by the service a role is handed to (IAM User Guide, "Grant a user
 * permissions to pass a role to an AWS service"): on the role, with `iam:PassedToService` the
 * service principal it goes to.
 */
export function passRole(roleArn: string, toService: string, impliedBy: string, associated?: string): Check {
  return {
    action: "iam:PassRole",
    resource: roleArn,
    impliedBy,
    context: { "iam:PassedToService": toService, ...(associated ? { "iam:AssociatedResourceArn": associated } : {}), "aws:RequestedRegion": "us-east-1" },
  };
}

/** The service-linked roles the stacks' services create, by service principal. */
export const SERVICE_LINKED_ROLES: Record<string, string> = {
  // DynamoDB developer guide, "DynamoDB global tables security": created with the first global table.
  "replication.dynamodb.amazonaws.com": "AWSServiceRoleForDynamoDBReplication",
  // KMS developer guide, "Controlling access to multi-Region keys": created (again) with every multi-Region primary key.
  "mrk.kms.amazonaws.com": "AWSServiceRoleForKeyManagementServiceMultiRegionKeys",
};

/**
 * iam:CreateServiceLinkedRole for the role a service creates on the caller's behalf (IAM User
 * Guide, "Service-linked role permissions": the caller needs it, conditioned on
 * `iam:AWSServiceName`), on `role/aws-service-role/<service>/<role name>`.
 */
export function serviceLinkedRoleCheck(c: CallContext, service: string, roleName: string, impliedBy: string): Check {
  return {
    action: "iam:CreateServiceLinkedRole",
    resource: globalArn(c, "iam", `role/aws-service-role/${service}/${roleName}`),
    impliedBy: impliedBy === "iam:CreateServiceLinkedRole" ? undefined : impliedBy,
    context: { "iam:AWSServiceName": service, "aws:RequestedRegion": "us-east-1" },
  };
}
