import { ListGroupsCommand, ListUserPoolsCommand, ListUsersCommand, AdminCreateUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { replicationConfig } from "../replication/replication-config";
import { createLogger } from "../shared/logger";
import { ENV } from "../contract";
import { ConfigError } from "../shared/env";
import { logLines } from "../../test/support/logs";
import { captureOutput } from "../../test/support/pii-guard";
import { recordingMetrics } from "../../test/support/fakes";
import { readReconcileBucket, readReconcileConfig } from "./config";
import { DriftRemainsError, makeHandler as make, type ReconcileConfig, type ReconcileDepsIn } from "./handler";
import { memoryStore } from "./store";

type OneShotConfig = Omit<ReconcileConfig, "passIntervalMinutes" | "timeBudgetSeconds">;

/** One invocation with a fresh bucket and ample time: a whole pass, as before passes spanned invocations. */
function makeHandler(deps: Omit<ReconcileDepsIn, "store" | "config"> & { config: OneShotConfig }) {
  const handler = make({ ...deps, config: { passIntervalMinutes: 60, timeBudgetSeconds: 600, ...deps.config }, store: memoryStore() });
  return async () => {
    const out = await handler();
    if (out.status !== "completed") throw new Error(`expected a completed pass, got ${out.status}`);
    return out;
  };
}

const PRIMARY = "us-east-1_primary1";
const DR = "us-west-2_dr1";

/** ListUsers' sub filters the scheduled reconcile sends: `sub ^= "<segment>"`, and `sub = "<id>"` (a DR user's primary). */
function matches(filter: string | undefined): (u: object) => boolean {
  const m = filter === undefined ? { op: "^=", v: "" } : /^sub (?<op>\^?=) "(?<v>.*)"$/.exec(filter)?.groups;
  if (!m) throw new Error(`unexpected filter ${filter}`);
  const sub = (u: object) => (u as { Attributes?: Array<{ Name: string; Value: string }> }).Attributes?.find((a) => a.Name === "sub")?.Value ?? "";
  return (u) => (m.op === "=" ? sub(u) === m.v : sub(u).startsWith(m.v!));
}

function pool(users: object[], calls: string[]) {
  return {
    send: async (cmd: { constructor: { name: string }; input?: unknown }) => {
      calls.push(cmd.constructor.name);
      if (cmd instanceof ListUserPoolsCommand) return { UserPools: [{ Id: PRIMARY, Name: "cdr-test-users-primary" }] };
      // The pass lists by sub prefix (`sub ^= "a"`); an unfiltered call gets everyone.
      if (cmd instanceof ListUsersCommand) return { Users: users.filter(matches((cmd.input as { Filter?: string }).Filter)) };
      if (cmd instanceof ListGroupsCommand) return { Groups: [] };
      if (cmd instanceof AdminCreateUserCommand) return { User: { Username: "x" } };
      throw new Error(`unexpected ${cmd.constructor.name}`);
    },
  };
}

const user = { Username: "u1", Enabled: true, UserStatus: "CONFIRMED", Attributes: [{ Name: "sub", Value: "a1" }, { Name: "email", Value: "a@example.com" }] };

/** The table's DR replica: no canonical id -> DR user items yet, and writes accepted. */
const ddb = { send: async () => ({}) };

function setup(apply: boolean) {
  const metrics = recordingMetrics();
  const calls = { primary: [] as string[], dr: [] as string[] };
  const config: OneShotConfig = {
    primaryRegion: "us-east-1",
    primaryPoolName: "cdr-test-users-primary",
    drRegion: "us-west-2",
    targetPoolId: DR,
    tableName: "cdr-test-users",
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
    ddb,
    logger: createLogger({ logLevel: "SILENT" }),
    metrics,
  });
  return { handler, metrics, calls };
}

