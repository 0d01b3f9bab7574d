// The gateway without moto: request parsing, the plugin chain, verbatim forwarding of large
// bodies over keep-alive, and the admin API routing. A fake upstream stands in for moto.

import { createHash } from "node:crypto";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAwsRequest, startGateway, type Gateway, type SandboxPlugin } from "./gateway";
import type { AwsRequest } from "./types";

function send(endpoint: string, method: string, path: string, headers: Record<string, string>, body: Buffer | string, agent?: Agent) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; socketPort?: number }>((resolve, reject) => {
    const u = new URL(path, endpoint);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), socketPort: res.socket?.localPort }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("gateway", () => {
  let upstream: Server;
  let upstreamUrl: string;
  let gw: Gateway;
  const seen: AwsRequest[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        res.writeHead(req.url === "/teapot" ? 418 : 200, {
          "content-type": "application/octet-stream",
          "x-upstream-sha": createHash("sha256").update(body).digest("hex"),
          "x-upstream-host": req.headers.host ?? "",
        });
        res.end(body);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const recorder: SandboxPlugin = {
      name: "recorder",
      async handle(req, next) {
        seen.push(req);
        return next(req);
      },
      async resolveRegion(req) {
        const id = (req.json as { UserPoolId?: string } | undefined)?.UserPoolId;
        return id?.split("_")[0];
      },
      async admin(req) {
        return req.path === "/echo" ? { body: { method: req.method, body: req.body } } : undefined;
      },
    };
    gw = await startGateway({ port: 0, motoEndpoint: upstreamUrl, plugins: [recorder] });
  });
  afterAll(async () => {
    await gw?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  it("parses SigV4 scope, JSON target and query Action", () => {
    const json = parseAwsRequest(
      "POST",
      "/",
      {
        authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/dynamodb/aws4_request, SignedHeaders=host, Signature=abc",
        "x-amz-target": "DynamoDB_20120810.PutItem",
        "content-type": "application/x-amz-json-1.0",
      },
      Buffer.from('{"TableName":"t"}'),
    );
    expect(json).toMatchObject({ service: "dynamodb", region: "us-west-2", operation: "PutItem", json: { TableName: "t" } });
    const query = parseAwsRequest(
      "POST",
      "/",
      { authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/iam/aws4_request, SignedHeaders=host, Signature=abc", "content-type": "application/x-www-form-urlencoded" },
      Buffer.from("Action=GetRole&RoleName=r&Version=2010-05-08"),
    );
    expect(query).toMatchObject({ service: "iam", region: "eu-west-1", operation: "GetRole" });
    const unsigned = parseAwsRequest("POST", "/", { "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth" }, Buffer.from("{}"));
    expect(unsigned).toMatchObject({ service: "cognito-idp", region: "", operation: "InitiateAuth" });
    const rest = parseAwsRequest("GET", "/2015-03-31/functions/f?Qualifier=1", { authorization: "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/lambda/aws4_request" }, Buffer.alloc(0));
    expect(rest).toMatchObject({ service: "lambda", region: "us-east-1", path: "/2015-03-31/functions/f" });
    expect(rest.query.get("Qualifier")).toBe("1");
  });

  it("forwards large bodies verbatim over keep-alive and preserves status and headers", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const sha = createHash("sha256").update(big).digest("hex");
    const headers = {
      authorization: "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x",
      "content-type": "application/zip",
    };
    const a = await send(gw.endpoint, "POST", "/2015-03-31/functions", headers, big, agent);
    expect(a.status).toBe(200);
    expect(a.headers["x-upstream-sha"]).toBe(sha);
    expect(a.body.equals(big)).toBe(true);
    // The client's Host reaches the upstream (moto builds SQS queue URLs from it).
    expect(a.headers["x-upstream-host"]).toBe(new URL(gw.endpoint).host);
    const b = await send(gw.endpoint, "PUT", "/teapot", headers, "short", agent);
    expect(b.status).toBe(418);
    expect(b.body.toString()).toBe("short");
    expect(b.socketPort).toBe(a.socketPort); // same connection
    agent.destroy();
    expect(seen.at(-2)).toMatchObject({ service: "lambda", region: "us-east-1", path: "/2015-03-31/functions" });
  });

  it("asks plugins for the region of unsigned calls", async () => {
    await send(gw.endpoint, "POST", "/", { "x-amz-target": "AWSCognitoIdentityProviderService.SignUp", "content-type": "application/x-amz-json-1.1" }, '{"UserPoolId":"eu-central-1_abc"}');
    expect(seen.at(-1)).toMatchObject({ service: "cognito-idp", region: "eu-central-1", operation: "SignUp" });
    await send(gw.endpoint, "POST", "/", { "x-amz-target": "AWSCognitoIdentityProviderService.SignUp" }, "{}");
    expect(seen.at(-1)?.region).toBe("us-east-1");
  });

  it("puts partitional control planes (IAM, Route 53) in us-east-1 whatever region the client signed for", async () => {
    const signed = (service: string, region: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261130/${region}/${service}/aws4_request, SignedHeaders=host, Signature=x`, "content-type": "application/x-www-form-urlencoded" });
    await send(gw.endpoint, "POST", "/", signed("iam", "us-west-2"), "Action=GetRole&RoleName=r");
    expect(seen.at(-1)).toMatchObject({ service: "iam", region: "us-east-1" });
    await send(gw.endpoint, "POST", "/2013-04-01/healthcheck/h", signed("route53", "eu-west-1"), "");
    expect(seen.at(-1)).toMatchObject({ service: "route53", region: "us-east-1" });
    // ARC's routing-control data plane and every regional service stay where they were called.
    await send(gw.endpoint, "POST", "/", signed("route53-recovery-cluster", "us-west-2"), "{}");
    expect(seen.at(-1)?.region).toBe("us-west-2");
    await send(gw.endpoint, "POST", "/", signed("sqs", "us-west-2"), "Action=ListQueues");
    expect(seen.at(-1)?.region).toBe("us-west-2");
  });

  it("routes /__sandbox/ to the plugins' admin handlers", async () => {
    const echo = await fetch(`${gw.endpoint}/__sandbox/echo`, { method: "POST", body: JSON.stringify({ a: 1 }) });
    expect(await echo.json()).toEqual({ method: "POST", body: { a: 1 } });
    const health = await fetch(`${gw.endpoint}/__sandbox/health`);
    expect(await health.json()).toMatchObject({ ok: true, plugins: ["recorder"] });
    const missing = await fetch(`${gw.endpoint}/__sandbox/nope`);
    expect(missing.status).toBe(404);
    const bad = await fetch(`${gw.endpoint}/__sandbox/echo`, { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
  });
});
