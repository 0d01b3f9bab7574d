// Minimal AWS JSON-protocol client for the pollers (DynamoDB Streams has no
// installed SDK client here). Requests carry a SigV4-shaped Authorization header
// whose credential scope names the region and signing service: moto and the
// sandbox gateway read only that; nothing checks the signature.

export class AwsCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

export interface JsonCallOptions {
  endpoint: string;
  region: string;
  /** Signing name: `dynamodb` for DynamoDB Streams, `sqs` for SQS. */
  service: string;
  /** Full X-Amz-Target, e.g. `DynamoDBStreams_20120810.GetRecords`. */
  target: string;
  body: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Whose call this is: a role session's key (the gateway's authorizer maps it to the role); default the sandbox's own. */
  credentials?: { accessKeyId: string; sessionToken?: string };
}

export async function awsJson<T = Record<string, unknown>>(o: JsonCallOptions): Promise<T> {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const signal = o.timeoutMs
    ? o.signal
      ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)])
      : AbortSignal.timeout(o.timeoutMs)
    : o.signal;
  const res = await fetch(o.endpoint.replace(/\/$/, "") + "/", {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": o.target,
      "x-amz-date": amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${o.credentials?.accessKeyId ?? "ASIASANDBOXLAMBDA000"}/${day}/${o.region}/${o.service}/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${"0".repeat(64)}`,
      ...(o.credentials?.sessionToken ? { "x-amz-security-token": o.credentials.sessionToken } : {}),
      "user-agent": "sandbox-lambda-poller",
    },
    body: JSON.stringify(o.body ?? {}),
    signal,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  if (text) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { message: text };
    }
  }
  if (res.status >= 300) {
    const rawType = String(parsed.__type ?? parsed.code ?? res.headers.get("x-amzn-errortype") ?? `Http${res.status}`);
    const code = rawType.split("#").pop()!.split(":")[0]!;
    const message = String(parsed.message ?? parsed.Message ?? text ?? "");
    throw new AwsCallError(code, message, res.status);
  }
  return parsed as T;
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

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
