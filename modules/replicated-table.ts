// The shared data plane, owned by the primary stack: a KMS multi-Region key with
// its replica in the DR region, and the DynamoDB table with its DR replica
// encrypted by that replica key. The DR stack finds both by name (alias, table).
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { TABLE_KEY, TTL_ATTRIBUTE } from "../handlers/contract";

export interface ReplicatedTableProps {
  tableName: string;
  kmsAlias: string;
  drRegion: string;
  drProvider: AwsProvider;
  deletionProtection: boolean;
  /** `arn:<partition>:iam::<account>:root`, for key administration only. */
  accountRootArn: string;
  accountId: string;
}

// Spelled out: wildcards such as kms:Get* would also grant actions added later.
export const KEY_ADMIN_ACTIONS = [
  "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListResourceTags",
  "kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
  "kms:EnableKey", "kms:DisableKey", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RevokeGrant",
  "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
  "kms:ReplicateKey", "kms:UpdatePrimaryRegion",
];
const TABLE_ENCRYPTION_ACTIONS = [
  "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey", "kms:CreateGrant",
];

/**
 * Administrators manage the key but cannot use it directly. Data use goes through
 * DynamoDB (the table and its stream) and, for the scheduled reconcile's pass state in the DR
 * region, S3 (SSE-KMS: S3 asks KMS for data keys as the caller, so the key policy must allow it,
 * not only the role's policy; `useBucketKey`). The account delegates to IAM, and a role
 * may use the key only when its own policy allows it too (`useTableKey` / `useBucketKey` in
 * modules/iam.ts). Nobody decrypts with it directly.
 */
export function keyPolicy(accountRootArn: string, accountId: string): string {
  const root = { AWS: accountRootArn };
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "KeyAdministration", Effect: "Allow", Principal: root, Action: KEY_ADMIN_ACTIONS, Resource: "*" },
      {
        Sid: "TableEncryptionThroughDynamoDB",
        Effect: "Allow",
        Principal: root,
        Action: TABLE_ENCRYPTION_ACTIONS,
        Resource: "*",
        Condition: {
          StringLike: { "kms:ViaService": "dynamodb.*.amazonaws.com" },
          StringEquals: { "kms:CallerAccount": accountId },
        },
      },
      {
        Sid: "ReconcileStateThroughS3",
        Effect: "Allow",
        Principal: root,
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringLike: { "kms:ViaService": "s3.*.amazonaws.com" },
          StringEquals: { "kms:CallerAccount": accountId },
        },
      },
    ],
  });
}

export class ReplicatedTable extends Construct {
  // With deletion protection (prod), terraform also refuses to destroy the table and both keys
  // (lifecycle.prevent_destroy). hashicorp/aws 5.100.0 cannot set deletion protection on a replica:
  // the replica lives in the table resource's `replica` block, so prevent_destroy on the table is
  // what stops `terraform destroy` from removing it (see the README for what else protects it).
  readonly table: DynamodbTable;
  readonly key: KmsKey;
  readonly replicaKey: KmsReplicaKey;

  constructor(scope: Construct, id: string, props: ReplicatedTableProps) {
    super(scope, id);
    const policy = keyPolicy(props.accountRootArn, props.accountId);
    const protect = props.deletionProtection ? { preventDestroy: true } : undefined;
    // One description for the primary and its replica: they are one key material.
    const description = `Encrypts ${props.tableName} and its replicas (multi-Region key)`;
    this.key = new KmsKey(this, "key", {
      description,
      multiRegion: true,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy,
      lifecycle: protect,
    });
    new KmsAlias(this, "alias", { name: props.kmsAlias, targetKeyId: this.key.keyId });
    this.replicaKey = new KmsReplicaKey(this, "replica-key", {
      provider: props.drProvider,
      description,
      primaryKeyArn: this.key.arn,
      deletionWindowInDays: 30,
      policy,
      lifecycle: protect,
    });
    new KmsAlias(this, "replica-alias", { provider: props.drProvider, name: props.kmsAlias, targetKeyId: this.replicaKey.keyId });

    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: TABLE_KEY,
      attribute: [{ name: TABLE_KEY, type: "S" }],
      streamEnabled: true,
      streamViewType: "NEW_AND_OLD_IMAGES",
      ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: this.key.arn },
      deletionProtectionEnabled: props.deletionProtection,
      lifecycle: protect,
      replica: [
        { regionName: props.drRegion, kmsKeyArn: this.replicaKey.arn, pointInTimeRecovery: true, propagateTags: true },
      ],
    });
  }
}
