// CloudTrail's own check of a trail's bucket, which moto skips (it only checks that the bucket
// exists): CreateTrail and UpdateTrail fail with InsufficientS3BucketPolicyException ("This
// exception is thrown when the policy on the S3 bucket is not sufficient", CloudTrail API
// reference) unless the bucket policy lets cloudtrail.amazonaws.com
// - s3:GetBucketAcl on the bucket, and
// - s3:PutObject on `<bucket>/[<prefix>/]AWSLogs/<account>/*` with `s3:x-amz-acl`
//   `bucket-owner-full-control`,
// with `aws:SourceArn` the trail's ARN and `aws:SourceAccount` the account (CloudTrail user guide,
// "Amazon S3 bucket policy for CloudTrail", create-s3-bucket-policy-for-cloudtrail.html, whose
// policy scopes both statements to the trail with aws:SourceArn). A terraform config that creates
// the trail before its bucket policy, or with a policy for the wrong prefix, fails here as on AWS.
// *Assumed*: the message is the one AWS answers in practice, "Incorrect S3 bucket policy is
// detected for bucket: <bucket>"; the KMS key of an encrypted trail is not checked.

import { fakeSigV4, httpCall } from "../aws";
import type { Authority } from "../types";

export const CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com";

async function bucketPolicy(motoEndpoint: string, region: string, bucket: string): Promise<unknown> {
  const res = await httpCall(motoEndpoint, "GET", `/${encodeURIComponent(bucket)}?policy`, { authorization: fakeSigV4({ region, service: "s3" }) }, Buffer.alloc(0), { timeoutMs: 10_000 });
  if (res.status >= 300) return undefined;
  try {
    return JSON.parse(res.body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** Undefined when CloudTrail may write to the bucket, else AWS's message. */
export async function bucketPolicyProblem(
  o: { motoEndpoint: string; authority: Authority },
  t: { region: string; account: string; trailArn: string; bucket: string; prefix?: string },
): Promise<string | undefined> {
  const refused = `Incorrect S3 bucket policy is detected for bucket: ${t.bucket}`;
  // No policy at all is refused by the same checks (a service principal needs a resource policy);
  // with the sandbox's authorization off, nothing is checked.
  const policy = (await bucketPolicy(o.motoEndpoint, t.region, t.bucket)) ?? { Version: "2012-10-17", Statement: [] };
  const source = { arn: t.trailArn, account: t.account };
  const prefix = t.prefix ? `${t.prefix.replace(/^\/+|\/+$/g, "")}/` : "";
  // A log file as CloudTrail names it: AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<file>.
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
  const object = `arn:aws:s3:::${t.bucket}/${prefix}AWSLogs/${t.account}/CloudTrail/${t.region}/${day}/${t.account}_CloudTrail_${t.region}_sandbox.json.gz`;
  const checks = [
    { action: "s3:GetBucketAcl", resource: `arn:aws:s3:::${t.bucket}` },
    { action: "s3:PutObject", resource: object, context: { "s3:x-amz-acl": "bucket-owner-full-control" } },
  ];
  for (const c of checks) {
    const r = await o.authority.serviceMay(CLOUDTRAIL_PRINCIPAL, source, { ...c, resourcePolicyDocument: policy });
    if (!r.allowed) return refused;
  }
  return undefined;
}
