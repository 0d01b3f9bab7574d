/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Small helpers shared by the gateway and its plugins: building AWS-shaped responses and
// calling moto directly (internal calls that bypass the plugin chain, quotas and faults).

import { Agent, request } from "node:http";
import type { AwsRequest, AwsResponse } from "./types";

/** JSON-protocol target prefixes and content types per signing name. */
export const JSON_TARGETS: Record<string, { prefix: string; contentType: string }> = {
  dynamodb: { prefix: "DynamoDB_20120810", contentType: "application/x-amz-json-1.0" },
  streams: { prefix: "DynamoDBStreams_20120810", contentType: "application/x-amz-json-1.0" },
  "cognito-idp": { prefix: "AWSCognitoIdentityProviderService", contentType: "application/x-amz-json-1.1" },
  kms: { prefix: "TrentService", contentType: "application/x-amz-json-1.1" },
  sqs: { prefix: "AmazonSQS", contentType: "application/x-amz-json-1.0" },
  logs: { prefix: "Logs_20140328", contentType: "application/x-amz-json-1.1" },
};

/** Signing name for an X-Amz-Target prefix (used when a request is unsigned). */
export const TARGET_SERVICES: Record<string, string> = {
  DynamoDB_20120810: "dynamodb",
  DynamoDBStreams_20120810: "dynamodb",
  AWSCognitoIdentityProviderService: "cognito-idp",
  TrentService: "kms",
  AmazonSQS: "sqs",
  Logs_20140328: "logs",
  GraniteServiceVersion20100801: "monitoring",
  AmazonEventBridge: "events",
  AWSEvents: "events",
  secretsmanager: "secretsmanager",
  AmazonSSM: "ssm",
};

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): AwsResponse {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.1", ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

let reqCounter = 0;
function requestId(): string {
  reqCounter += 1;
  return `sandbox-${Date.now().toString(16)}-${reqCounter.toString(16)}`;
}

/**
 * An error answer in the request's protocol: JSON (`__type` + `x-amzn-ErrorType`) for JSON and
 * REST-JSON services, an XML `ErrorResponse` for query-protocol services.
 */
export function awsError(req: Pick<AwsRequest, "headers" | "service">, status: number, code: string, message: string): AwsResponse {
  const rid = requestId();
  const isJson =
    req.headers["x-amz-target"] !== undefined ||
    (req.headers["content-type"] ?? "").includes("json") ||
    ["lambda", "cognito-idp", "dynamodb", "kms", "logs"].includes(req.service);
  if (isJson) {
    const body: Record<string, string> = { __type: code, message };
    if (req.service === "sqs") body.__type = `com.amazonaws.sqs#${code}`;
    const headers: Record<string, string> = {
      "content-type": req.service === "dynamodb" || req.service === "sqs" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
      "x-amzn-errortype": code,
      "x-amzn-requestid": rid,
    };
    if (req.service === "lambda") headers["content-type"] = "application/json";
    if (req.service === "sqs") headers["x-amzn-query-error"] = `${code};${status >= 500 ? "Receiver" : "Sender"}`;
    return { status, headers, body: Buffer.from(JSON.stringify(body)) };
  }
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type>` +
    `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${rid}</RequestId></ErrorResponse>`;
  return { status, headers: { "content-type": "text/xml", "x-amzn-requestid": rid }, body: Buffer.from(xml) };
}

/** Parses a JSON response body, or undefined. */
export function parseJson(res: AwsResponse): any {
  if (res.body.length === 0) return undefined;
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** A copy of `req` whose JSON body is `json`. */
export function withJson(req: AwsRequest, json: unknown): AwsRequest {
  const body = Buffer.from(JSON.stringify(json));
  const headers = { ...req.headers, "content-length": String(body.length) };
  return { ...req, json, body, headers };
}

/** A copy of `res` whose JSON body is `json`. */
export function responseWithJson(res: AwsResponse, json: unknown): AwsResponse {
  const body = Buffer.from(JSON.stringify(json));
  const headers = { ...res.headers };
  delete headers["content-length"];
  delete headers["x-amz-crc32"]; // DynamoDB checksums the body; it changed.
  return { ...res, headers, body };
}

export class AwsCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = code;
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Sends a raw HTTP request to `endpoint` and collects the answer. */
export function httpCall(
  endpoint: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs = 120_000,
): Promise<AwsResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, endpoint);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined) continue;
            out[k] = Array.isArray(v) ? v.join(", ") : v;
          }
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request to ${url.href} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Authorization header whose credential scope names `region` and `service` (moto reads the region from it). */
export function fakeAuthorization(region: string, service: string): string {
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  return `AWS4-HMAC-SHA256 Credential=sandbox/${date}/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/**
 * Calls a JSON-protocol operation on moto directly. `service` is a key of JSON_TARGETS
 * (`streams` for DynamoDB Streams). Throws AwsCallError on an error answer.
 */
export async function motoJson<T = any>(motoEndpoint: string, service: string, region: string, operation: string, input: unknown): Promise<T> {
  const t = JSON_TARGETS[service];
  if (!t) throw new Error(`no JSON target for ${service}`);
  const body = Buffer.from(JSON.stringify(input ?? {}));
  const signing = service === "streams" ? "dynamodb" : service;
  const res = await httpCall(
    motoEndpoint,
    "POST",
    "/",
    {
      "content-type": t.contentType,
      "x-amz-target": `${t.prefix}.${operation}`,
      authorization: fakeAuthorization(region, signing),
      "content-length": String(body.length),
      host: new URL(motoEndpoint).host,
    },
    body,
  );
  const json = parseJson(res);
  if (res.status >= 300) {
    const type = String(json?.__type ?? json?.code ?? `HTTP${res.status}`);
    const code = type.includes("#") ? type.slice(type.indexOf("#") + 1) : type;
    throw new AwsCallError(code, String(json?.message ?? json?.Message ?? res.body.toString()), res.status);
  }
  return json as T;
}
