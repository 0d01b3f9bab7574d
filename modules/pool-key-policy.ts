// The key policy of a user pool's customer managed key (native replication needs one, multi-Region,
// with a replica in the DR Region; each Region's key gets this policy with that Region's pool ARN:
// the secondary shares the pool id). From the Cognito developer guide, "Data protection"
// (data-protection.html#data-encryption): Cognito's service principals use the key for this pool
// only (aws:SourceArn, aws:SourceAccount and the encryption context naming the pool), and callers of
// Cognito in this account through Cognito in this Region (kms:ViaService; kms:CallerAccount added here
// so the wildcard principal stays inside the account). Administrators manage the key and cannot use it.
import { KEY_ADMIN_ACTIONS } from "./replicated-table";

const COGNITO_PRINCIPALS = ["cognito-idp.amazonaws.com", "identitystore.amazonaws.com"];
const ENCRYPTION_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"];

export interface PoolKeyPolicyOptions {
  /** `arn:<partition>:iam::<account>:root`, for key administration only. */
  accountRootArn: string;
  accountId: string;
  /** The pool's ARN in this key's Region. */
  poolArn: string;
  region: string;
}

export function poolKeyPolicy(o: PoolKeyPolicyOptions): string {
  const forThisPool = { ArnEquals: { "aws:SourceArn": o.poolArn }, StringEquals: { "aws:SourceAccount": o.accountId } };
  const throughCognito = { "kms:ViaService": `cognito-idp.${o.region}.amazonaws.com`, "kms:CallerAccount": o.accountId };
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "KeyAdministration", Effect: "Allow", Principal: { AWS: o.accountRootArn }, Action: KEY_ADMIN_ACTIONS, Resource: "*" },
      {
        Sid: "CognitoEncryptsThisPool",
        Effect: "Allow",
        Principal: { Service: COGNITO_PRINCIPALS },
        Action: ENCRYPTION_ACTIONS,
        Resource: "*",
        Condition: { ...forThisPool, StringLike: { "kms:EncryptionContext:aws:cognito-idp:userpool-arn": o.poolArn } },
      },
      { Sid: "CognitoDescribesTheKey", Effect: "Allow", Principal: { Service: COGNITO_PRINCIPALS }, Action: "kms:DescribeKey", Resource: "*", Condition: forThisPool },
      { Sid: "CallersDescribeThroughCognito", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:DescribeKey", Resource: "*", Condition: { StringEquals: throughCognito } },
      {
        Sid: "CallersUseThroughCognito",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ENCRYPTION_ACTIONS,
        Resource: "*",
        Condition: { StringEquals: throughCognito, StringLike: { "kms:EncryptionContext:aws:cognito-idp:userpool-arn": o.poolArn } },
      },
    ],
  });
}
