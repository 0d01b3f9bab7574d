// The one line an operator reads for a failure, and its exit code.
import { describe, expect, it } from "vitest";
import { CliError, describeError, EXIT } from "./errors";
import { resolveEnvironment } from "./flags";

describe("error messages", () => {
  const local = resolveEnvironment({ env: "local" }, { SANDBOX_ENDPOINT: "http://127.0.0.1:4599" });
  const dev = resolveEnvironment({ env: "dev" }, {});

  it("says how to get credentials instead of a stack trace", () => {
    const err = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
    expect(describeError(err)).toEqual({ message: expect.stringMatching(/^no AWS credentials found: set AWS_PROFILE/), exitCode: EXIT.TARGET });
    expect(describeError(Object.assign(new Error("x"), { name: "ExpiredTokenException" })).message).toMatch(/rejected the credentials/);
  });

  it("points at the sandbox for local and at the region otherwise", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(describeError(refused, { env: local }).message).toBe("cannot reach the sandbox at http://127.0.0.1:4599 (ECONNREFUSED): start it with `npm run sandbox` or set SANDBOX_ENDPOINT");
    const dns = Object.assign(new Error("getaddrinfo"), { name: "Error", cause: { code: "ENOTFOUND" } });
    expect(describeError(dns, { env: dev }).message).toMatch(/is the region name right/);
  });

  it("passes CliErrors through with their exit code", () => {
    expect(describeError(new CliError("unknown primary pool", EXIT.TARGET))).toEqual({ message: "unknown primary pool", exitCode: EXIT.TARGET });
    expect(describeError(Object.assign(new Error("User: x is not authorized"), { name: "AccessDeniedException" })).message).toBe("access denied: User: x is not authorized");
  });
});
