// Lambda's REST-JSON answers: `application/json` with a request id, errors as Lambda sends them
// (`x-amzn-errortype` plus `{Type, Message}`), and the header lookup its routes need.

import { randomUUID } from "node:crypto";
import { jsonResponse } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";

export function lambdaJson(status: number, body: unknown, headers: Record<string, string> = {}): AwsResponse {
  return jsonResponse(status, body, { "content-type": "application/json", "x-amzn-requestid": randomUUID(), ...headers });
}

export function lambdaError(status: number, code: string, message: string): AwsResponse {
  return lambdaJson(status, { Type: status >= 500 ? "Service" : "User", Message: message, message }, { "x-amzn-errortype": code });
}

/** An empty answer (204 or 202) with a request id. */
export function emptyAnswer(status: number, requestId: string = randomUUID()): AwsResponse {
  return { status, headers: { "x-amzn-requestid": requestId }, body: Buffer.alloc(0) };
}

/** A request header, whatever its case. */
export function header(req: AwsRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
