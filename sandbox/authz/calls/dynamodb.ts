// DynamoDB's control plane as a role session calls it (terraform creating the global table), with
// what DynamoDB checks beyond the call itself. The call's own action on the table (DescribeTable,
// UpdateTimeToLive, ...) is mapped by requests.ts; this adds:
// - a customer managed key (CreateTable/UpdateTable SSESpecification, a replica's KMSMasterKeyId):
//   DynamoDB uses the key "on behalf of the principal" who chose it, with kms:DescribeKey and
//   kms:CreateGrant made with the caller's credentials through DynamoDB (KMS developer guide, "How
//   Amazon DynamoDB uses AWS KMS": key policy example with `kms:ViaService` dynamodb.*, and the
//   CloudTrail CreateGrant example whose principal "is the user who created the table");
// - a replica (UpdateTable ReplicaUpdates, global tables 2019.11.21): dynamodb:CreateTable and
//   dynamodb:CreateTableReplica in the replica's region to add one, DeleteTable and
//   DeleteTableReplica there to remove one (DynamoDB developer guide, "DynamoDB global tables
//   security": "you must have the following permissions in the destination regions"), and
//   iam:CreateServiceLinkedRole for replication.dynamodb.amazonaws.com while the account has no
//   AWSServiceRoleForDynamoDBReplication yet (the same page's "Add replica" example policy grants it;
//   DynamoDB "automatically creates" the role with the first global table).
// The item-level actions the same page also lists for the destination (Scan, Query, PutItem, ...)
// are not in its own example policy; whether AWS enforces them is not documented, and the sandbox
// does not (sandbox/README.md).

import type { Check } from "../requests";
import { serviceLinkedRoleCheck, SERVICE_LINKED_ROLES } from "./iam";
import { arnOf, params, requestTagContext, tagMap, viaService, type CallContext, type CallMapper } from "./common";

const REPLICATION = "replication.dynamodb.amazonaws.com";

/** kms:DescribeKey and kms:CreateGrant on a table key, as the caller through DynamoDB in `region`. */
async function tableKeyUse(c: CallContext, keyRef: string, region: string, impliedBy: string): Promise<Check[]> {
  const key = await c.store.keyArn(region, keyRef);
  const context = { ...viaService("dynamodb", region, c.caller.accountId), "aws:RequestedRegion": region };
  return [
    { action: "kms:DescribeKey", resource: key, resourcePolicy: "kms-key", impliedBy, context },
    { action: "kms:CreateGrant", resource: key, resourcePolicy: "kms-key", impliedBy, context: { ...context, "kms:GrantIsForAWSResource": "true" } },
  ];
}

function customerKey(sse: unknown): string | undefined {
  const s = sse as { Enabled?: boolean; SSEType?: string; KMSMasterKeyId?: string } | undefined;
  return s?.Enabled !== false && s?.SSEType === "KMS" && s.KMSMasterKeyId ? s.KMSMasterKeyId : undefined;
}

export const dynamodbControl: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  if ((c.req.headers["x-amz-target"] ?? "").startsWith("DynamoDBStreams")) return undefined;
  const p = params(c.req);
  const name = String(p.TableName ?? "");
  const table = name.startsWith("arn:") ? name : arnOf(c, "dynamodb", `table/${name}`);
  const action = `dynamodb:${op}`;
  if (op === "CreateTable") {
    const checks: Check[] = [{ action, resource: table, context: requestTagContext(tagMap(p.Tags)) }];
    const key = customerKey(p.SSESpecification);
    if (key) checks.push(...(await tableKeyUse(c, key, c.req.region, action)));
    return checks;
  }
  if (op === "TagResource" || op === "UntagResource") {
    return [{ action, resource: String(p.ResourceArn), context: op === "TagResource" ? requestTagContext(tagMap(p.Tags)) : { "aws:TagKeys": (p.TagKeys ?? []) as string[] } }];
  }
  if (op !== "UpdateTable") return undefined;
  const checks: Check[] = [{ action, resource: table }];
  const key = customerKey(p.SSESpecification);
  if (key) checks.push(...(await tableKeyUse(c, key, c.req.region, action)));
  const tableName = table.split("/").pop()!;
  for (const u of (p.ReplicaUpdates ?? []) as Array<{ Create?: { RegionName: string; KMSMasterKeyId?: string }; Delete?: { RegionName: string } }>) {
    const region = u.Create?.RegionName ?? u.Delete?.RegionName;
    if (!region) continue;
    const replica = arnOf(c, "dynamodb", `table/${tableName}`, region);
    const there = { "aws:RequestedRegion": region };
    const actions = u.Create ? ["CreateTable", "CreateTableReplica"] : ["DeleteTable", "DeleteTableReplica"];
    for (const a of actions) checks.push({ action: `dynamodb:${a}`, resource: replica, impliedBy: action, context: there });
    if (u.Create?.KMSMasterKeyId) checks.push(...(await tableKeyUse(c, u.Create.KMSMasterKeyId, region, action)));
    if (u.Create && !(await c.store.serviceLinkedRoleExists(REPLICATION))) checks.push(serviceLinkedRoleCheck(c, REPLICATION, SERVICE_LINKED_ROLES[REPLICATION]!, action));
  }
  return checks;
};
