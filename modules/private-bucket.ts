// A private S3 bucket, the way every bucket of the stacks is made: public access blocked, bucket
// owner enforced (no ACLs), encrypted at rest by default, a lifecycle rule, and a bucket policy that
// (unless told otherwise) refuses every request not made over TLS (S3 User Guide, "Security best practices for Amazon S3":
// "Enforce encryption of data in transit", the `aws:SecureTransport` deny) plus what the caller adds.
// A function that adds the resources to `scope` under fixed ids (not a construct of its own), so
// the trail's bucket kept its terraform addresses when it moved here.
//
// SSE-KMS with a customer managed key (`kmsKeyArn`): S3 calls KMS as the caller, so a writer needs
// kms:GenerateDataKey and a reader kms:Decrypt on the key (S3 User Guide, "Using server-side
// encryption with AWS KMS keys (SSE-KMS)", "Permissions"). The S3 Bucket Key cuts those KMS calls
// (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import type { Construct } from "constructs";

export interface PrivateBucketProps {
  /** Globally unique. */
  bucket: string;
  /** Objects under `prefix` ("" = all) expire after `days`. */
  expire: { id: string; prefix: string; days: number };
  /** SSE-KMS with this key; S3-managed keys (SSE-S3) otherwise. */
  kmsKeyArn?: string;
  /** Let terraform empty the bucket to destroy it (environments torn down with their data). */
  forceDestroy: boolean;
  /** `prevent_destroy` (prod). */
  protect?: boolean;
  /** Statements added to the bucket policy beside the TLS-only deny; `arn` is the bucket's ARN. */
  statements?: (arn: string) => object[];
  /**
   * Deny every request not made over TLS (default true). The trail's bucket keeps the policy it was
   * deployed with until that change is made on its own.
   */
  tlsOnly?: boolean;
  /** The construct id of the policy (kept from before this module existed). */
  policyId?: string;
}

export interface PrivateBucket {
  bucket: S3Bucket;
  policy: S3BucketPolicy;
}

export function privateBucket(scope: Construct, props: PrivateBucketProps): PrivateBucket {
  const bucket = new S3Bucket(scope, "bucket", { bucket: props.bucket, forceDestroy: props.forceDestroy, lifecycle: props.protect ? { preventDestroy: true } : undefined });
  new S3BucketPublicAccessBlock(scope, "private", { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  new S3BucketOwnershipControls(scope, "owner", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
  new S3BucketServerSideEncryptionConfigurationA(scope, "encrypted", {
    bucket: bucket.id,
    rule: [props.kmsKeyArn ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true } : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new S3BucketLifecycleConfiguration(scope, "retention", {
    bucket: bucket.id,
    rule: [{ id: props.expire.id, status: "Enabled", filter: [{ prefix: props.expire.prefix }], expiration: [{ days: props.expire.days }] }],
  });
  const tlsOnly = { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucket.arn, `${bucket.arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } };
  const policy = new S3BucketPolicy(scope, props.policyId ?? "policy", {
    bucket: bucket.id,
    policy: JSON.stringify({ Version: "2012-10-17", Statement: [...(props.statements?.(bucket.arn) ?? []), ...(props.tlsOnly === false ? [] : [tlsOnly])] }),
  });
  return { bucket, policy };
}