describe("scheduled reconcile", () => {
  it("report only: fails the run when drift is found (the errors alarm fires) and counts it", async () => {
    const { handler, metrics, calls } = setup(false);
    await expect(handler()).rejects.toThrow(DriftRemainsError);
    expect(metrics.entries.filter((e) => !e.dimensions).map((e) => [e.name, e.value])).toEqual([
      ["ReconcileDrift", 1],
      ["ReconcileUnrepaired", 1],
      ["ReconcileMissedByCapture", 1],
    ]);
    // By kind, for the alarm that says change capture is broken.
    expect(metrics.byDimension("ReconcileMissedByCapture", "kind")).toEqual({ missing_in_dr: 1, missing_in_primary: 0, extra_in_dr: 0, attributes: 0, enabled: 0, groups: 0 });
    expect(metrics.byDimension("ReconcileRepairedMissedByCapture", "kind")).toEqual({ missing_in_dr: 0, missing_in_primary: 0, extra_in_dr: 0, attributes: 0, enabled: 0, groups: 0 });
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
      config: { primaryRegion: "us-east-1", primaryPoolName: "cdr-test-users-primary", drRegion: "us-west-2", targetPoolId: DR, tableName: "cdr-test-users", apply: true, allowDelete: false, quotaShare: 0.5, ttlDays: 30, replication: replicationConfig() },
      primary: pool([verified], calls.primary),
      dr: pool([], calls.dr),
      logger: createLogger({ logLevel: "SILENT" }),
      ddb,
      metrics: recordingMetrics(),
    });
    expect((await again()).counts.unverifiedEmail).toBe(0);
  });

  it("apply: repairs through the shared upsert and succeeds", async () => {
    const { handler, metrics, calls } = setup(true);
    const out = await handler();
    expect(out.counts.missing_in_dr).toBe(1);
    expect(out.unrepaired).toBe(0);
    expect(metrics.total("ReconcileUnrepaired")).toBe(0);
    expect(metrics.byDimension("ReconcileRepairedMissedByCapture", "kind")).toMatchObject({ missing_in_dr: 1 });
    expect(out.missedByCapture.missing_in_dr).toBe(1);
    expect(calls.dr).toContain("AdminCreateUserCommand");
    expect(calls.primary.filter((c) => c === "ListUserPoolsCommand")).toHaveLength(1);
  });
});

