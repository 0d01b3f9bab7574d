// S3 as terraform's state backend uses it (path-style requests: `/<bucket>` and `/<bucket>/<key>`),
// each request to the action the Amazon S3 API Reference names for it ("Policy actions by Amazon S3
// API operations"): ListObjects(V2) and HeadBucket are s3:ListBucket on the bucket with `s3:prefix`
// the request's prefix; GetObject and HeadObject s3:GetObject; PutObject (the state, and the lock
// file `<key>.tflock` written with If-None-Match) s3:PutObject; DeleteObject s3:DeleteObject.
// Terraform's S3 backend documentation, "Permissions Required", lists exactly these for a state
// with `use_lockfile`.

import type { CallMapper } from "./common";

/** Sub-resources that change which action a bucket request is (`?versioning`, `?policy`, ...). */
const BUCKET_SUBRESOURCES: Record<string, string> = {
  versioning: "Versioning",
  policy: "Policy",
  encryption: "EncryptionConfiguration",
  tagging: "Tagging",
  acl: "Acl",
  "public-access-block": "PublicAccessBlock",
  location: "Location",
};

export const s3: CallMapper = async (c) => {
  const { req } = c;
  const parts = req.path.split("/").filter(Boolean);
  if (parts.length === 0) return [{ action: "s3:ListAllMyBuckets", resource: "*" }];
  const p = c.caller.partition;
  const bucket = `arn:${p}:s3:::${parts[0]}`;
  const context = { "s3:ResourceAccount": c.caller.accountId };
  if (parts.length === 1) {
    const sub = Object.keys(BUCKET_SUBRESOURCES).find((k) => req.query.has(k));
    if (sub) {
      const verb = req.method === "GET" ? "Get" : req.method === "DELETE" ? "Delete" : "Put";
      return [{ action: `s3:${verb}Bucket${BUCKET_SUBRESOURCES[sub]}`, resource: bucket, context }];
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
  switch (req.method) {
    case "GET":
    case "HEAD":
      return [{ action: "s3:GetObject", resource: object, context }];
    case "PUT":
      return [
        { action: "s3:PutObject", resource: object, context },
        ...(copySource ? [{ action: "s3:GetObject", resource: `arn:${p}:s3:::${decodeURIComponent(copySource.replace(/^\//, ""))}`, impliedBy: "s3:PutObject" }] : []),
      ];
    case "DELETE":
      return [{ action: "s3:DeleteObject", resource: object, context }];
    default:
      return undefined;
  }
};
