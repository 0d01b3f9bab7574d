// Each service's own answers for an injected fault: its internal (5xx) error, its throttling
// error (Cognito's over-quota answer included), and an outage's 503.

import { awsError } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";

type Answer = { status: number; code: string; message: string };

/** Per signing name; `*` for any other service. */
const INTERNAL: Record<string, Answer> = {
  "cognito-idp": { status: 500, code: "InternalErrorException", message: "Internal error" },
  dynamodb: { status: 500, code: "InternalServerError", message: "Internal server error" },
  sqs: { status: 500, code: "InternalError", message: "We encountered an internal error. Please try again." },
  lambda: { status: 500, code: "ServiceException", message: "Internal service error" },
  "*": { status: 500, code: "InternalFailure", message: "Internal failure" },
};

const THROTTLED: Record<string, Answer> = {
  "cognito-idp": { status: 400, code: "TooManyRequestsException", message: "Too many requests" },
  dynamodb: { status: 400, code: "ThrottlingException", message: "Rate of requests exceeds the allowed throughput." },
  lambda: { status: 429, code: "TooManyRequestsException", message: "Rate exceeded" },
  "*": { status: 400, code: "ThrottlingException", message: "Rate exceeded" },
};

function answer(table: Record<string, Answer>, req: AwsRequest): AwsResponse {
  const a = table[req.service] ?? table["*"]!;
  return awsError(req, a.status, a.code, a.message);
}

export function internalError(req: AwsRequest): AwsResponse {
  return answer(INTERNAL, req);
}

export function throttled(req: AwsRequest): AwsResponse {
  return answer(THROTTLED, req);
}

export function unavailable(req: AwsRequest): AwsResponse {
  return awsError(req, 503, "ServiceUnavailable", `Service unavailable (sandbox outage: ${req.service} in ${req.region})`);
}
