// Reading the tools' flags and --env: unknown flags, missing values and stray arguments named;
// regions from the environment, overridable, checked.
import { describe, expect, it } from "vitest";
import { usage } from "../../test/support/cli-io";
import { parseFlags, resolveEnvironment } from "./flags";

describe("flags", () => {
  it("names an unknown flag, a missing value and a stray argument", () => {
    expect(usage(() => parseFlags(["--env", "local", "--bogus"], {}))).toBe("unknown flag '--bogus'");
    expect(usage(() => parseFlags(["--env"], {}))).toMatch(/--env/);
    expect(usage(() => parseFlags(["local"], {}))).toBe('unexpected argument "local" (flags start with --)');
  });
});

describe("--env resolution", () => {
  it("requires --env and knows the environments", () => {
    expect(usage(() => resolveEnvironment({}))).toBe("--env is required (local, dev, staging or prod)");
    expect(usage(() => resolveEnvironment({ env: "qa" }))).toBe("--env must be one of local, dev, staging, prod (got qa)");
  });

  it("takes regions from the environment, overridable by flags", () => {
    const env = resolveEnvironment({ env: "dev" }, {});
    expect([env.primaryRegion, env.drRegion]).toEqual(["us-east-1", "us-west-2"]);
    const moved = resolveEnvironment({ env: "dev", "dr-region": "eu-west-1" }, {});
    expect(moved.drRegion).toBe("eu-west-1");
    expect(resolveEnvironment({ env: "local" }, { SANDBOX_ENDPOINT: "http://127.0.0.1:9" }).sandboxEndpoint).toBe("http://127.0.0.1:9");
  });

  it("rejects a wrong region", () => {
    expect(usage(() => resolveEnvironment({ env: "dev", "primary-region": "us-east" }, {}))).toBe('--primary-region "us-east" is not an AWS region name (like us-east-1)');
    expect(usage(() => resolveEnvironment({ env: "dev", "dr-region": "us-east-1" }, {}))).toBe("primary and DR region are both us-east-1; they must differ");
  });
});
