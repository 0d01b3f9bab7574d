// AWS managed keys (`alias/aws/<service>`) have a fixed key policy nobody can edit. moto does not
// model them, so the sandbox uses the policy AWS documents: every principal of the account may use
// the key, but only through that service (kms:CallerAccount + kms:ViaService). A service principal
// such as cloudwatch.amazonaws.com is no principal of the account, so it is never allowed: the
// reason CloudWatch alarms cannot publish to a topic encrypted with aws/sns (re:Post, "How do I
// configure a CloudWatch alarm with an encrypted SNS topic?": "The default AWS KMS key policy for
// Amazon SNS doesn't allow CloudWatch alarms to make kms:Decrypt and kms:GenerateDataKey API calls.
// You can't manually edit the policies of AWS managed keys.").

const ALIAS = /^(?:arn:[^:]+:kms:[^:]+:\d{12}:)?alias\/aws\/([a-z0-9-]+)$/;
const STAND_IN = /:key\/aws-managed-([a-z0-9-]+)$/;

/** The service of an AWS managed key (`sns` for `alias/aws/sns` or its stand-in ARN), or undefined. */
export function managedKeyService(ref: string): string | undefined {
  return ALIAS.exec(ref)?.[1] ?? STAND_IN.exec(ref)?.[1];
}

/** A key ARN standing in for `alias/aws/<service>` (moto has no AWS managed keys), or `ref` itself. */
export function keyArnFor(ref: string, region: string, account: string): string {
  const service = ALIAS.exec(ref)?.[1];
  if (service) return `arn:aws:kms:${region}:${account}:key/aws-managed-${service}`;
  if (ref.startsWith("arn:")) return ref;
  return `arn:aws:kms:${region}:${account}:${ref.startsWith("alias/") ? ref : `key/${ref}`}`;
}

/** The documented key policy of `alias/aws/<service>` (DynamoDB developer guide shows the aws/dynamodb one). */
export function managedKeyPolicy(service: string, region: string, account: string): unknown {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: `Allow access through ${service} for all principals in the account that are authorized to use ${service}`,
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": account, "kms:ViaService": `${service}.${region}.amazonaws.com` } },
      },
      {
        Sid: "Allow direct access to key metadata to the account",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
        Resource: "*",
      },
    ],
  };
}
