// ConfirmSignUp must never confirm a user without running PostConfirmation: when the
// sandbox cannot read the pool or the user it needs for the trigger event, the call
// fails with nothing changed (the caller retries). Runs against a fake moto that
// answers the sandbox's internal reads, so each failure is exact.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CognitoPlugin } from "./cognito";
import type { AwsRequest, AwsResponse } from "./types";

const POOL_ID = "us-east-1_Test";
const FN = "arn:aws:lambda:us-east-1:000000000000:function:post-confirmation";

/** Fake moto: `failures[op]` answers that many 500s before succeeding. */
let failures: Record<string, number> = {};
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const op = String(req.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
    req.resume();
    req.on("end", () => {
      if ((failures[op] ?? 0) > 0) {
        failures[op]--;
        res.writeHead(500, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify({ __type: "InternalFailure", message: "dictionary changed size during iteration" }));
        return;
      }
      const body =
        op === "DescribeUserPool"
          ? { UserPool: { Id: POOL_ID, LambdaConfig: { PostConfirmation: FN }, AutoVerifiedAttributes: [] } }
          : { Username: "u-1", UserStatus: "UNCONFIRMED", UserAttributes: [{ Name: "email", Value: "a@example.com" }, { Name: "sub", Value: "s-1" }] };
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  failures = {};
});

function confirmRequest(): AwsRequest {
  const json = { UserPoolId: POOL_ID, Username: "a@example.com", ConfirmationCode: "000000" };
  return {
    method: "POST",
    path: "/",
    query: new URLSearchParams(),
    headers: { "x-amz-target": "AWSCognitoIdentityProviderService.AdminConfirmSignUp", "content-type": "application/x-amz-json-1.1" },
    body: Buffer.from(JSON.stringify(json)),
    service: "cognito-idp",
    region: "us-east-1",
    operation: "AdminConfirmSignUp",
    json,
  };
}

function setup() {
  const invoked: unknown[] = [];
  const confirmed: string[] = [];
  const plugin = new CognitoPlugin({
    motoEndpoint: endpoint,
    invoker: { invoke: async (_fn, _region, event) => (invoked.push(event), event) },
  });
  const next = async (req: AwsRequest): Promise<AwsResponse> => {
    confirmed.push(String(req.operation));
    return { status: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Buffer.from("{}") };
  };
  return { plugin, next, invoked, confirmed };
}

describe("sandbox ConfirmSignUp and PostConfirmation", () => {
  it("confirms and runs the trigger once after transient read failures", async () => {
    failures = { DescribeUserPool: 2, AdminGetUser: 2 };
    const { plugin, next, invoked, confirmed } = setup();
    const res = await plugin.handle(confirmRequest(), next);
    expect(res.status).toBe(200);
    expect(confirmed).toEqual(["AdminConfirmSignUp"]);
    expect(invoked).toHaveLength(1);
    expect(invoked[0]).toMatchObject({ userName: "u-1", request: { userAttributes: { "cognito:user_status": "CONFIRMED" } } });
  });

  it("answers InternalErrorException without confirming when the user cannot be read", async () => {
    failures = { AdminGetUser: 100 };
    const { plugin, next, invoked, confirmed } = setup();
    const res = await plugin.handle(confirmRequest(), next);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body.toString()).__type).toContain("InternalErrorException");
    expect(confirmed).toEqual([]);
    expect(invoked).toEqual([]);
  });

  it("answers InternalErrorException without confirming when the pool cannot be read", async () => {
    failures = { DescribeUserPool: 100 };
    const { plugin, next, invoked, confirmed } = setup();
    const res = await plugin.handle(confirmRequest(), next);
    expect(res.status).toBe(500);
    expect(confirmed).toEqual([]);
    expect(invoked).toEqual([]);
  });
});
