// A minimal CloudTrail trail, for environments that have none logging management events in the
// primary region: EventBridge receives "AWS API Call via CloudTrail" events only while a trail
// with logging exists (EventBridge User Guide, "Events from AWS services": "you must have a trail
// ... to receive them"), and change capture depends on them.
//
// - One region, management events, write-only: Cognito's user changes are write events, and the
//   first copy of management events in a region is free of CloudTrail charges (CloudTrail pricing);
//   what costs is the S3 storage of the log files, bounded by the lifecycle below.
// - Its own bucket: private (public access blocked, bucket owner enforced), encrypted at rest with
//   S3-managed keys (a customer managed key would also need a key policy for CloudTrail), and the
//   bucket policy CloudTrail requires, limited to this trail by aws:SourceArn (CloudTrail User
//   Guide, "Amazon S3 bucket policy for CloudTrail"): without it CreateTrail fails with
//   InsufficientS3BucketPolicyException.
import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { Construct } from "constructs";
import type { Account } from "./account";

export interface ManagementTrailProps {
  /** The trail's name; its bucket is `<name>-<account>-<region>` (bucket names are global). */
  name: string;
  region: string;
  account: Account;
  /** Days the log files are kept. */
  retentionDays: number;
  /** `prevent_destroy` on the bucket (prod). */
  protect?: boolean;
}

export class ManagementTrail extends Construct {
  readonly trail: Cloudtrail;
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ManagementTrailProps) {
    super(scope, id);
    const { account: acct } = props;
    const trailArn = `arn:${acct.partition}:cloudtrail:${props.region}:${acct.id}:trail/${props.name}`;
    this.bucket = new S3Bucket(this, "bucket", { bucket: `${props.name}-${acct.id}-${props.region}`, forceDestroy: !props.protect, lifecycle: props.protect ? { preventDestroy: true } : undefined });
    new S3BucketPublicAccessBlock(this, "private", { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "owner", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encrypted", { bucket: this.bucket.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    new S3BucketLifecycleConfiguration(this, "retention", {
      bucket: this.bucket.id,
      rule: [{ id: "expire-log-files", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ days: props.retentionDays }] }],
    });
    const forThisTrail = { StringEquals: { "aws:SourceArn": trailArn } };
    const policy = new S3BucketPolicy(this, "cloudtrail-writes", {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "CloudTrailAclCheck", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: this.bucket.arn, Condition: forThisTrail },
          {
            Sid: "CloudTrailWrite",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${this.bucket.arn}/AWSLogs/${acct.id}/*`,
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
          },
        ],
      }),
    });
    this.trail = new Cloudtrail(this, "trail", {
      name: props.name,
      s3BucketName: this.bucket.id,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      enableLogging: true,
      eventSelector: [{ readWriteType: "WriteOnly", includeManagementEvents: true }],
      dependsOn: [policy],
    });
  }
}
