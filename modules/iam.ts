// Small helpers for IAM policy documents. Policies are built as plain objects and
// serialised once, so tests can walk every statement of every stack.

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: Statement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export function allow(actions: string[], resources: string[], sid?: string, condition?: Statement["Condition"]): Statement {
  return { ...(sid ? { Sid: sid } : {}), Effect: "Allow", Action: actions, Resource: resources, ...(condition ? { Condition: condition } : {}) };
}

/**
 * Use of a table's customer managed key through DynamoDB, for a role that reads or writes the
 * table's items or its stream. DynamoDB decrypts the table key with the caller's own credentials
 * (DynamoDB developer guide, encryption.usagenotes.html: "When you first access an encrypted table,
 * DynamoDB sends a request to AWS KMS to use the KMS key to decrypt the table key", and its
 * CloudTrail example records that Decrypt as "the principal ... who is accessing the table"), so
 * the role needs kms:Decrypt on the key, and only through DynamoDB in that region. GenerateDataKey
 * is DynamoDB's own (under its grant), not the caller's. Stream readers get the same grant: AWS
 * does not say whether GetRecords checks it, and the AWS CDK grants it (aws/aws-cdk#22796).
 */
export function useTableKey(keyArn: string, region: string, sid = "UseTableKeyThroughDynamoDB"): Statement {
  return allow(["kms:Decrypt"], [keyArn], sid, { StringEquals: { "kms:ViaService": `dynamodb.${region}.amazonaws.com` } });
}

/**
 * A bucket's SSE-KMS key, through S3 only: writing an object needs kms:GenerateDataKey, reading it
 * kms:Decrypt, both asked by S3 as the caller (S3 User Guide, "Using server-side encryption with AWS
 * KMS keys (SSE-KMS)": "To upload an object encrypted with an AWS KMS key to Amazon S3, you need
 * kms:GenerateDataKey permissions on the key. To download an object encrypted with an AWS KMS key,
 * you need kms:Decrypt permissions").
 */
export function useBucketKey(keyArn: string, region: string, sid = "UseBucketKeyThroughS3"): Statement {
  return allow(["kms:GenerateDataKey", "kms:Decrypt"], [keyArn], sid, { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } });
}

/** A trust policy letting `service` assume the role, on `condition` when given (the confused-deputy keys). */
export function assumeRolePolicy(service: string, condition?: Statement["Condition"]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole"], ...(condition ? { Condition: condition } : {}) }],
  });
}
