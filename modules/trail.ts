// A minimal CloudTrail trail, for environments that have none logging management events in the
// primary region: EventBridge receives "AWS API Call via CloudTrail" events only while a trail
// with logging exists (EventBridge User Guide, "Events from AWS services": "you must have a trail
// ... to receive them"), and change capture depends on them.
//
// - One region, management events, write-only: Cognito's user changes are write events, and the
//   first copy of management events in a region is free of CloudTrail charges (CloudTrail pricing);
//   what costs is the S3 storage of the log files, bounded by the lifecycle below.
// - Its own bucket (modules/private-bucket.ts): private (public access blocked, bucket owner
//   enforced), encrypted at rest with S3-managed keys (a customer managed key would also need a key policy for CloudTrail), and the
//   bucket policy CloudTrail requires, limited to this trail by aws:SourceArn (CloudTrail User
//   Guide, "Amazon S3 bucket policy for CloudTrail"): without it CreateTrail fails with
//   InsufficientS3BucketPolicyException.
import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { Construct } from "constructs";
import type { Account } from "./account";
import { privateBucket } from "./private-bucket";

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
    const forThisTrail = { StringEquals: { "aws:SourceArn": trailArn } };
    const { bucket, policy } = privateBucket(this, {
      bucket: `${props.name}-${acct.id}-${props.region}`,
      forceDestroy: !props.protect,
      protect: props.protect,
      expire: { id: "expire-log-files", prefix: "", days: props.retentionDays },
      policyId: "cloudtrail-writes",
      tlsOnly: false,
      statements: (arn) => [
        { Sid: "CloudTrailAclCheck", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: arn, Condition: forThisTrail },
        {
          Sid: "CloudTrailWrite",
          Effect: "Allow",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${arn}/AWSLogs/${acct.id}/*`,
          Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
        },
      ],
    });
    this.bucket = bucket;
    this.trail = new Cloudtrail(this, "trail", {
      name: props.name,
      s3BucketName: bucket.id,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      enableLogging: true,
      eventSelector: [{ readWriteType: "WriteOnly", includeManagementEvents: true }],
      dependsOn: [policy],
    });
  }
}
