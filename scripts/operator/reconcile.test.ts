// reconcile's help and usage errors, how it joins the two pools' users, and how its summary shows
// canonical id conflicts.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { primaryCanonicalId } from "../../handlers/replication/pool-users";
import { reconcilePools } from "../../handlers/replication/reconcile";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { FakePool } from "../../test/support/fake-cognito";
import { captureIo } from "../../test/support/cli-io";
import { EXIT } from "../lib/errors";
import { humanReport, reconcile, type ReconcileReport } from "./reconcile";

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
  const user = (attrs: Record<string, string>): UserType => ({ Username: "u1", Enabled: true, UserStatus: "CONFIRMED", Attributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })) });

  it("a primary user's canonical id is its sub, whatever custom:canonical_id it carries", () => {
    expect(primaryCanonicalId(user({ sub: "s1" }))).toBe("s1");
    expect(primaryCanonicalId(user({ sub: "s1", "custom:canonical_id": "c1" }))).toBe("s1");
    expect(primaryCanonicalId(user({ "custom:canonical_id": "c1" }))).toBeUndefined();
  });
});

describe("the summary", () => {
  it("counts canonical id conflicts, lists both users and says how to resolve them", async () => {
    const user = (id: string, attrs: Record<string, string> = {}) => ({ username: `p-${id}`, attributes: { sub: id, email: `${id}@example.com`, email_verified: "true", ...attrs } });
    const primary = new FakePool("us-east-1_P", [user("victim"), user("thief", { "custom:canonical_id": "victim" })]);
    const dr = new FakePool("us-west-2_D", [{ username: "victim@example.com", attributes: { sub: "dr-v", email: "victim@example.com", email_verified: "true", "custom:canonical_id": "victim" } }]);
    const result = await reconcilePools({ primary, dr, primaryPoolId: primary.poolId, drPoolId: dr.poolId, primaryRegion: "us-east-1", config: replicationConfig(), ttlDays: 30 }, { apply: true });
    const report: ReconcileReport = {
      ...result,
      tool: "reconcile",
      env: "test",
      apply: true,
      allowDelete: false,
      primaryPool: { id: primary.poolId, region: "us-east-1" },
      drPool: { id: dr.poolId, region: "us-west-2" },
      throughput: { usersPerSecond: 1, boundUsersPerSecond: 1, fractionOfBound: 1, bound: "test" },
      rates: [],
    };
    const text = humanReport(report);
    expect(text).toMatch(/canonical id conflicts \(never repaired\)\s+2\s+0/);
    expect(text).toMatch(/not repaired \(2\):\n {2}conflict\s+victim {2}p-victim {2}another primary user claims/);
    expect(text).toMatch(/\n {2}conflict\s+thief {2}p-thief {2}custom:canonical_id claims/);
    expect(text).toMatch(/conflicts are never repaired: remove custom:canonical_id from the primary user that should not carry it/);
    expect(report.unrepaired).toBe(2); // exit 1 (EXIT.DRIFT), as for any drift left
  });
});
