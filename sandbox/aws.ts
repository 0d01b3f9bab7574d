/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// The sandbox's one AWS layer, shared by the gateway and every plugin: AWS-shaped answers, one
// HTTP client, one JSON-protocol client (to moto directly, for internal calls that bypass the
// plugin chain, quotas and faults; or to the gateway, for what Lambda's pollers read), one error
// type for an error answer, and one fake SigV4 header. Nothing checks a signature: moto and the
// gateway read only the credential scope (region, service) and the access key (the authorizer
// maps a role session's key to its role).

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
  cloudtrail: { prefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", contentType: "application/x-amz-json-1.1" },
  events: { prefix: "AWSEvents", contentType: "application/x-amz-json-1.1" },
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

/** Parses a JSON body (of a response or a request), or undefined. */
export function parseJson(res: { body: Buffer }): any {
  if (res.body.length === 0) return undefined;
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Parses a JSON body that must be an object (not an array or a scalar), or undefined. */
export function parseJsonObject(res: { body: Buffer }): Record<string, unknown> | undefined {
  const v: unknown = parseJson(res);
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
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

/**
 * An AWS error answer, as a thrown error. `message` is `<code>: <detail>` (what a log line wants);
 * `detail` is the service's own message (what an answer built from the error repeats).
 */
export class AwsCallError extends Error {
  readonly detail: string;
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = code;
    this.detail = message;
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpCallOptions {
  /** Idle socket timeout (default 120 s). */
  idleTimeoutMs?: number;
  /** Aborts the call (with `timeoutMs`, whichever comes first). */
  signal?: AbortSignal;
  /** Whole-call deadline. */
  timeoutMs?: number;
}

/** Sends a raw HTTP request to `endpoint` and collects the answer. */
export function httpCall(endpoint: string, method: string, path: string, headers: Record<string, string>, body: Buffer, o: HttpCallOptions = {}): Promise<AwsResponse> {
  const signals = [o.signal, o.timeoutMs ? AbortSignal.timeout(o.timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return new Promise((resolve, reject) => {
    const url = new URL(path, endpoint);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent, timeout: o.idleTimeoutMs ?? 120_000, signal },
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

/** `X-Amz-Date` form of now: `20260101T120000Z`. */
function amzDate(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * A SigV4-shaped Authorization header whose credential scope names `region` and `service` (moto
 * reads the region from it, the gateway also the service) and whose access key is `accessKeyId`
 * (default the sandbox's own, which the authorizer treats as the administrator). Never verified.
 */
export function fakeSigV4(o: { region: string; service: string; accessKeyId?: string }): string {
  const day = amzDate().slice(0, 8);
  return `AWS4-HMAC-SHA256 Credential=${o.accessKeyId ?? "sandbox"}/${day}/${o.region}/${o.service}/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`;
}

export interface JsonCallOptions {
  /** moto's endpoint (internal calls) or the gateway's (calls that faults and authorization apply to). */
  endpoint: string;
  region: string;
  /** A key of JSON_TARGETS: `streams` for DynamoDB Streams. */
  service: string;
  /** Operation name, e.g. `GetRecords`. */
  operation: string;
  body: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Whose call this is: a role session's key (the gateway's authorizer maps it to the role); default the sandbox's own. */
  credentials?: { accessKeyId: string; sessionToken?: string };
  /** Headers only the sandbox's own calls to moto carry (sandbox/moto_server.py's patches). */
  headers?: Record<string, string>;
}

/** Calls a JSON-protocol operation. Resolves with the answer's JSON ({} when empty); throws AwsCallError on an error answer. */
export async function awsJson<T = any>(o: JsonCallOptions): Promise<T> {
  const t = JSON_TARGETS[o.service];
  if (!t) throw new Error(`no JSON target for ${o.service}`);
  const body = Buffer.from(JSON.stringify(o.body ?? {}));
  const signing = o.service === "streams" ? "dynamodb" : o.service;
  const headers: Record<string, string> = {
    "content-type": t.contentType,
    "x-amz-target": `${t.prefix}.${o.operation}`,
    "x-amz-date": amzDate(),
    authorization: fakeSigV4({ region: o.region, service: signing, accessKeyId: o.credentials?.accessKeyId }),
    "content-length": String(body.length),
    host: new URL(o.endpoint).host,
    ...o.headers,
  };
  if (o.credentials?.sessionToken) headers["x-amz-security-token"] = o.credentials.sessionToken;
  const res = await httpCall(o.endpoint, "POST", "/", headers, body, { signal: o.signal, timeoutMs: o.timeoutMs });
  const json = parseJson(res);
  if (res.status >= 300) {
    const type = String(json?.__type ?? json?.code ?? res.headers["x-amzn-errortype"] ?? `HTTP${res.status}`);
    // `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`, `InvalidParameterValueException:http://...`
    const code = type.split("#").pop()!.split(":")[0]!;
    throw new AwsCallError(code, String(json?.message ?? json?.Message ?? res.body.toString()), res.status);
  }
  return (json ?? {}) as T;
}

/** awsJson to moto directly: an internal call, outside the plugin chain. */
export function motoJson<T = any>(motoEndpoint: string, service: string, region: string, operation: string, input: unknown, headers?: Record<string, string>): Promise<T> {
  return awsJson<T>({ endpoint: motoEndpoint, service, region, operation, body: input, headers });
}

/** `arn:aws:<service>:<region>:<account>:<resource>` → parts. */
export function parseArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } {
  const parts = arn.split(":");
  return {
    partition: parts[1] ?? "aws",
    service: parts[2] ?? "",
    region: parts[3] ?? "",
    account: parts[4] ?? "",
    resource: parts.slice(5).join(":"),
  };
}
