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
// The fixtures' subs are not UUIDs: each pool is listed as one segment (segmented-list.test.ts covers the segments).
import { WHOLE_POOL } from "../../handlers/replication/segmented-list";

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
    const result = await reconcilePools({ primary, dr, primaryPoolId: primary.poolId, drPoolId: dr.poolId, primaryRegion: "us-east-1", config: replicationConfig(), ttlDays: 30 }, { apply: true, segments: WHOLE_POOL });
    const report: ReconcileReport = {
      ...result,
      tool: "reconcile",
      peakRssMb: 100,
      spilledMb: 0,
      env: "test",
      apply: true,
      allowDelete: false,
      mode: "one-way",
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

describe("the summary: twins, users outside the listing, and what change capture missed", () => {
  it("names the twins' row, the users found outside the listing, and the missed-by-capture counts by kind", async () => {
    const primary = new FakePool("us-east-1_P", [
      { username: "p-a", attributes: { sub: "a", email: "user-a@example.com", email_verified: "true" } },
      { username: "p-m", attributes: { sub: "m", email: "moved@example.com", email_verified: "true" } },
    ]);
    const dr = new FakePool("us-west-2_D", [
      { username: "d-a1", attributes: { sub: "d1", email: "user-a@example.com", email_verified: "true", "custom:canonical_id": "a" } },
      { username: "d-a2", attributes: { sub: "d2", email: "user-old-a@example.com", email_verified: "true", "custom:canonical_id": "a" } },
      { username: "d-m", attributes: { sub: "d3", email: "user-m@example.com", email_verified: "true", "custom:canonical_id": "m" } },
    ]);
    const result = await reconcilePools({ primary, dr, primaryPoolId: primary.poolId, drPoolId: dr.poolId, primaryRegion: "us-east-1", config: replicationConfig(), ttlDays: 30 }, { filter: 'email ^= "user-"', segments: WHOLE_POOL });
    const report: ReconcileReport = {
      ...result,
      tool: "reconcile",
      peakRssMb: 100,
      spilledMb: 0,
      env: "test",
      apply: false,
      allowDelete: false,
      mode: "one-way",
      primaryPool: { id: primary.poolId, region: "us-east-1" },
      drPool: { id: dr.poolId, region: "us-west-2" },
      throughput: { usersPerSecond: 1, boundUsersPerSecond: 1, fractionOfBound: 1, bound: "test" },
      rates: [],
    };
    const text = humanReport(report);
    expect(text).toMatch(/primary users 1 \(\+1 outside the listing, found by canonical id\), DR users 3/);
    expect(text).toMatch(/twins \(second DR user of one canonical id\)\s+1/);
    expect(text).toMatch(/missed by change capture \(should have been carried; a rising count means capture is broken\): attribute differences 1/);
    expect(text).not.toMatch(/extra in DR\s+[1-9]/);
  });

  it("the help names --table and --capture-grace", async () => {
    const io = captureIo();
    await reconcile.execute(["--help"], io);
    expect(io.out).toMatch(/--table <name>/);
    expect(io.out).toMatch(/--capture-grace <min>/);
    expect(io.out).toMatch(/twin {12}a second DR user/);
  });
});
