// backfill's flags, help and usage errors, and the records it writes from a pool's users.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { recordFromUser, sameContent } from "../../handlers/replication/pool-users";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { captureIo } from "../../test/support/cli-io";
import { EXIT } from "../lib/errors";
import { parseFlags } from "../lib/flags";
import { backfill, BACKFILL_OPTIONS } from "./backfill";

describe("backfill's command line", () => {
  it("parses the common and the tool's flags", () => {
    const v = parseFlags(["--env", "local", "--direct", "--concurrency", "4", "--json"], BACKFILL_OPTIONS);
    expect(v).toMatchObject({ env: "local", direct: true, concurrency: "4", json: true, progress: false });
  });

  it("backfill --help prints usage with the exit codes", async () => {
    const io = captureIo();
    expect(await backfill.execute(["--help"], io)).toBe(EXIT.OK);
    expect(io.out).toMatch(/--direct/);
    expect(io.out).toMatch(/Exit codes:\n {2}0 {2}success/);
  });

  it("usage errors are CliErrors (exit 2) before any AWS call", async () => {
    await expect(backfill.execute(["--env", "local", "--concurrency", "0"], captureIo())).rejects.toMatchObject({
      message: '--concurrency must be an integer between 1 and 256 (got "0")',
      exitCode: EXIT.USAGE,
    });
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

  it("builds the replicated record (replicated attributes only) and compares content", () => {
    const ctx = { region: "us-east-1", poolId: "us-east-1_abc", config, ttlDays: 30, now: 5_000 };
    const r = recordFromUser(user({ sub: "s1", email: "a@example.com", given_name: "A", "custom:secret": "x" }), ["b", "a"], ctx);
    expect(r).toMatchObject({ canonicalId: "s1", username: "u1", attributes: { email: "a@example.com", given_name: "A" }, groups: ["a", "b"], enabled: true, version: 5_000, confirmedAt: 1_000 });
    expect(sameContent(r, { ...r, version: 9, groups: ["b", "a"] })).toBe(true);
    expect(sameContent(r, { ...r, enabled: false })).toBe(false);
    expect(sameContent(r, { ...r, attributes: { ...r.attributes, given_name: "B" } })).toBe(false);
  });
});
