/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// The sandbox gateway: an HTTP server on loopback that parses each AWS request once into an
// AwsRequest, runs it through an ordered list of GatewayPlugins, and forwards what is left to
// moto_server verbatim (status, headers and body preserved). Paths under `/__sandbox/` are the
// admin API (JSON), answered by the plugins that implement `admin`.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { TARGET_SERVICES, awsError, httpCall } from "./aws";
import type { AwsRequest, AwsResponse, GatewayPlugin, Next } from "./types";

export interface AdminRequest {
  method: string;
  /** Path after `/__sandbox`, e.g. `/faults`. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body ({} when empty). */
  body: any;
}

export interface AdminResponse {
  status?: number;
  body?: unknown;
}

/** Optional capabilities a plugin may add to GatewayPlugin. */
export interface SandboxPlugin extends GatewayPlugin {
  /** Answer an admin request, or return undefined to let the next plugin try. */
  admin?(req: AdminRequest): Promise<AdminResponse | undefined>;
  /** Region of a request that carries no SigV4 scope (unsigned Cognito calls such as InitiateAuth). */
  resolveRegion?(req: AwsRequest): Promise<string | undefined>;
}

export interface GatewayOptions {
  port?: number;
  motoEndpoint: string;
  /** Ordered plugin chain; the array is read on every request, so it may grow after start. */
  plugins: GatewayPlugin[];
  /** Region for requests whose region nothing can tell. */
  defaultRegion?: string;
}

export interface Gateway {
  endpoint: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer", "expect"]);

/**
 * Partitional services have one control plane, in us-east-1 for the aws partition, whatever region
 * a client signs for (AWS Fault Isolation Boundaries whitepaper, "Appendix A - Partitional service
 * guidance": IAM's control plane is "all public IAM APIs", Route 53's and ARC's configuration APIs
 * likewise; the IAM User Guide, "Resilience in IAM": "one IAM control plane for all commercial AWS
 * Regions, which is located in the US East (N. Virginia) Region"). So a us-east-1 outage takes
 * them down for every caller, as it does in AWS, and aws:RequestedRegion is us-east-1. ARC's
 * routing-control data plane (route53-recovery-cluster) is regional and stays where it is called.
 */
const PARTITIONAL_CONTROL_PLANES = new Set(["iam", "route53", "route53-recovery-control-config", "cloudfront", "organizations"]);

export function controlPlaneRegion(service: string, region: string): string {
  return PARTITIONAL_CONTROL_PLANES.has(service) ? "us-east-1" : region;
}

const SCOPE_RE = /Credential=[^/,\s]*\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/** Region and service from a SigV4 Authorization header (or presigned query). */
export function parseScope(headers: Record<string, string>, query: URLSearchParams): { region?: string; service?: string } {
  const auth = headers["authorization"] ?? "";
  let m = SCOPE_RE.exec(auth);
  if (!m) {
    const cred = query.get("X-Amz-Credential");
    if (cred) m = SCOPE_RE.exec(`Credential=${cred}`);
  }
  return m ? { region: m[1], service: m[2] } : {};
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/**
 * A regional endpoint for calls that carry no signature and so no region: STS's
 * AssumeRoleWithWebIdentity, which a pipeline job sends to its region's STS endpoint
 * (`sts.<region>.amazonaws.com`). Point the client at `<gateway>/__region/<region>`; the prefix
 * is removed before anything else sees the request.
 */
export function regionalEndpoint(endpoint: string, region: string): string {
  return `${endpoint.replace(/\/$/, "")}/__region/${region}`;
}

const REGION_PREFIX = /^\/__region\/([a-z0-9-]+)(\/.*)?$/;

/** Parses an incoming HTTP request into an AwsRequest (region may still be unknown: ""). */
export function parseAwsRequest(method: string, url: string, headers: Record<string, string>, body: Buffer): AwsRequest {
  const u = new URL(url, "http://gateway");
  const prefixed = REGION_PREFIX.exec(u.pathname);
  if (prefixed) u.pathname = prefixed[2] ?? "/";
  const query = u.searchParams;
  const scope = parseScope(headers, query);
  if (prefixed && !scope.region) scope.region = prefixed[1];
  const target = headers["x-amz-target"];
  let operation: string | undefined;
  let service = scope.service ?? "";
  if (target) {
    const dot = target.lastIndexOf(".");
    operation = dot >= 0 ? target.slice(dot + 1) : target;
    const prefix = dot >= 0 ? target.slice(0, dot) : "";
    if (!service) service = TARGET_SERVICES[prefix] ?? prefix;
  }
  const ctype = headers["content-type"] ?? "";
  let json: unknown;
  if (body.length > 0 && (ctype.includes("json") || target)) {
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      json = undefined;
    }
  }
  if (!operation) {
    const action = query.get("Action");
    if (action) operation = action;
    else if (ctype.includes("x-www-form-urlencoded") && body.length > 0 && body.length < 1_000_000) {
      const form = new URLSearchParams(body.toString("utf8"));
      operation = form.get("Action") ?? undefined;
    }
  }
  // STS's unsigned operations name no service in a credential scope.
  if (!service && (operation === "AssumeRoleWithWebIdentity" || operation === "AssumeRoleWithSAML")) service = "sts";
  return { method, path: u.pathname, query, headers, body, service, region: scope.region ?? "", operation, json };
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const plugins = opts.plugins as SandboxPlugin[];
  const motoHost = new URL(opts.motoEndpoint).host;

  const forward: Next = async (req) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    headers["content-length"] = String(req.body.length);
    // Keep the client's Host so that URLs moto builds (SQS queue URLs) point back at the gateway.
    if (!headers["host"]) headers["host"] = motoHost;
    const qs = req.query.toString();
    return httpCall(opts.motoEndpoint, req.method, req.path + (qs ? `?${qs}` : ""), headers, req.body);
  };

