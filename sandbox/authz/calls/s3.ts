// S3 as terraform's state backend and a trail's bucket use it (path-style requests: `/<bucket>`
// and `/<bucket>/<key>`), each request to the action the Amazon S3 API Reference names for it ("Policy actions by Amazon S3
// API operations"): ListObjects(V2) and HeadBucket are s3:ListBucket on the bucket with `s3:prefix`
// the request's prefix; GetObject and HeadObject s3:GetObject; PutObject (the state, and the lock
// file `<key>.tflock` written with If-None-Match) s3:PutObject; DeleteObject s3:DeleteObject.
// Terraform's S3 backend documentation, "Permissions Required", lists exactly these for a state
// with `use_lockfile`.

import { bucketKeyChecks } from "../implied-kms";
import type { CallMapper } from "./common";

/**
 * Bucket sub-resources (`?versioning`, `?policy`, ...) and the IAM action of a GET, PUT and DELETE of
 * each (S3 User Guide, "Policy actions by Amazon S3 API operations": e.g. PutBucketEncryption is
 * s3:PutEncryptionConfiguration, PutBucketLifecycleConfiguration s3:PutLifecycleConfiguration, and
 * the Delete* of encryption, lifecycle, tagging, CORS, replication, ownership controls and the
 * public access block are authorized by the matching Put* action). These are the calls terraform
 * makes for a bucket (aws_s3_bucket reads every one of its settings; the trail's bucket sets its
 * policy, encryption, lifecycle, versioning, public access block and tags).
 */
const BUCKET_SUBRESOURCES: Record<string, { GET?: string; PUT?: string; DELETE?: string }> = {
  versioning: { GET: "GetBucketVersioning", PUT: "PutBucketVersioning" },
  policy: { GET: "GetBucketPolicy", PUT: "PutBucketPolicy", DELETE: "DeleteBucketPolicy" },
  policyStatus: { GET: "GetBucketPolicyStatus" },
  encryption: { GET: "GetEncryptionConfiguration", PUT: "PutEncryptionConfiguration", DELETE: "PutEncryptionConfiguration" },
  lifecycle: { GET: "GetLifecycleConfiguration", PUT: "PutLifecycleConfiguration", DELETE: "PutLifecycleConfiguration" },
  tagging: { GET: "GetBucketTagging", PUT: "PutBucketTagging", DELETE: "PutBucketTagging" },
  acl: { GET: "GetBucketAcl", PUT: "PutBucketAcl" },
  // The REST API's query is `?publicAccessBlock` (API Reference, GetPublicAccessBlock).
  publicAccessBlock: { GET: "GetBucketPublicAccessBlock", PUT: "PutBucketPublicAccessBlock", DELETE: "PutBucketPublicAccessBlock" },
  location: { GET: "GetBucketLocation" },
  cors: { GET: "GetBucketCORS", PUT: "PutBucketCORS", DELETE: "PutBucketCORS" },
  website: { GET: "GetBucketWebsite", PUT: "PutBucketWebsite", DELETE: "DeleteBucketWebsite" },
  accelerate: { GET: "GetAccelerateConfiguration", PUT: "PutAccelerateConfiguration" },
  requestPayment: { GET: "GetBucketRequestPayment", PUT: "PutBucketRequestPayment" },
  logging: { GET: "GetBucketLogging", PUT: "PutBucketLogging" },
  replication: { GET: "GetReplicationConfiguration", PUT: "PutReplicationConfiguration", DELETE: "PutReplicationConfiguration" },
  "object-lock": { GET: "GetBucketObjectLockConfiguration", PUT: "PutBucketObjectLockConfiguration" },
  ownershipControls: { GET: "GetBucketOwnershipControls", PUT: "PutBucketOwnershipControls", DELETE: "PutBucketOwnershipControls" },
  notification: { GET: "GetBucketNotification", PUT: "PutBucketNotification" },
  versions: { GET: "ListBucketVersions" },
};

/** DeleteObjects (`POST /<bucket>?delete`): s3:DeleteObject on each key, s3:DeleteObjectVersion for a version (S3 API reference, DeleteObjects). */
function deleteObjects(bucket: string, body: string): Array<{ action: string; resource: string }> {
  const out: Array<{ action: string; resource: string }> = [];
  for (const m of body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1];
    if (key === undefined) continue;
    out.push({ action: /<VersionId>/.test(m[1]!) ? "s3:DeleteObjectVersion" : "s3:DeleteObject", resource: `${bucket}/${key}` });
  }
  return out;
}

export const s3: CallMapper = async (c) => {
  const { req } = c;
  const parts = req.path.split("/").filter(Boolean);
  if (parts.length === 0) return [{ action: "s3:ListAllMyBuckets", resource: "*" }];
  const p = c.caller.partition;
  const bucket = `arn:${p}:s3:::${parts[0]}`;
  const context = { "s3:ResourceAccount": c.caller.accountId };
  if (parts.length === 1) {
    if (req.method === "POST" && req.query.has("delete")) return deleteObjects(bucket, req.body.toString("utf8")).map((c) => ({ ...c, context }));
    const sub = Object.keys(BUCKET_SUBRESOURCES).find((k) => req.query.has(k));
    if (sub) {
      const action = BUCKET_SUBRESOURCES[sub]![(req.method === "HEAD" ? "GET" : req.method) as "GET" | "PUT" | "DELETE"];
      return action ? [{ action: `s3:${action}`, resource: bucket, context }] : undefined;
    }
    if (req.method === "PUT") return [{ action: "s3:CreateBucket", resource: bucket, context }];
    if (req.method === "DELETE") return [{ action: "s3:DeleteBucket", resource: bucket, context }];
    if (req.method === "GET" || req.method === "HEAD") {
      const prefix = req.query.get("prefix");
      return [{ action: "s3:ListBucket", resource: bucket, context: { ...context, ...(prefix !== null ? { "s3:prefix": prefix } : {}) } }];
    }
    return undefined;
  }
  const object = `${bucket}/${parts.slice(1).map(decodeURIComponent).join("/")}`;
  const copySource = req.headers["x-amz-copy-source"];
  // An object of a bucket encrypted with SSE-KMS: reading its content needs kms:Decrypt, writing it kms:GenerateDataKey (implied-kms.ts).
  const keyChecks = (write: boolean, impliedBy: string) => bucketKeyChecks(c.store, bucket, object, write, req.region, c.caller.accountId, impliedBy);
  switch (req.method) {
    case "GET":
      return [{ action: "s3:GetObject", resource: object, context }, ...(await keyChecks(false, "s3:GetObject"))];
    case "HEAD":
      return [{ action: "s3:GetObject", resource: object, context }];
    case "PUT":
      return [
        { action: "s3:PutObject", resource: object, context },
        ...(await keyChecks(true, "s3:PutObject")),
        ...(copySource ? [{ action: "s3:GetObject", resource: `arn:${p}:s3:::${decodeURIComponent(copySource.replace(/^\//, ""))}`, impliedBy: "s3:PutObject" }] : []),
      ];
    case "DELETE":
      return [{ action: "s3:DeleteObject", resource: object, context }];
    default:
      return undefined;
  }
};
