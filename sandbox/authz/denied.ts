// The answer AWS gives a denied call, per service, so that the handlers' error
// classification sees in the sandbox what it would see in AWS. AWS documents the
// message format (IAM User Guide, "Troubleshoot access denied error messages");
// the wire shapes below are what AWS's services answer as observed and reported
// (DynamoDB developer guide "Error handling" for the 400 + __type shape; the
// community reports cited in each case for the rest).

import { randomUUID } from "node:crypto";
import { awsError } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";

function jsonError(status: number, type: string, message: string, contentType: string, extra: Record<string, string> = {}): AwsResponse {
  const code = type.includes("#") ? type.slice(type.indexOf("#") + 1) : type;
  return {
    status,
    headers: { "content-type": contentType, "x-amzn-errortype": code, "x-amzn-requestid": randomUUID(), ...extra },
    // DynamoDB and SQS use `Message`, Cognito and KMS `message`; the SDK reads both.
    body: Buffer.from(JSON.stringify({ __type: type, Message: message, message })),
  };
}

/** The call itself was denied (`message` from `deniedMessage`). */
export function accessDenied(req: AwsRequest, message: string): AwsResponse {
  switch (req.service) {
    case "dynamodb":
      // HTTP 400, `com.amazon.coral.service#AccessDeniedException` (observed; dynalite emulates the same).
      return jsonError(400, "com.amazon.coral.service#AccessDeniedException", message, "application/x-amz-json-1.0");
    case "sqs":
      // JSON protocol with the query-compatible error header (SQS developer guide, "JSON API responses").
      return jsonError(403, "com.amazon.coral.service#AccessDeniedException", message, "application/x-amz-json-1.0", {
        "x-amzn-query-error": "AccessDenied;Sender",
      });
    case "lambda":
      return {
        status: 403,
        headers: { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException", "x-amzn-requestid": randomUUID() },
        body: Buffer.from(JSON.stringify({ Type: "User", Message: message, message })),
      };
    case "sns":
      return awsError(req, 403, "AuthorizationError", message);
    case "iam":
    case "sts":
    case "monitoring":
    case "route53":
      // Query-protocol (and Route 53's REST-XML) services: HTTP 403, code AccessDenied.
      return awsError(req, 403, "AccessDenied", message);
    case "s3": {
      // S3's REST error document (Amazon S3 API Reference, "Error responses"): 403 AccessDenied.
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
      return { status: 403, headers: { "content-type": "application/xml" }, body: Buffer.from(xml) };
    }
    case "scheduler":
      return {
        status: 403,
        headers: { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException", "x-amzn-requestid": randomUUID() },
        body: Buffer.from(JSON.stringify({ Message: message })),
      };
    default:
      // Cognito user pools, KMS and CloudWatch Logs: 400 AccessDeniedException.
      return jsonError(400, "AccessDeniedException", message, "application/x-amz-json-1.1");
  }
}

/**
 * A KMS permission the call implies was denied. DynamoDB answers 400 AccessDeniedException with the
 * KMS error inside (observed: aws/aws-cdk#10010, #18616); SQS `KmsAccessDenied` and SNS
 * `KMSAccessDenied` (their API references' error lists).
 */
export function kmsDenied(req: AwsRequest, kmsMessage: string): AwsResponse {
  const inner = `${kmsMessage} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: ${randomUUID()})`;
  switch (req.service) {
    case "dynamodb":
      return jsonError(400, "com.amazon.coral.service#AccessDeniedException", `KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: ${inner}`, "application/x-amz-json-1.0");
    case "sqs":
      return jsonError(400, "com.amazonaws.sqs#KmsAccessDenied", `The caller doesn't have the required KMS access. ${inner}`, "application/x-amz-json-1.0", {
        "x-amzn-query-error": "KMS.AccessDeniedException;Sender",
      });
    case "sns":
      return awsError(req, 400, "KMSAccessDenied", `The ciphertext references a key that doesn't exist or that you don't have access to. ${inner}`);
    case "s3": {
      // S3 answers a refused SSE-KMS data key with its own 403 AccessDenied carrying KMS's message
      // (assumed: the S3 API Reference documents no separate code; sandbox/README.md): callers see
      // an access error, as for a missing s3: grant.
      const escaped = kmsMessage.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escaped}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
      return { status: 403, headers: { "content-type": "application/xml" }, body: Buffer.from(xml) };
    }
    default:
      return jsonError(400, "AccessDeniedException", inner, "application/x-amz-json-1.1");
  }
}

/** A call the sandbox cannot map to IAM actions yet: a clear, non-retryable error naming it. */
export function unmapped(req: AwsRequest, what: string): AwsResponse {
  return awsError(
    req,
    400,
    "SandboxAuthorizationUnsupported",
    `The sandbox cannot authorize ${what} for a role session yet; map it in sandbox/authz/requests.ts (or run the sandbox with authorization off).`,
  );
}