  // Built per request from the live array, so plugins added after start (the Lambda plugin needs
  // the gateway's endpoint) take part.
  const chain = (i: number): Next => {
    if (i >= plugins.length) return forward;
    const p = plugins[i]!;
    return (req) => p.handle(req, chain(i + 1));
  };
  const run: Next = (req) => chain(0)(req);

  const handleAdmin = async (method: string, url: URL, body: Buffer): Promise<AdminResponse> => {
    let parsed: any = {};
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        return { status: 400, body: { error: "body is not JSON" } };
      }
    }
    const areq: AdminRequest = { method, path: url.pathname.slice("/__sandbox".length) || "/", query: url.searchParams, body: parsed };
    if (areq.path === "/health") return { body: { ok: true, motoEndpoint: opts.motoEndpoint, plugins: plugins.map((p) => p.name) } };
    for (const p of plugins) {
      if (!p.admin) continue;
      const r = await p.admin(areq);
      if (r) return r;
    }
    return { status: 404, body: { error: `no admin route ${method} ${url.pathname}` } };
  };

  const send = (res: ServerResponse, out: AwsResponse) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.headers)) if (!HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
    for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-length") delete headers[k];
    headers["content-length"] = String(out.body.length);
    res.writeHead(out.status, headers);
    res.end(out.body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? "GET";
      const rawUrl = req.url ?? "/";
      const body = await readBody(req);
      const url = new URL(rawUrl, "http://gateway");
      if (url.pathname.startsWith("/__sandbox/") || url.pathname === "/__sandbox") {
        let out: AdminResponse;
        try {
          out = await handleAdmin(method, url, body);
        } catch (e) {
          out = { status: 500, body: { error: (e as Error).message } };
        }
        const b = Buffer.from(JSON.stringify(out.body ?? {}));
        res.writeHead(out.status ?? 200, { "content-type": "application/json", "content-length": String(b.length) });
        res.end(b);
        return;
      }
      const areq = parseAwsRequest(method, rawUrl, flatHeaders(req), body);
      if (!areq.region) {
        for (const p of plugins) {
          const r = p.resolveRegion ? await p.resolveRegion(areq) : undefined;
          if (r) {
            areq.region = r;
            break;
          }
        }
        if (!areq.region) areq.region = opts.defaultRegion ?? process.env.AWS_REGION ?? "us-east-1";
      }
      areq.region = controlPlaneRegion(areq.service, areq.region);
      let out: AwsResponse;
      try {
        out = await run(areq);
      } catch (e) {
        if (process.env.SANDBOX_DEBUG) console.error((e as Error).stack);
        out = awsError(areq, 500, "InternalFailure", `sandbox gateway: ${(e as Error).message}`);
      }
      send(res, out);
    })().catch((e) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
      }
      res.end(String((e as Error)?.message ?? e));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    server,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
