// reconcile's help and usage errors, and how it joins the two pools' users.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { primaryCanonicalId } from "../../handlers/replication/pool-users";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { captureIo } from "../../test/support/cli-io";
import { EXIT } from "../lib/errors";
import { reconcile } from "./reconcile";

describe("reconcile's command line", () => {
  it("reconcile --help prints usage with the exit codes", async () => {
    const io = captureIo();
    expect(await reconcile.execute(["--help"], io)).toBe(EXIT.OK);
    expect(io.out).toMatch(/--allow-delete/);
    expect(io.out).toMatch(/Exit codes:\n {2}0 {2}success/);
  });

  it("usage errors are CliErrors (exit 2) before any AWS call", async () => {
    await expect(reconcile.execute(["--apply"], captureIo())).rejects.toMatchObject({ message: "--env is required (local, dev, staging or prod)", exitCode: EXIT.USAGE });
  });
});

describe("joining the pools", () => {
  const config = replicationConfig();
  const user = (attrs: Record<string, string>): UserType => ({ Username: "u1", Enabled: true, UserStatus: "CONFIRMED", Attributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })) });

  it("the canonical id is custom:canonical_id when set, else sub", () => {
    expect(primaryCanonicalId(user({ sub: "s1" }), config)).toBe("s1");
    expect(primaryCanonicalId(user({ sub: "s1", "custom:canonical_id": "c1" }), config)).toBe("c1");
  });
});
