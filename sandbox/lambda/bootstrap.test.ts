// The runtime stand-in itself, in a child process as the Lambda plugin runs it: what depends on the
// runtime setting alone (not on which Node executes it), such as Node.js 24's refusal of
// callback-style handlers.

import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_SOURCE } from "./bootstrap";

const dir = mkdtempSync(join(tmpdir(), "bootstrap-test-"));
writeFileSync(join(dir, "bootstrap.cjs"), BOOTSTRAP_SOURCE);
writeFileSync(join(dir, "index.js"), "exports.callbackStyle = (event, context, callback) => callback(null, { called: true });\n");

function invokeOnce(runtime: string): Promise<{ ok: boolean; payload?: string; error?: { errorType: string; errorMessage: string } }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(dir, "bootstrap.cjs"), [], {
      cwd: dir,
      env: { LAMBDA_TASK_ROOT: dir, _HANDLER: "index.callbackStyle", AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}` },
      stdio: ["ignore", "ignore", "ignore", "ipc"],
    });
    child.on("error", reject);
    child.on("message", (m: { type: string; ok?: boolean; payload?: string; error?: { errorType: string; errorMessage: string } }) => {
      if (m.type === "ready") {
        child.send({ type: "invoke", id: "1", event: {}, context: { awsRequestId: "1", deadlineMs: Date.now() + 5000 } });
      } else if (m.type === "result") {
        child.kill();
        resolve({ ok: !!m.ok, payload: m.payload, error: m.error });
      }
    });
  });
}

describe("bootstrap", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs a callback-style handler on nodejs22.x", async () => {
    expect(await invokeOnce("nodejs22.x")).toMatchObject({ ok: true, payload: '{"called":true}' });
  });

  it("refuses it on nodejs24.x, as Lambda's Node.js 24 runtime does", async () => {
    expect(await invokeOnce("nodejs24.x")).toMatchObject({
      ok: false,
      error: { errorType: "Runtime.CallbackHandlerDeprecated", errorMessage: expect.stringContaining("starting with Node.js 24") },
    });
  });
});
