// The IAM policy an operator (or a CI role) needs to run the operator tools against one
// environment, built from the same names the stacks use. `npm run operator-policy -- --env prod`
// prints it; the end-to-end suite runs reconcile, drift and redrive with exactly this policy in the
// enforced sandbox, and the static rules check its actions and resource types against AWS's catalogue.
//
// Pool ids are generated at deploy time, so pools are granted by region (`userpool/*` of the account
// in that region); the table, its stream, the queues and the functions by name; the table keys by
// alias and only through DynamoDB (what DynamoDB needs of a caller: kms:Decrypt, see useTableKey).
import { UPSERT_COGNITO_ACTIONS } from "../../handlers/contract";
import { replicationMode } from "./replication-mode";
import type { Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Array<{ Sid: string; Effect: "Allow"; Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, string | string[]>> }>;
}

/** What the tools read in both pools: pools by name, users, groups, app clients (drift). */
export const OPERATOR_POOL_READ_ACTIONS = [
  "cognito-idp:DescribeUserPool",
  "cognito-idp:ListUsers",
  "cognito-idp:ListGroups",
  "cognito-idp:ListUsersInGroup",
  "cognito-idp:ListUserPoolClients",
  "cognito-idp:DescribeUserPoolClient",
  "cognito-idp:AdminGetUser",
  "cognito-idp:AdminListGroupsForUser",
];

export function operatorPolicy(env: Pick<Environment, "prefix" | "name" | "primaryRegion" | "drRegion"> & Partial<Pick<Environment, "replication">>, account: { id: string; partition?: string }): PolicyDocument {
  const n = names(env);
  const p = account.partition ?? "aws";
  const arn = (service: string, region: string, resource: string) => `arn:${p}:${service}:${region}:${account.id}:${resource}`;
  const regions = [env.primaryRegion, env.drRegion];
  const pools = (region: string) => arn("cognito-idp", region, "userpool/*");
  const table = (region: string) => arn("dynamodb", region, `table/${n.table}`);
  // reconcile --apply and backfill --direct repair through the replicator's own upsert; reconcile
  // --allow-delete deletes extra DR users with AdminDeleteUser (part of the upsert's list); backfill
  // writes records in the primary region; redrive reads and rewrites them in the DR replica.
  const customEngine: PolicyDocument["Statement"] = [
    { Sid: "RepairDrPool", Effect: "Allow", Action: [...UPSERT_COGNITO_ACTIONS], Resource: [pools(env.drRegion)] },
    // Two-way: reconcile --apply copies missing_in_primary users to the primary pool with the same upsert (D12).
    ...(env.replication && replicationMode({ replication: env.replication }) === "two-way"
      ? [{ Sid: "RepairPrimaryPool", Effect: "Allow" as const, Action: [...UPSERT_COGNITO_ACTIONS], Resource: [pools(env.primaryRegion)] }]
      : []),
    { Sid: "ReadAndWriteRecords", Effect: "Allow", Action: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"], Resource: regions.map(table) },
    { Sid: "ReadParkedBatchesFromTheStream", Effect: "Allow", Action: ["dynamodb:GetShardIterator", "dynamodb:GetRecords"], Resource: [`${table(env.drRegion)}/stream/*`] },
    {
      Sid: "UseTableKeysThroughDynamoDB",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: regions.map((r) => arn("kms", r, "key/*")),
      Condition: {
        StringEquals: { "kms:ViaService": regions.map((r) => `dynamodb.${r}.amazonaws.com`) },
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": n.kmsAlias },
      },
    },
    {
      Sid: "RedriveParkedRecords",
      Effect: "Allow",
      Action: ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
      Resource: [arn("sqs", env.drRegion, n.replicatorDlq)],
    },
  ];
  // Native mode: no table, queue or repair (backfill, reconcile and redrive refuse it); drift asks
  // for the replica and the pool's key (scripts/lib/native-replica/drift.ts).
  const nativeEngine: PolicyDocument["Statement"] = [
    { Sid: "NativeReplicaStatus", Effect: "Allow", Action: ["cognito-idp:ListUserPoolReplicas"], Resource: [pools(env.primaryRegion)] },
    {
      Sid: "NativePoolKey",
      Effect: "Allow",
      Action: ["kms:DescribeKey"],
      Resource: [arn("kms", env.primaryRegion, "key/*")],
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": n.poolKeyAlias } },
    },
  ];
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "FindPoolsByName", Effect: "Allow", Action: ["cognito-idp:ListUserPools"], Resource: ["*"] },
      { Sid: "ReadBothPools", Effect: "Allow", Action: OPERATOR_POOL_READ_ACTIONS, Resource: regions.map(pools) },
      ...(env.replication?.engine === "native" ? nativeEngine : customEngine),
      { Sid: "CompareTriggerCode", Effect: "Allow", Action: ["lambda:GetFunction"], Resource: regions.map((r) => arn("lambda", r, `function:${env.prefix}-*`)) },
    ],
  };
}
