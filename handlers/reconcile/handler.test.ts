import { ListGroupsCommand, ListUserPoolsCommand, ListUsersCommand, AdminCreateUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { replicationConfig } from "../shared/replication-config";
import { createLogger } from "../shared/logger";
import { DriftRemainsError, makeHandler, type ReconcileConfig } from "./handler";

const PRIMARY = "us-east-1_primary1";
const DR = "us-west-2_dr1";

function pool(users: object[], calls: string[]) {
  return {
    send: async (cmd: { constructor: { name: string }; input?: unknown }) => {
      calls.push(cmd.constructor.name);
      if (cmd instanceof ListUserPoolsCommand) return { UserPools: [{ Id: PRIMARY, Name: "cdr-test-users-primary" }] };
      if (cmd instanceof ListUsersCommand) return { Users: users };
      if (cmd instanceof ListGroupsCommand) return { Groups: [] };
      if (cmd instanceof AdminCreateUserCommand) return { User: { Username: "x" } };
      throw new Error(`unexpected ${cmd.constructor.name}`);
    },
  };
}

const user = { Username: "u1", Enabled: true, UserStatus: "CONFIRMED", Attributes: [{ Name: "sub", Value: "s1" }, { Name: "email", Value: "a@example.com" }] };

function setup(apply: boolean) {
  const metrics: Record<string, number> = {};
  const calls = { primary: [] as string[], dr: [] as string[] };
  const config: ReconcileConfig = {
    primaryRegion: "us-east-1",
    primaryPoolName: "cdr-test-users-primary",
    drRegion: "us-west-2",
    drUserPoolId: DR,
    apply,
    allowDelete: false,
    quotaShare: 0.5,
    ttlDays: 30,
    replication: replicationConfig(),
  };
  const handler = makeHandler({
    config,
    primary: pool([user], calls.primary),
    dr: pool([], calls.dr),
    logger: createLogger({ logLevel: "SILENT" }),
    metrics: { addMetric: (name, _unit, value) => void (metrics[name] = value), publishStoredMetrics: () => undefined },
  });
  return { handler, metrics, calls };
}

describe("scheduled reconcile", () => {
  it("report only: fails the run when drift is found (the errors alarm fires) and counts it", async () => {
    const { handler, metrics, calls } = setup(false);
    await expect(handler()).rejects.toThrow(DriftRemainsError);
    expect(metrics).toEqual({ ReconcileDrift: 1, ReconcileUnrepaired: 1 });
    expect(calls.dr).not.toContain("AdminCreateUserCommand");
  });

  it("lists primary users whose email is not verified on their own, not as drift", async () => {
    const { handler } = setup(true);
    const out = await handler();
    // `user` has no email_verified: the primary never proved the address.
    expect(out.counts.unverifiedEmail).toBe(1);
    const verified = { ...user, Attributes: [...user.Attributes, { Name: "email_verified", Value: "true" }] };
    const calls = { primary: [] as string[], dr: [] as string[] };
    const again = makeHandler({
      config: { primaryRegion: "us-east-1", primaryPoolName: "cdr-test-users-primary", drRegion: "us-west-2", drUserPoolId: DR, apply: true, allowDelete: false, quotaShare: 0.5, ttlDays: 30, replication: replicationConfig() },
      primary: pool([verified], calls.primary),
      dr: pool([], calls.dr),
      logger: createLogger({ logLevel: "SILENT" }),
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
    });
    expect((await again()).counts.unverifiedEmail).toBe(0);
  });

  it("apply: repairs through the shared upsert and succeeds", async () => {
    const { handler, metrics, calls } = setup(true);
    const out = await handler();
    expect(out.counts.missing_in_dr).toBe(1);
    expect(out.unrepaired).toBe(0);
    expect(metrics.ReconcileUnrepaired).toBe(0);
    expect(calls.dr).toContain("AdminCreateUserCommand");
    expect(calls.primary.filter((c) => c === "ListUserPoolsCommand")).toHaveLength(1);
  });
});
