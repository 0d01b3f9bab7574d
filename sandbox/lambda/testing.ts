// Test support for the Lambda emulation: starts moto_server on a free loopback
// port and a minimal gateway (an HTTP forwarder that runs one plugin, then
// forwards to moto). Independent of the sandbox's real gateway on purpose.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import type { AwsRequest, AwsResponse, GatewayPlugin } from "../types";

export function findMoto(): { cmd: string; args: string[] } | undefined {
  const which = spawnSync("sh", ["-c", "command -v moto_server"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) return { cmd: which.stdout.trim(), args: [] };
  const py = spawnSync("python3", ["-c", "import moto.server"], { encoding: "utf8" });
  if (py.status === 0) return { cmd: "python3", args: ["-m", "moto.server"] };
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const found = findMoto();
  if (!found) throw new Error("moto_server not found (neither `moto_server` on PATH nor python3 -m moto.server)");
  const port = await freePort();
  const child: ChildProcess = spawn(found.cmd, [...found.args, "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/data.json`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 2000).unref();
      }),
  };
}

function forward(motoEndpoint: string, req: AwsRequest): Promise<AwsResponse> {
  const u = new URL(motoEndpoint);
  const qs = req.query.toString();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!["connection", "transfer-encoding", "keep-alive", "host", "content-length"].includes(k.toLowerCase())) headers[k] = v;
  }
  headers["content-length"] = String(req.body.length);
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: u.hostname, port: u.port, method: req.method, path: req.path + (qs ? `?${qs}` : ""), headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h[k] = v;
          resolve({ status: res.statusCode ?? 500, headers: h, body: Buffer.concat(chunks) });
        });
        res.on("error", reject);
      },
    );
    r.on("error", reject);
    r.end(req.body);
  });
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

/** Skip reason when moto_server is absent (and CI is not set). Throws under CI=true. */
export function motoSkipReason(): string | undefined {
  if (findMoto()) return undefined;
  if (process.env.CI === "true") throw new Error("moto_server is required when CI=true");
  return "moto_server not installed";
}

/** Creates an IAM role in moto (CreateFunction requires one) and returns its ARN. No IAM SDK client is installed. */
export async function createRole(motoEndpoint: string, name: string): Promise<string> {
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
  const body = new URLSearchParams({ Action: "CreateRole", Version: "2010-05-08", RoleName: name, AssumeRolePolicyDocument: policy });
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  const res = await fetch(motoEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=test/${day}/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: body.toString(),
  });
  const text = await res.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!arn) throw new Error(`CreateRole failed: ${res.status} ${text}`);
  return arn;
}