describe("scheduled reconcile: finding the primary pool, its report and its configuration", () => {
  const base = { primaryRegion: "us-east-1", primaryPoolName: "cdr-test-users-primary", drRegion: "us-west-2", targetPoolId: DR, tableName: "cdr-test-users", apply: false, allowDelete: false, quotaShare: 0.5, ttlDays: 30, replication: replicationConfig() };
  const quiet = recordingMetrics();

  it("finds the primary pool by exact name across pages, and refuses none or two", async () => {
    const pages = (pools: Array<Array<{ Id?: string; Name: string }>>) => ({
      send: async (cmd: { input?: { NextToken?: string } }) => {
        if (!(cmd instanceof ListUserPoolsCommand)) return cmd instanceof ListGroupsCommand ? { Groups: [] } : { Users: [] };
        const i = Number(cmd.input?.NextToken ?? 0);
        return { UserPools: pools[i], NextToken: i + 1 < pools.length ? String(i + 1) : undefined };
      },
    });
    const run = (pools: Array<Array<{ Id?: string; Name: string }>>) =>
      makeHandler({ config: base, primary: pages(pools), dr: pool([], []), ddb, logger: createLogger({ logLevel: "SILENT" }), metrics: quiet })();
    await expect(run([[{ Id: "us-east-1_other", Name: "cdr-test-users-primary-old" }], [{ Id: PRIMARY, Name: "cdr-test-users-primary" }]])).resolves.toMatchObject({ unrepaired: 0 });
    await expect(run([[{ Id: "us-east-1_other", Name: "cdr-test-users-primary-old" }, { Name: "cdr-test-users-primary" }]])).rejects.toThrow("expected one user pool named cdr-test-users-primary in us-east-1, found 0");
    await expect(run([[{ Id: "a", Name: "cdr-test-users-primary" }], [{ Id: "b", Name: "cdr-test-users-primary" }]])).rejects.toThrow("expected one user pool named cdr-test-users-primary in us-east-1, found 2");
  });

  it("logs the unrepaired drift (kinds and canonical ids, no values) and says why it fails", async () => {
    const logger = createLogger({ logLevel: "INFO" });
    const output = captureOutput();
    try {
      const handler = makeHandler({ config: base, primary: pool([user], []), dr: pool([], []), ddb, logger, metrics: quiet });
      await expect(handler()).rejects.toThrow(new DriftRemainsError("1 drift item(s) not repaired (report only); see the log for the list"));
    } finally {
      output.restore();
    }
    const line = logLines(output.lines).find((l) => l.message === "reconcile finished");
    expect(line).toMatchObject({ level: "INFO", unrepaired: 1, counts: { missing_in_dr: 1 }, missedByCapture: { missing_in_dr: 1 }, sample: [{ kind: "missing_in_dr", canonicalId: "a1", detail: "no DR user with this canonical id" }] });
    expect(JSON.stringify(line)).not.toContain("a@example.com");
    expect(new DriftRemainsError("x").name).toBe("DriftRemainsError");
  });

  it("reads its flags strictly: true, false or unset (false); anything else names the variable", () => {
    const env = { [ENV.PRIMARY_REGION]: "us-east-1", [ENV.PRIMARY_USER_POOL_NAME]: "p", AWS_REGION: "us-west-2", [ENV.TARGET_USER_POOL_ID]: "us-west-2_x", [ENV.TABLE_NAME]: "cdr-test-users" };
    expect(readReconcileConfig(env)).toMatchObject({ apply: false, allowDelete: false, quotaShare: 0.5, tableName: "cdr-test-users" });
    expect(() => readReconcileConfig({ ...env, [ENV.TABLE_NAME]: "" })).toThrow("Environment variable TABLE_NAME is required but not set");
    expect(readReconcileConfig({ ...env, [ENV.RECONCILE_APPLY]: " true ", [ENV.RECONCILE_ALLOW_DELETE]: "false" })).toMatchObject({ apply: true, allowDelete: false });
    expect(readReconcileConfig({ ...env, [ENV.RECONCILE_ALLOW_DELETE]: "true" })).toMatchObject({ apply: false, allowDelete: true });
    expect(() => readReconcileConfig({ ...env, [ENV.RECONCILE_APPLY]: "yes" })).toThrow(ConfigError);
    expect(() => readReconcileConfig({ ...env, [ENV.RECONCILE_APPLY]: "yes" })).toThrow(`must be "true" or "false" (got "yes")`);
    // A pass every day, 840 s of work per invocation, unless the stack says otherwise; nonsense names the variable.
    expect(readReconcileConfig(env)).toMatchObject({ passIntervalMinutes: 1440, timeBudgetSeconds: 840 });
    expect(readReconcileConfig({ ...env, [ENV.RECONCILE_PASS_INTERVAL_MINUTES]: "360", [ENV.RECONCILE_TIME_BUDGET_SECONDS]: "600" })).toMatchObject({ passIntervalMinutes: 360, timeBudgetSeconds: 600 });
    expect(() => readReconcileConfig({ ...env, [ENV.RECONCILE_PASS_INTERVAL_MINUTES]: "1.5" })).toThrow("RECONCILE_PASS_INTERVAL_MINUTES");
    expect(() => readReconcileConfig({ ...env, [ENV.RECONCILE_TIME_BUDGET_SECONDS]: "901" })).toThrow("RECONCILE_TIME_BUDGET_SECONDS");
    expect(() => readReconcileBucket(env)).toThrow("Environment variable RECONCILE_BUCKET is required but not set");
    expect(readReconcileBucket({ [ENV.RECONCILE_BUCKET]: "b" })).toBe("b");
  });

  it("logs at most 50 unrepaired items, only unrepaired ones, and says apply was on", async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ ...user, Username: `u${i}`, Attributes: [{ Name: "sub", Value: `a${i}` }, { Name: "email", Value: `u${i}@example.com` }] }));
    const dr = {
      send: async (cmd: { input?: { Username?: string } }) => {
        if (cmd instanceof ListUsersCommand) return { Users: [] };
        if (cmd instanceof ListGroupsCommand) return { Groups: [] };
        // The first five users are repaired; the rest fail.
        if (cmd instanceof AdminCreateUserCommand && /^u[0-4]@/.test(cmd.input?.Username ?? "")) return { User: { Username: cmd.input!.Username, UserStatus: "CONFIRMED" } };
        throw Object.assign(new Error("denied"), { name: "NotAuthorizedException", $fault: "client" });
      },
    };
    const output = captureOutput();
    try {
      const handler = makeHandler({ config: { ...base, apply: true }, primary: pool(many, []), dr, ddb, logger: createLogger({ logLevel: "INFO" }), metrics: quiet });
      await expect(handler()).rejects.toThrow("55 drift item(s) not repaired (apply on); see the log for the list");
    } finally {
      output.restore();
    }
    const line = logLines(output.lines).find((l) => l.message === "reconcile finished")!;
    const sample = line.sample as Array<{ canonicalId: string; error?: string }>;
    expect(sample).toHaveLength(50);
    // Only the 55 that failed (in the join's partition order), each with its error.
    const repaired = ["a0", "a1", "a2", "a3", "a4"];
    expect(sample.filter((d) => repaired.includes(d.canonicalId))).toEqual([]);
    expect(sample.every((d) => /.+/.test(d.error ?? ""))).toBe(true);
  });
});


