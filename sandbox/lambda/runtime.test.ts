import { createHash } from "node:crypto";
import {
  CreateFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  type Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  DeleteFunctionCommand,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaPlugin, type LambdaPlugin } from "./index";
import { startMoto, type MotoServer } from "../moto";
import { motoMissing } from "../test-support";
import { createRole, startTestGateway, type TestGateway } from "./testing";

const skip = motoMissing();
const REGION = "us-east-1";
let ROLE = "";

const INDEX_JS = `
exports.handler = async (event, context) => {
  const greeting = process.env.GREETING;
  if (!greeting) throw new Error("GREETING is not set");
  console.log("hello from", context.functionName);
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.fail) throw new TypeError("boom");
  return {
    greeting,
    pid: process.pid,
    region: process.env.AWS_REGION,
    endpoint: process.env.AWS_ENDPOINT_URL,
    home: process.env.HOME ?? null,
    handlerEnv: process.env._HANDLER,
    remaining: context.getRemainingTimeInMillis(),
    requestId: context.awsRequestId,
    functionName: context.functionName,
    node: process.version,
  };
};
exports.callbackStyle = (event, context, callback) => callback(null, { called: true });
`;

const NESTED_JS = `exports.handler = async () => ({ nested: true });`;
const ESM_MJS = `export const handler = async (event) => ({ esm: true, echo: event });`;
const SDK_JS = `
const { DynamoDBClient, ListTablesCommand } = require("@aws-sdk/client-dynamodb");
const client = new DynamoDBClient({});
exports.handler = async () => {
  const r = await client.send(new ListTablesCommand({}));
  return { tables: r.TableNames };
};
`;

function makeZip(files: Record<string, string>): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(files)) entries[k] = strToU8(v);
  return zipSync(entries);
}

const ZIP = makeZip({ "index.js": INDEX_JS, "dist/x.js": NESTED_JS, "esm.mjs": ESM_MJS, "sdk.js": SDK_JS });

