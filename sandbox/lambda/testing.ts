// Test support for the Lambda emulation: a minimal gateway (an HTTP forwarder that runs one
// plugin, then forwards to moto), independent of the sandbox's real gateway on purpose, and an
// IAM role to create functions with. moto itself is started by ../moto.ts.

import * as http from "node:http";
import { fakeSigV4, httpCall } from "../aws";
import { freePort } from "../moto";
import type { AwsRequest, AwsResponse, GatewayPlugin } from "../types";

function forward(motoEndpoint: string, req: AwsRequest): Promise<AwsResponse> {
  const qs = req.query.toString();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!["connection", "transfer-encoding", "keep-alive", "host", "content-length"].includes(k.toLowerCase())) headers[k] = v;
  }
  headers["content-length"] = String(req.body.length);
  return httpCall(motoEndpoint, req.method, req.path + (qs ? `?${qs}` : ""), headers, req.body);
}

export interface TestGateway {
  endpoint: string;
  /** Requests seen, for assertions (service/operation/path). */
  seen: { service: string; operation?: string; path: string }[];
  /** Optional fault hook: return a response to short-circuit a request. */
  fault?: (req: AwsRequest) => AwsResponse | undefined;
  stop(): Promise<void>;
}

export async function startTestGateway(motoEndpoint: string, plugin: () => GatewayPlugin | undefined): Promise<TestGateway> {
  const port = await freePort();
  const gw: TestGateway = {
    endpoint: `http://127.0.0.1:${port}`,
    seen: [],
    stop: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const url = new URL(req.url ?? "/", "http://x");
        const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(headers["authorization"] ?? "");
        const target = headers["x-amz-target"];
        const body = Buffer.concat(chunks);
        const areq: AwsRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers,
          body,
          service: scope?.[2] ?? "",
          region: scope?.[1] ?? "us-east-1",
          operation: target ? target.split(".").pop() : (url.searchParams.get("Action") ?? undefined),
        };
        gw.seen.push({ service: areq.service, operation: areq.operation, path: areq.path });
        try {
          const injected = gw.fault?.(areq);
          const p = plugin();
          const out = injected ?? (p ? await p.handle(areq, (r) => forward(motoEndpoint, r)) : await forward(motoEndpoint, areq));
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(out.headers)) {
            if (!["content-length", "transfer-encoding", "connection"].includes(k.toLowerCase())) h[k] = v;
          }
          h["content-length"] = String(out.body.length);
          res.writeHead(out.status, h);
          res.end(out.body);
        } catch (e) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: String(e) }));
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  gw.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return gw;
}

/** Creates an IAM role in moto (CreateFunction requires one) and returns its ARN. No IAM SDK client is installed. */
export async function createRole(motoEndpoint: string, name: string): Promise<string> {
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
  const body = new URLSearchParams({ Action: "CreateRole", Version: "2010-05-08", RoleName: name, AssumeRolePolicyDocument: policy });
  const res = await httpCall(
    motoEndpoint,
    "POST",
    "/",
    { "content-type": "application/x-www-form-urlencoded", authorization: fakeSigV4({ region: "us-east-1", service: "iam" }) },
    Buffer.from(body.toString()),
  );
  const text = res.body.toString("utf8");
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!arn) throw new Error(`CreateRole failed: ${res.status} ${text}`);
  return arn;
}