describe("scheduled reconcile in two-way mode", () => {
  const base = { primaryRegion: "us-east-1", primaryPoolName: "cdr-test-users-primary", drRegion: "us-west-2", targetPoolId: DR, tableName: "cdr-test-users", apply: true, allowDelete: false, quotaShare: 0.5, ttlDays: 30, replication: replicationConfig() };
  const drBorn = { Username: "d1", Enabled: true, UserStatus: "CONFIRMED", Attributes: [{ Name: "sub", Value: "d1" }, { Name: "email", Value: "born@example.com" }, { Name: "email_verified", Value: "true" }] };

  it("reports a DR-born user as missing_in_primary, never writes the primary pool (no grant), says so in its log and fails the run", async () => {
    const calls = { primary: [] as string[], dr: [] as string[] };
    const output = captureOutput();
    try {
      const handler = makeHandler({ config: { ...base, mode: "two-way" }, primary: pool([], calls.primary), dr: pool([drBorn], calls.dr), ddb, logger: createLogger({ logLevel: "INFO" }), metrics: recordingMetrics() });
      await expect(handler()).rejects.toThrow(DriftRemainsError);
    } finally {
      output.restore();
    }
    expect(calls.primary).not.toContain("AdminCreateUserCommand");
    const line = logLines(output.lines).find((l) => l.message === "reconcile finished")!;
    expect(line).toMatchObject({ mode: "two-way", counts: { missing_in_primary: 1, extra_in_dr: 0 }, sample: [{ kind: "missing_in_primary", canonicalId: "d1" }] });
    expect(String(line.missingInPrimary)).toMatch(/reported only.*without a write grant on the primary pool/);
    expect(JSON.stringify(line)).not.toContain("born@example.com");
  });

  it("one-way (REPLICATION_MODE unset) keeps calling it extra_in_dr; the variable is read strictly", async () => {
    const handler = makeHandler({ config: { ...base, apply: false }, primary: pool([], []), dr: pool([drBorn], []), ddb, logger: createLogger({ logLevel: "SILENT" }), metrics: recordingMetrics() });
    await expect(handler()).rejects.toThrow(DriftRemainsError);
    const env = { [ENV.PRIMARY_REGION]: "us-east-1", [ENV.PRIMARY_USER_POOL_NAME]: "p", AWS_REGION: "us-west-2", [ENV.TARGET_USER_POOL_ID]: "us-west-2_x", [ENV.TABLE_NAME]: "t" };
    expect(readReconcileConfig(env).mode).toBe("one-way");
    expect(readReconcileConfig({ ...env, REPLICATION_MODE: "two-way" }).mode).toBe("two-way");
    expect(() => readReconcileConfig({ ...env, REPLICATION_MODE: "both" })).toThrow(ConfigError);
  });
});