describe.skipIf(!!skip)(`lambda runtime${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let moto: MotoServer;
  let gw: TestGateway;
  let plugin: LambdaPlugin;
  let lambda: LambdaClient;
  const sandboxLog: string[] = [];

  const decode = (p?: Uint8Array) => JSON.parse(Buffer.from(p ?? new Uint8Array()).toString("utf8")) as Record<string, unknown>;

  async function create(name: string, handler: string, env: Record<string, string> | undefined, timeout = 3, runtime: Runtime = "nodejs22.x") {
    return lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Role: ROLE,
        Handler: handler,
        Code: { ZipFile: ZIP },
        Timeout: timeout,
        ...(env ? { Environment: { Variables: env } } : {}),
      }),
    );
  }

  async function call(name: string, event: unknown) {
    const r = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), LogType: "Tail" }));
    return { status: r.StatusCode, functionError: r.FunctionError, payload: decode(r.Payload), log: Buffer.from(r.LogResult ?? "", "base64").toString() };
  }

  beforeAll(async () => {
    moto = await startMoto();
    ROLE = await createRole(moto.endpoint, "lambda-role");
    gw = await startTestGateway(moto.endpoint, () => plugin);
    plugin = createLambdaPlugin({ gatewayEndpoint: gw.endpoint, motoEndpoint: moto.endpoint, asyncRetryDelayMs: 20, onLog: (l) => sandboxLog.push(l) });
    lambda = new LambdaClient({
      region: REGION,
      endpoint: gw.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    await plugin?.stop();
    await gw?.stop();
    await moto?.stop();
  });

  it("PutFunctionEventInvokeConfig replaces the configuration, as Lambda does (moto appends and answers the first)", async () => {
    await create("async-config", "index.handler", undefined);
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "async-config", MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 0 }));
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "async-config", MaximumEventAgeInSeconds: 3540, MaximumRetryAttempts: 1 }));
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "async-config" }));
    expect([got.MaximumEventAgeInSeconds, got.MaximumRetryAttempts]).toEqual([3540, 1]);
  });

  it("captures the zip (CodeSha256 = base64 sha256) and invokes with the function's own env", async () => {
    const created = await create("ok-fn", "index.handler", { GREETING: "hi" });
    const sha = createHash("sha256").update(ZIP).digest("base64");
    expect(created.CodeSha256).toBe(sha);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: "ok-fn" }));
    expect(got.Configuration?.CodeSha256).toBe(sha);

    const r = await call("ok-fn", { a: 1 });
    expect(r.status).toBe(200);
    expect(r.functionError).toBeUndefined();
    expect(r.payload).toMatchObject({ greeting: "hi", region: REGION, endpoint: gw.endpoint, home: null, handlerEnv: "index.handler", functionName: "ok-fn" });
    expect(r.payload.remaining as number).toBeGreaterThan(1000);
    expect(r.log).toContain("hello from ok-fn");
    expect(plugin.logs("ok-fn").map((l) => l.line).join("\n")).toMatch(/START RequestId[\s\S]*hello from ok-fn[\s\S]*REPORT RequestId/);
  });

  it("runs each function on the Node.js major its runtime names, as Lambda does", async () => {
    await create("node20-fn", "index.handler", { GREETING: "hi" }, 3, "nodejs20.x");
    expect((await call("ok-fn", {})).payload.node).toMatch(/^v22\./);
    expect((await call("node20-fn", {})).payload.node).toMatch(/^v20\./);
  });

  it("refuses to create a function on a runtime past AWS's block-create date", async () => {
    await expect(create("old-fn", "index.handler", undefined, 3, "nodejs18.x")).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: expect.stringContaining("The runtime parameter of nodejs18.x is no longer supported"),
    });
  });

  it("reuses a warm worker and replaces it when the configuration changes", async () => {
    const a = await call("ok-fn", {});
    const b = await call("ok-fn", {});
    expect(a.payload.pid).toBe(b.payload.pid);
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "ok-fn", Environment: { Variables: { GREETING: "hello" } } }));
    const c = await call("ok-fn", {});
    expect(c.payload.greeting).toBe("hello");
    expect(c.payload.pid).not.toBe(a.payload.pid);
  });

  it("runs concurrent invocations in separate warm workers", async () => {
    const rs = await Promise.all([1, 2, 3].map(() => call("ok-fn", { sleepMs: 1000 })));
    expect(new Set(rs.map((r) => r.payload.pid)).size).toBe(3);
    expect(plugin.stats().functions.find((f) => f.name === "ok-fn")?.warm).toBeGreaterThanOrEqual(3);
  });

  it("fails like Lambda on a wrong handler path or a missing export", async () => {
    await create("bad-path", "src/index.handler", { GREETING: "x" });
    const r = await call("bad-path", {});
    expect(r.functionError).toBe("Unhandled");
    expect(r.payload.errorType).toBe("Runtime.ImportModuleError");
    expect(r.payload.errorMessage).toContain("Cannot find module 'index'");

    await create("bad-export", "index.main", { GREETING: "x" });
    const r2 = await call("bad-export", {});
    expect(r2.payload).toMatchObject({ errorType: "Runtime.HandlerNotFound", errorMessage: "index.main is undefined or not exported" });
  });

  it("surfaces the handler's own error when an env var is missing, and a thrown error's type", async () => {
    await create("no-env", "index.handler", undefined);
    const r = await call("no-env", {});
    expect(r.functionError).toBe("Unhandled");
    expect(r.payload).toMatchObject({ errorType: "Error", errorMessage: "GREETING is not set" });
    expect(Array.isArray(r.payload.trace)).toBe(true);
    const r2 = await call("ok-fn", { fail: true });
    expect(r2.payload).toMatchObject({ errorType: "TypeError", errorMessage: "boom" });
  });

  it("kills a worker that runs past the timeout and starts a fresh one", async () => {
    await create("slow", "index.handler", { GREETING: "x" }, 1);
    const before = await call("slow", {});
    const t0 = Date.now();
    const r = await call("slow", { sleepMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.functionError).toBe("Unhandled");
    expect(String(r.payload.errorMessage)).toContain("Task timed out after 1.00 seconds");
    const after = await call("slow", {});
    expect(after.functionError).toBeUndefined();
    expect(after.payload.pid).not.toBe(before.payload.pid);
  });

  it("loads nested handler paths and ES modules, and provides the AWS SDK pointed at the gateway", async () => {
    await create("nested", "dist/x.handler", undefined);
    expect((await call("nested", {})).payload).toEqual({ nested: true });
    await create("esm", "esm.handler", undefined);
    expect((await call("esm", { q: 1 })).payload).toEqual({ esm: true, echo: { q: 1 } });
    await create("sdk", "sdk.handler", undefined);
    const r = await call("sdk", {});
    expect(r.functionError).toBeUndefined();
    expect(Array.isArray(r.payload.tables)).toBe(true);
    expect(gw.seen.some((s) => s.service === "dynamodb" && s.operation === "ListTables")).toBe(true);
  });

  it("runs new code after UpdateFunctionCode, and Event invocations in the background", async () => {
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "nested", ZipFile: makeZip({ "dist/x.js": `exports.handler = async () => { console.log("v2 ran"); return { v: 2 }; };` }) }));
    expect((await call("nested", {})).payload).toEqual({ v: 2 });
    const ev = await lambda.send(new InvokeCommand({ FunctionName: "nested", InvocationType: "Event", Payload: Buffer.from("{}") }));
    expect(ev.StatusCode).toBe(202);
    await expect.poll(() => plugin.logs("nested").filter((l) => l.line.includes("v2 ran")).length, { timeout: 5000 }).toBe(2);
  });

  it("retries a failed Event invocation as the function's event invoke config says (Lambda's default: twice)", async () => {
    const failing = async (name: string) => {
      await create(name, "index.handler", { GREETING: "hi" });
      await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ fail: true })) }));
    };
    await failing("async-default");
    await expect.poll(() => sandboxLog.filter((l) => l.includes("async invocation of async-default failed")), { timeout: 10_000 }).toEqual([
      expect.stringContaining("(attempt 1 of 3)"),
      expect.stringContaining("(attempt 2 of 3)"),
      expect.stringContaining("(attempt 3 of 3)"),
    ]);
    await create("async-once", "index.handler", { GREETING: "hi" });
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "async-once", MaximumRetryAttempts: 0 }));
    await lambda.send(new InvokeCommand({ FunctionName: "async-once", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ fail: true })) }));
    await expect.poll(() => sandboxLog.filter((l) => l.includes("async invocation of async-once failed")), { timeout: 10_000 }).toEqual([expect.stringContaining("(attempt 1 of 1)")]);
  });

  it("offers LambdaInvoker.invoke to other plugins (result, FunctionError, TimeoutError)", async () => {
    await expect(plugin.invoke("ok-fn", REGION, {})).resolves.toMatchObject({ greeting: "hello" });
    const arn = `arn:aws:lambda:${REGION}:123456789012:function:ok-fn`;
    await expect(plugin.invoke(arn, "us-west-2", {})).resolves.toMatchObject({ greeting: "hello" });
    await expect(plugin.invoke("ok-fn", REGION, { fail: true })).rejects.toMatchObject({ name: "FunctionError", message: "boom" });
    await expect(plugin.invoke("ok-fn", REGION, { sleepMs: 2000 }, { timeoutMs: 300 })).rejects.toMatchObject({ name: "TimeoutError" });
    await expect(plugin.invoke("nope", REGION, {})).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const s = plugin.stats().functions.find((f) => f.name === "ok-fn");
    expect(s?.timeouts).toBeGreaterThanOrEqual(1);
  });

  it("counts each function's summed durations and log bytes, the inputs of the cost benchmark", async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: "timed-fn", Runtime: "nodejs22.x", Role: ROLE, Handler: "index.handler", Code: { ZipFile: ZIP }, Timeout: 5, MemorySize: 256, Environment: { Variables: { GREETING: "hi" } } }));
    await call("timed-fn", { sleepMs: 150 });
    await call("timed-fn", { sleepMs: 150 });
    const s = plugin.stats().functions.find((f) => f.name === "timed-fn")!;
    expect([s.invocations, s.memoryMb]).toEqual([2, 256]);
    expect(s.durationMs).toBeGreaterThanOrEqual(300);
    // Billed: each duration rounded up to a whole ms.
    expect(s.billedMs).toBeGreaterThanOrEqual(Math.ceil(s.durationMs));
    expect(s.billedMs).toBeLessThanOrEqual(Math.ceil(s.durationMs) + 2);
    // Every line the function's log holds (START, its output, END, REPORT), newline included.
    const lines = plugin.logs("timed-fn", REGION);
    expect(lines.filter((l) => l.line.startsWith("REPORT"))).toHaveLength(2);
    expect(s.logBytes).toBe(lines.reduce((n, l) => n + Buffer.byteLength(l.line) + 1, 0));
  });

  it("forgets a deleted function", async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "bad-export" }));
    await expect(lambda.send(new InvokeCommand({ FunctionName: "bad-export" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
