// Fast tests of the operator CLIs' shared pieces: flags, --env resolution, error
// wording and exit codes, the rate limiter, the checkpoint file, pool lookup and
// the pure parts of reconcile and drift.
import { DescribeUserPoolCommand, ListUserPoolsCommand, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { BACKFILL_OPTIONS, backfillMain, readCheckpoint, writeFileAtomic } from "./backfill";
import {
  categoryOf,
  CliError,
  describeError,
  EXIT,
  formatDuration,
  parseFlags,
  Progress,
  rateLimits,
  RegionLimiter,
  resolveEnvironment,
  TokenBucket,
  type CliIo,
} from "../lib/cli";
import { diffValues, driftMain, poolSettings, triggers } from "./drift";
import { reconcileMain } from "./reconcile";
import { redriveMain } from "./redrive";
import { findPool } from "./target";
import { primaryCanonicalId, recordFromUser, sameContent } from "../../handlers/replication/pool-users";

function captureIo(isTTY = false): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    isTTY,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  };
  return io;
}

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as CliError).message;
  }
  throw new Error("expected a CliError");
};

describe("flags", () => {
  it("parses the common and the tool's flags", () => {
    const v = parseFlags(["--env", "local", "--direct", "--concurrency", "4", "--json"], BACKFILL_OPTIONS);
    expect(v).toMatchObject({ env: "local", direct: true, concurrency: "4", json: true, progress: false });
  });

  it("names an unknown flag, a missing value and a stray argument", () => {
    expect(usage(() => parseFlags(["--env", "local", "--bogus"], {}))).toBe("unknown flag '--bogus'");
    expect(usage(() => parseFlags(["--env"], {}))).toMatch(/--env/);
    expect(usage(() => parseFlags(["local"], {}))).toBe('unexpected argument "local" (flags start with --)');
  });

  it("rates default to 80 % of Cognito's quotas and are overridable", () => {
    expect(rateLimits({})).toEqual({ UserList: 24, UserCreation: 40, UserUpdate: 20, UserRead: 96 });
    expect(rateLimits({ "quota-share": "0.5", "create-rate": "7" })).toEqual({ UserList: 15, UserCreation: 7, UserUpdate: 12.5, UserRead: 60 });
    expect(usage(() => rateLimits({ "quota-share": "2" }))).toBe('--quota-share must be a number between 0.01 and 1 (got "2")');
    expect(usage(() => rateLimits({ "list-rate": "fast" }))).toBe('--list-rate must be a number >= 0.1 (got "fast")');
  });

  it("maps Cognito operations to their quota category", () => {
    expect(categoryOf("AdminCreateUserCommand")).toBe("UserCreation");
    expect(categoryOf("AdminAddUserToGroup")).toBe("UserUpdate");
    expect(categoryOf("ListUsersInGroupCommand")).toBe("UserList");
    expect(categoryOf("AdminListGroupsForUserCommand")).toBe("UserRead");
    expect(categoryOf("DescribeUserPoolCommand")).toBeUndefined();
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

describe("finding pools", () => {
  const fake = (pools: Array<{ Id: string; Name: string }>) => ({
    send: async (cmd: unknown) => {
      if (cmd instanceof ListUserPoolsCommand) return { UserPools: pools };
      if (cmd instanceof DescribeUserPoolCommand) {
        const p = pools.find((x) => x.Id === cmd.input.UserPoolId);
        if (!p) throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
        return { UserPool: p };
      }
      throw new Error("unexpected");
    },
  });

  it("finds a pool by name or id", async () => {
    const c = fake([{ Id: "us-east-1_abc", Name: "cdr-dev-users-primary" }]);
    expect(await findPool(c as never, "cdr-dev-users-primary", "us-east-1", "primary")).toEqual({ id: "us-east-1_abc", name: "cdr-dev-users-primary", region: "us-east-1" });
    expect((await findPool(c as never, "us-east-1_abc", "us-east-1", "primary")).name).toBe("cdr-dev-users-primary");
  });

  it("names the region and the pools there when the name is unknown", async () => {
    const c = fake([{ Id: "us-east-1_abc", Name: "other" }]);
    await expect(findPool(c as never, "cdr-dev-users-primary", "us-east-1", "primary")).rejects.toThrow(
      "unknown primary pool: no user pool named cdr-dev-users-primary in us-east-1 (pools there: other). Deployed? Right --env and region?",
    );
    await expect(findPool(c as never, "us-east-1_zzz", "us-east-1", "primary")).rejects.toThrow("unknown primary pool: no user pool us-east-1_zzz in us-east-1");
  });

  it("says wrong region when a pool id belongs elsewhere", async () => {
    await expect(findPool(fake([]) as never, "eu-west-1_abc", "us-east-1", "dr")).rejects.toMatchObject({
      message: "wrong region: dr pool id eu-west-1_abc belongs to eu-west-1, but the dr region is us-east-1 (set --dr-region)",
      exitCode: EXIT.TARGET,
    });
  });
});

describe("rate limiting", () => {
  it("a token bucket spaces requests at its rate", async () => {
    let t = 0;
    const b = new TokenBucket(10, 1, () => t, async (ms) => void (t += ms));
    for (let i = 0; i < 21; i++) await b.take();
    expect(t).toBeCloseTo(2000, -1);
    expect(b.achieved(0, t)).toBeCloseTo(10.5, 0);
  });

  it("wraps a client so each call takes a token of its category", async () => {
    const calls: string[] = [];
    const client = { send: async (c: { constructor: { name: string } }) => void calls.push(c.constructor.name), other: 1 };
    const l = new RegionLimiter("us-east-1", { UserList: 1000, UserCreation: 1000, UserUpdate: 1000, UserRead: 1000 });
    const wrapped = l.wrap(client as never) as typeof client;
    await wrapped.send(new ListUserPoolsCommand({ MaxResults: 1 }));
    await wrapped.send(new DescribeUserPoolCommand({ UserPoolId: "x" }));
    expect(calls).toEqual(["ListUserPoolsCommand", "DescribeUserPoolCommand"]);
    expect(wrapped.other).toBe(1);
    expect(l.report()).toEqual([]); // neither is a metered user operation
  });
});

describe("progress", () => {
  it("is silent unless stderr is a terminal or --progress is given", () => {
    const io = captureIo(false);
    const p = Progress.for("x", io, {}, 10);
    p.update(5);
    p.finish();
    expect(io.err).toBe("");
    const forced = Progress.for("backfill", io, { progress: true }, 10);
    forced.finish();
    expect(io.err).toMatch(/^backfill \[\.+\] 0\/10 0% 0\.0\/s ETA \?/);
  });

  it("formats durations", () => {
    expect([formatDuration(5), formatDuration(125), formatDuration(7300)]).toEqual(["5s", "2m05s", "2h01m"]);
  });
});

describe("checkpoint file", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is replaced atomically and read back", () => {
    dir = mkdtempSync(join(tmpdir(), "ckpt-"));
    const path = join(dir, "sub", "c.json");
    writeFileAtomic(path, JSON.stringify({ version: 1, tool: "backfill", pageIndex: 3 }));
    writeFileAtomic(path, JSON.stringify({ version: 1, tool: "backfill", pageIndex: 4 }));
    expect(readCheckpoint(path)?.pageIndex).toBe(4);
    expect(readdirSync(join(dir, "sub"))).toEqual(["c.json"]); // no temporary file left
    expect(readCheckpoint(join(dir, "absent.json"))).toBeUndefined();
  });

  it("rejects a file that is not a checkpoint", () => {
    dir = mkdtempSync(join(tmpdir(), "ckpt-"));
    const path = join(dir, "c.json");
    writeFileAtomic(path, "{ nope");
    expect(() => readCheckpoint(path)).toThrow(/is not valid JSON; remove it or pass --restart/);
    writeFileAtomic(path, "{}");
    expect(() => readCheckpoint(path)).toThrow(/is not a backfill checkpoint/);
    expect(readFileSync(path, "utf8")).toBe("{}");
  });
});

describe("the CLIs' entry points", () => {
  it.each([
    ["backfill", backfillMain, /--direct/],
    ["reconcile", reconcileMain, /--allow-delete/],
    ["drift", driftMain, /code SHA-256/],
    ["redrive", redriveMain, /--reason <code>/],
  ] as const)("%s --help prints usage with the exit codes", async (_name, main, flag) => {
    const io = captureIo();
    expect(await main(["--help"], io)).toBe(EXIT.OK);
    expect(io.out).toMatch(flag);
    expect(io.out).toMatch(/Exit codes:\n {2}0 {2}success/);
  });

  it("usage errors are CliErrors (exit 2) before any AWS call", async () => {
    await expect(backfillMain(["--env", "local", "--concurrency", "0"], captureIo())).rejects.toMatchObject({
      message: '--concurrency must be an integer between 1 and 256 (got "0")',
      exitCode: EXIT.USAGE,
    });
    await expect(reconcileMain(["--apply"], captureIo())).rejects.toMatchObject({ message: "--env is required (local, dev, staging or prod)", exitCode: EXIT.USAGE });
  });
});

describe("records from pools", () => {
  const config = replicationConfig();
  const user = (attrs: Record<string, string>, extra: Partial<UserType> = {}): UserType => ({
    Username: "u1",
    Enabled: true,
    UserStatus: "CONFIRMED",
    UserCreateDate: new Date(1_000),
    Attributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
    ...extra,
  });

  it("the canonical id is custom:canonical_id when set, else sub", () => {
    expect(primaryCanonicalId(user({ sub: "s1" }), config)).toBe("s1");
    expect(primaryCanonicalId(user({ sub: "s1", "custom:canonical_id": "c1" }), config)).toBe("c1");
  });

  it("builds the replicated record (replicated attributes only) and compares content", () => {
    const ctx = { region: "us-east-1", poolId: "us-east-1_abc", config, ttlDays: 30, now: 5_000 };
    const r = recordFromUser(user({ sub: "s1", email: "a@example.com", given_name: "A", "custom:secret": "x" }), ["b", "a"], ctx);
    expect(r).toMatchObject({ canonicalId: "s1", username: "u1", attributes: { email: "a@example.com", given_name: "A" }, groups: ["a", "b"], enabled: true, version: 5_000, confirmedAt: 1_000 });
    expect(sameContent(r, { ...r, version: 9, groups: ["b", "a"] })).toBe(true);
    expect(sameContent(r, { ...r, enabled: false })).toBe(false);
    expect(sameContent(r, { ...r, attributes: { ...r.attributes, given_name: "B" } })).toBe(false);
  });
});

describe("drift comparison", () => {
  it("reports leaf differences by path", () => {
    expect(diffValues("pool", { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } }, { PasswordPolicy: { MinimumLength: 8, RequireSymbols: true } })).toEqual([
      { area: "pool", field: "PasswordPolicy.MinimumLength", primary: 12, dr: 8 },
    ]);
    expect(diffValues("pool", { Schema: [{ Name: "email", Required: true }] }, { Schema: [{ Name: "email", Required: false }] })[0].field).toBe("Schema[email].Required");
    expect(diffValues("c", { A: ["x"] }, { A: ["x", "y"] })).toEqual([{ area: "c", field: "A", primary: ["x"], dr: ["x", "y"] }]);
  });

  it("compares the email sender without the region of each pool's own SES identity", () => {
    const pool = (region: string, from: string) => ({
      EmailConfiguration: { EmailSendingAccount: "DEVELOPER" as const, From: from, SourceArn: `arn:aws:ses:${region}:111122223333:identity/example.com` },
    });
    expect(diffValues("pool", poolSettings(pool("us-east-1", "a@example.com")), poolSettings(pool("us-west-2", "a@example.com")))).toEqual([]);
    expect(diffValues("pool", poolSettings(pool("us-east-1", "a@example.com")), poolSettings(pool("us-west-2", "b@example.com")))).toEqual([
      { area: "pool", field: "EmailConfiguration.From", primary: "a@example.com", dr: "b@example.com" },
    ]);
  });

  it("reads every trigger's function ARN", () => {
    expect(
      triggers({
        LambdaConfig: {
          PostConfirmation: "arn:aws:lambda:us-east-1:1:function:pc",
          PreTokenGeneration: "arn:aws:lambda:us-east-1:1:function:pt",
          PreTokenGenerationConfig: { LambdaArn: "arn:aws:lambda:us-east-1:1:function:pt", LambdaVersion: "V2_0" },
          KMSKeyID: "k",
        },
      }),
    ).toEqual({ PostConfirmation: "arn:aws:lambda:us-east-1:1:function:pc", PreTokenGenerationConfig: "arn:aws:lambda:us-east-1:1:function:pt" });
  });
});
