// The operator tools against the real `local` stacks deployed to the sandbox:
// backfill (10,000 users killed half-way and resumed; the real pipeline; --direct),
// reconcile (every kind of drift planted, found, repaired), redrive (parked records
// move back and replicate), drift (password policy, trigger code per region), and the
// scheduled reconcile fired from its schedule as EventBridge Scheduler would (its role's
// trust and invoke permission decided; denied with AWS's message when the grant is gone).
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  CreateGroupCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  SignUpCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
  type UpdateUserPoolCommandInput,
  type UserPoolType,
} from "@aws-sdk/client-cognito-identity-provider";
import { BatchWriteItemCommand, CreateTableCommand, DescribeTableCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import { GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, GetFunctionCommand } from "@aws-sdk/client-lambda";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newRecord, toItem } from "../../handlers/replication/record";
import { lambdaClient } from "../../scripts/lib/clients";
import type { Command } from "../../scripts/lib/command";
import { backfill, type BackfillReport } from "../../scripts/operator/backfill";
import type { Checkpoint } from "../../scripts/operator/checkpoint";
import { drift } from "../../scripts/operator/drift";
import { mapLimit } from "../../scripts/lib/map-limit";
import { signUpAndConfirm, testUsers, waitForDr, type ConfirmedUser } from "../../scripts/drills/population";
import { reconcile, type ReconcileReport } from "../../scripts/operator/reconcile";
import { redrive } from "../../scripts/operator/redrive";
import { names } from "../../stacks/names";
import { spawnTool } from "../support/tool-process";
import { missingTools, operatorSession, startWorld, trailLogging, type World } from "./harness";

const skip = missingTools();

interface Run<T = unknown> {
  code: number;
  stdout: string;
  stderr: string;
  json: T;
}

describe.skipIf(skip)("operator tools against the sandbox", { timeout: 600_000 }, () => {
  let w: World;
  let n: ReturnType<typeof names>;
  let tmp: string;
  const savedEndpoint = process.env.SANDBOX_ENDPOINT;
  const primaryRegion = () => w.deployment.env.primaryRegion;
  const drRegion = () => w.deployment.env.drRegion;
  const primaryPool = () => w.deployment.primary.user_pool_id;
  const drPool = () => w.deployment.dr.user_pool_id;

  // The 10,000 users of the resume test are seeded in the background while the other tests run.
  const BULK = 10_000;
  let bulk: { poolId: string; seeded: Promise<number> };
  const bulkQuota = () => w.sandbox.admin.setQuota({ region: primaryRegion(), category: "UserCreation", ratePerSecond: 100_000 });

  // The operator tools run as a role with exactly the documented policy (npm run operator-policy),
  // so the enforced sandbox proves that policy is enough for them.
  let operator: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  let iam: IAMClient;

  beforeAll(async () => {
    w = await startWorld();
    n = names(w.deployment.env);
    iam = new IAMClient({ region: primaryRegion(), endpoint: w.sandbox.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
    operator = await operatorSession(w);
    tmp = mkdtempSync(join(w.workDir, "ops-"));
    process.env.SANDBOX_ENDPOINT = w.sandbox.endpoint;
    // moto finds users of an email-as-username pool by scanning every user, so 10,000 users
    // in the deployed pools cost O(n^2): the bulk run uses a scratch pool with plain usernames.
    const pool = await w.primary.cognito.send(new CreateUserPoolCommand({ PoolName: "ops-backfill-10k" }));
    const poolId = pool.UserPool!.Id!;
    await bulkQuota();
    const started = Date.now();
    const seeded = mapLimit(
      Array.from({ length: BULK }, (_, i) => i),
      4,
      (i) =>
        createIgnoringRetry(
          w.primary.cognito,
          new AdminCreateUserCommand({
            UserPoolId: poolId,
            Username: `bulk-${i}`,
            MessageAction: "SUPPRESS",
            TemporaryPassword: "Aa1!temporary-pass",
            UserAttributes: [
              { Name: "email", Value: `bulk-${i}@example.com` },
              { Name: "given_name", Value: `Bulk${i}` },
            ],
          }),
        ),
    ).then(() => Date.now() - started);
    seeded.catch(() => undefined); // awaited (and reported) by the bulk test
    bulk = { poolId, seeded };
  });
  afterAll(async () => {
    if (savedEndpoint === undefined) delete process.env.SANDBOX_ENDPOINT;
    else process.env.SANDBOX_ENDPOINT = savedEndpoint;
    await w?.stop();
  });
  afterEach(async () => {
    await w.sandbox.admin.clearFaults();
    await w.sandbox.admin.resetQuotas();
    if (bulk && !(await Promise.race([bulk.seeded.then(() => true, () => true), sleep(0).then(() => false)]))) await bulkQuota();
  });

  /** A tool's main in this process with the operator role's credentials (as an on-call engineer runs it). */
  async function asOperator<T>(command: Command, args: string[]): Promise<Run<T>> {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    process.env.AWS_ACCESS_KEY_ID = operator.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = operator.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = operator.sessionToken;
    try {
      return await inProcess<T>(command, args);
    } finally {
      for (const [k, v] of [["AWS_ACCESS_KEY_ID", saved.id], ["AWS_SECRET_ACCESS_KEY", saved.secret], ["AWS_SESSION_TOKEN", saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  /** A tool in this process, its failures reported exactly as the process entry reports them. */
  async function inProcess<T>(command: Command, args: string[]): Promise<Run<T>> {
    const io = { out: "", err: "", isTTY: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    const code = await command.run(["--env", "local", ...args], io);
    return { code, stdout: io.out, stderr: io.err, json: (args.includes("--json") && io.out ? JSON.parse(io.out) : undefined) as T };
  }

  /** A tool as a child process (test/support/tool-process.ts), killable. */
  const child = (tool: string, args: string[]) => spawnTool(tool, args, w.sandbox.endpoint);

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function groupsOf(cognito: CognitoIdentityProviderClient, poolId: string, username: string): Promise<string[]> {
    const out = await cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: username }));
    return (out.Groups ?? []).map((g) => g.GroupName!).sort();
  }

  /** Admin-created users: PostConfirmation never fires for them, so only backfill/reconcile bring them to DR. */
  async function adminCreate(cognito: CognitoIdentityProviderClient, poolId: string, tag: string, count: number): Promise<ConfirmedUser[]> {
    return mapLimit(
      testUsers(count, tag),
      8,
      async (u) => {
        const out = await createIgnoringRetry(
          cognito,
          new AdminCreateUserCommand({
            UserPoolId: poolId,
            Username: u.email,
            MessageAction: "SUPPRESS",
            UserAttributes: [
              { Name: "email", Value: u.email },
              { Name: "email_verified", Value: "true" },
              { Name: "given_name", Value: u.givenName },
              { Name: "family_name", Value: u.familyName },
            ],
          }),
        );
        const sub = out ?? "";
        return { ...u, sub, confirmedAt: Date.now() };
      },
    );
  }

  /**
   * AdminCreateUser whose SDK retry (moto answers some concurrent calls with a 500 after
   * creating the user) may meet the user it created: returns the user's sub either way.
   */
  async function createIgnoringRetry(cognito: CognitoIdentityProviderClient, cmd: AdminCreateUserCommand): Promise<string | undefined> {
    try {
      const out = await cognito.send(cmd);
      return out.User?.Attributes?.find((a) => a.Name === "sub")?.Value;
    } catch (err) {
      if ((err as Error).name !== "UsernameExistsException") throw err;
      const u = await cognito.send(new AdminGetUserCommand({ UserPoolId: cmd.input.UserPoolId, Username: cmd.input.Username }));
      return u.UserAttributes?.find((a) => a.Name === "sub")?.Value;
    }
  }

  async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > deadline) return v;
      await sleep(250);
    }
  }

  async function expectInDr(users: ConfirmedUser[], timeoutMs = 90_000): Promise<void> {
    const arrived = await waitForDr(w.dr.cognito, drPool(), users, { timeoutMs, pollMs: 250 });
    expect([...arrived].filter(([, t]) => t === undefined).map(([e]) => e)).toEqual([]);
  }

  it("redrive: lists parked records by reason, moves them back, and they replicate", async () => {
    const tag = `rd${randomUUID().slice(0, 6)}`;
    const group = `${tag}-vip`;
    const records = Array.from({ length: 3 }, (_, i) =>
      newRecord({
        canonicalId: randomUUID(),
        username: randomUUID(),
        attributes: { email: `user-${tag}-${i}@example.com`, email_verified: "true", given_name: `G${i}`, family_name: `F-${tag}` },
        originRegion: primaryRegion(),
        originPoolId: primaryPool(),
        now: Date.now(),
        ttlDays: 30,
      }),
    );
    records[0].groups = [group];
    records[1].groups = [group]; // no such group in DR yet: both are parked with GROUP_NOT_FOUND
    await w.primary.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [n.table]: records.map((r) => ({ PutRequest: { Item: toItem(r) } })) } }));
    const asUser = (i: number): ConfirmedUser => ({ email: records[i].attributes.email, givenName: `G${i}`, familyName: `F-${tag}`, sub: records[i].canonicalId, confirmedAt: 0 });
    await expectInDr([asUser(2)]);

    let listed: Run<{ byReason: Record<string, number> }> | undefined;
    for (let i = 0; i < 60; i++) {
      listed = await asOperator(redrive, ["--list", "--json"]);
      if ((listed.json.byReason.GROUP_NOT_FOUND ?? 0) >= 2) break;
      await sleep(500);
    }
    expect(listed!.code).toBe(1); // messages waiting
    expect(listed!.json.byReason).toEqual({ GROUP_NOT_FOUND: 2 });

    const dry = await asOperator<{ usersRedriven: number; mode: string }>(redrive, ["--dry-run", "--reason", "GROUP_NOT_FOUND", "--json"]);
    expect([dry.code, dry.json.mode, dry.json.usersRedriven]).toEqual([1, "dry-run", 2]);

    await w.dr.cognito.send(new CreateGroupCommand({ UserPoolId: drPool(), GroupName: group }));
    const moved = await asOperator(redrive, ["--reason", "GROUP_NOT_FOUND"]);
    expect(moved.stdout).toMatch(/GROUP_NOT_FOUND\s+2/);
    expect(moved.stdout).toMatch(/redriven: 2 user\(s\) from 2 message\(s\)/);
    expect(moved.code).toBe(0);
    await expectInDr([asUser(0), asUser(1)]);
    const groups = () => groupsOf(w.dr.cognito, drPool(), records[0].attributes.email);
    expect(await eventually(groups, (g) => g.length === 1)).toEqual([group]);
    const after = await asOperator<{ messages: number }>(redrive, ["--list", "--json"]);
    expect([after.code, after.json.messages]).toEqual([0, 0]);
  });

  it("reconcile: finds each kind of planted drift, exits 1, repairs it with --apply (--allow-delete), then finds none", async () => {
    const tag = `rc${randomUUID().slice(0, 6)}`;
    const group = `${tag}-team`;
    const users = await mapLimit(testUsers(6, tag), 3, (u) => signUpAndConfirm(w.primary.cognito, w.deployment.primary.app_client_id, u));
    await expectInDr(users);
    for (const pool of [primaryPool(), drPool()]) {
      const c = pool === primaryPool() ? w.primary.cognito : w.dr.cognito;
      await c.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: group }));
    }
    // Plant one of each kind, with the trail stopped: what change capture never saw is what
    // reconcile is for (with it running, capture would carry the primary's changes in seconds).
    await trailLogging(w, false);
    await w.dr.cognito.send(new AdminDeleteUserCommand({ UserPoolId: drPool(), Username: users[0].email })); // missing in DR
    await w.dr.cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: drPool(),
        Username: `user-${tag}-extra@example.com`,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: `user-${tag}-extra@example.com` },
          { Name: "custom:canonical_id", Value: randomUUID() },
        ],
      }),
    ); // extra in DR
    await w.dr.cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: drPool(), Username: users[1].email, UserAttributes: [{ Name: "given_name", Value: "Drifted" }] })); // attribute
    await w.primary.cognito.send(new AdminDisableUserCommand({ UserPoolId: primaryPool(), Username: users[2].email })); // enabled
    await w.primary.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: primaryPool(), Username: users[3].email, GroupName: group })); // groups
    const moved = `user-${tag}-4-moved@example.com`; // an email change in the primary (not replicated by the trigger)
    await w.primary.cognito.send(
      new AdminUpdateUserAttributesCommand({ UserPoolId: primaryPool(), Username: users[4].email, UserAttributes: [{ Name: "email", Value: moved }, { Name: "email_verified", Value: "true" }] }),
    );

    await trailLogging(w, true);

    const filter = ["--filter", `email ^= "user-${tag}-"`];
    const found = await asOperator<ReconcileReport>(reconcile, [...filter, "--json"]);
    expect(found.code).toBe(1);
    const c = found.json.counts;
    expect({ missing: c.missing_in_dr, extra: c.extra_in_dr, attributes: c.attributes, enabled: c.enabled, groups: c.groups, invalid: c.invalid }).toEqual({
      missing: 1,
      extra: 1,
      attributes: 2,
      enabled: 1,
      groups: 1,
      invalid: 0,
    });
    const kinds = (id: string) => found.json.drift.filter((d) => d.canonicalId === id).map((d) => `${d.kind}:${d.detail}`);
    expect(kinds(users[0].sub)).toEqual(["missing_in_dr:no DR user with this canonical id"]);
    expect(kinds(users[1].sub)).toEqual(["attributes:given_name"]);
    expect(kinds(users[2].sub)).toEqual(["enabled:disabled in primary, enabled in DR"]);
    expect(kinds(users[3].sub)).toEqual([`groups:+${group}`]);
    expect(kinds(users[4].sub)).toEqual(["attributes:email,email_verified"]);
    expect(found.json.drift.some((d) => d.kind === "extra_in_dr" && d.drUsername)).toBe(true);
    // Human summary: a table of kinds and a hint.
    const human = await inProcess(reconcile, filter);
    expect(human.stdout).toMatch(/missing in DR\s+1/);
    expect(human.stdout).toMatch(/run again with --apply/);

    const applied = await asOperator<ReconcileReport>(reconcile, [...filter, "--apply", "--json"]);
    expect(applied.code).toBe(1); // the extra DR user stays without --allow-delete
    expect(applied.json.drift.filter((d) => !d.repaired).map((d) => d.kind)).toEqual(["extra_in_dr"]);
    const deleted = await asOperator<ReconcileReport>(reconcile, [...filter, "--apply", "--allow-delete", "--json"]);
    expect([deleted.code, deleted.json.counts.deleted, deleted.json.unrepaired]).toEqual([0, 1, 0]);
    const clean = await inProcess<ReconcileReport>(reconcile, [...filter, "--json"]);
    expect([clean.code, clean.json.drift]).toEqual([0, []]);
    expect(clean.json.counts.inSync).toBe(6);
    expect(await groupsOf(w.dr.cognito, drPool(), users[3].email)).toEqual([group]);
    console.log(`reconcile throughput (default rates): ${JSON.stringify(clean.json.throughput)} rates ${JSON.stringify(clean.json.rates)}`);
  });

  it("backfill: admin-created users reach DR through the table and the replicator; a re-run changes nothing", async () => {
    const tag = `bf${randomUUID().slice(0, 6)}`;
    // As after a user import job, whose users no per-user call announces: the trail is stopped
    // while they are made, so change capture never sees them and backfill is what carries them.
    await trailLogging(w, false);
    let users: Awaited<ReturnType<typeof adminCreate>>;
    const group = `${tag}-g`;
    try {
      users = await adminCreate(w.primary.cognito, primaryPool(), tag, 200);
      await w.primary.cognito.send(new CreateGroupCommand({ UserPoolId: primaryPool(), GroupName: group }));
      await w.dr.cognito.send(new CreateGroupCommand({ UserPoolId: drPool(), GroupName: group }));
      await w.primary.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: primaryPool(), Username: users[0].email, GroupName: group }));
      // An unconfirmed sign-up is not replicated.
      await w.primary.cognito.send(
        new SignUpCommand({ ClientId: w.deployment.primary.app_client_id, Username: `user-${tag}-unconfirmed@example.com`, Password: `Aa1!${randomUUID()}`, UserAttributes: [{ Name: "email", Value: `user-${tag}-unconfirmed@example.com` }] }),
      );
    } finally {
      await trailLogging(w, true);
    }
    const args = ["--filter", `email ^= "user-${tag}-"`, "--checkpoint", join(tmp, `${tag}.json`), "--json"];

    const dry = await inProcess<BackfillReport>(backfill, [...args, "--dry-run"]);
    expect([dry.code, dry.json.counts.written, dry.json.counts.skipped, existsSync(join(tmp, `${tag}.json`))]).toEqual([0, 200, 1, false]);

    const run = await asOperator<BackfillReport>(backfill, args); // default rates: 80 % of the quotas
    expect(run.code).toBe(0);
    expect(run.json.counts).toMatchObject({ listed: 201, skipped: 1, written: 200, failed: 0 });
    console.log(`backfill table mode (default rates): ${JSON.stringify(run.json.throughput)} rates ${JSON.stringify(run.json.rates)}`);
    await expectInDr(users, 120_000);
    expect(await eventually(() => groupsOf(w.dr.cognito, drPool(), users[0].email), (g) => g.length === 1)).toEqual([group]);

    const again = await inProcess<BackfillReport>(backfill, args);
    expect([again.code, again.json.alreadyComplete]).toEqual([0, true]);
    const restart = await inProcess<BackfillReport>(backfill, [...args, "--restart"]);
    expect(restart.json.counts).toMatchObject({ written: 0, unchanged: 200 });
  });

  it("backfill --direct: upserts into the DR pool at the configured create rate", async () => {
    const tag = `bd${randomUUID().slice(0, 6)}`;
    await trailLogging(w, false); // as after an import: nothing for change capture to see
    const users = await adminCreate(w.primary.cognito, primaryPool(), tag, 200).finally(() => trailLogging(w, true));
    const args = ["--direct", "--filter", `email ^= "user-${tag}-"`, "--checkpoint", join(tmp, `${tag}.json`), "--json"];
    const run = await inProcess<BackfillReport>(backfill, args);
    expect(run.code).toBe(0);
    expect(run.json.counts).toMatchObject({ listed: 200, created: 200, failed: 0 });
    console.log(`backfill --direct (default rates): ${JSON.stringify(run.json.throughput)} rates ${JSON.stringify(run.json.rates)}`);
    await expectInDr(users, 10_000);
    const restart = await inProcess<BackfillReport>(backfill, [...args, "--restart"]);
    expect(restart.json.counts).toMatchObject({ created: 0, updated: 0, unchanged: 200 });

    // Reconcile throughput at the default rates over the ~400 users both backfill tests made.
    const rc = await inProcess<ReconcileReport>(reconcile, ["--filter", 'email ^= "user-b"', "--json"]);
    console.log(`reconcile over ${rc.json.counts.primaryUsers} users (default rates): ${JSON.stringify(rc.json.throughput)} listSeconds ${rc.json.listSeconds} rates ${JSON.stringify(rc.json.rates)}`);
    expect(rc.json.counts.primaryUsers).toBeGreaterThanOrEqual(400);
  });

  it("backfill: 10,000 users, killed (SIGKILL) half-way and resumed: every user written exactly once", { timeout: 1_200_000 }, async () => {
    // A scratch pool (see beforeAll) and a scratch table with a stream (the proof) in the same
    // sandbox; the deployed pools and table are covered by the tests above.
    const TOTAL = BULK;
    const poolId = bulk.poolId;
    await w.sandbox.admin.setQuota({ region: primaryRegion(), category: "UserList", ratePerSecond: 1_000 });
    const tableName = "ops-backfill-10k";
    await w.primary.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: "canonicalId", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "canonicalId", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
        StreamSpecification: { StreamEnabled: true, StreamViewType: "KEYS_ONLY" },
      }),
    );
    const seedMs = await bulk.seeded;
    console.log(`seeded ${TOTAL} users in ${(seedMs / 1000).toFixed(1)} s (in the background of the other tests)`);
    await w.sandbox.admin.resetStats();

    const checkpoint = join(tmp, "bulk.json");
    const args = ["--primary-pool", poolId, "--table", tableName, "--checkpoint", checkpoint, "--list-rate", "500", "--write-rate", "5000", "--concurrency", "16", "--json"];
    const first = child("backfill", args);
    for (;;) {
      await sleep(50);
      const ck = existsSync(checkpoint) ? (JSON.parse(readFileSync(checkpoint, "utf8")) as Checkpoint) : undefined;
      if (ck && ck.pageIndex >= 84) {
        first.proc.kill("SIGKILL");
        break;
      }
      if (first.proc.exitCode !== null) break;
    }
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    const killedAt = JSON.parse(readFileSync(checkpoint, "utf8")) as Checkpoint;
    expect(killedAt.done).toBe(false);
    expect(killedAt.pageIndex).toBeGreaterThanOrEqual(84);
    expect(killedAt.pageIndex).toBeLessThan(167);

    const second = await child("backfill", args).done;
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as BackfillReport;
    expect(report.resumedFromPage).toBe(killedAt.pageIndex);
    expect(report.counts.listed).toBe(TOTAL);
    expect(report.counts.failed).toBe(0);
    // Users of the pages in flight at the kill (one per segment walked at once) were written by the
    // first run; the second found their records already there and did not write them again.
    expect(report.counts.written + report.counts.unchanged).toBe(TOTAL);
    expect(report.counts.unchanged).toBeLessThanOrEqual(60 * report.listing!.concurrency);

    // The proof: the table's stream holds exactly one INSERT per user and no MODIFY.
    const events = await streamEvents(tableName);
    expect(events.inserts).toBe(TOTAL);
    expect(events.modifies).toBe(0);
    expect(events.keys).toBe(TOTAL);
    const puts = (await w.sandbox.admin.stats()).regions[primaryRegion()]?.operations["dynamodb:PutItem"];
    console.log(
      `10k backfill: killed at page ${killedAt.pageIndex}/${Math.ceil(TOTAL / 60)}, resumed run ${report.seconds} s, ${report.throughput.usersPerSecond} users/s ` +
        `(bound ${report.throughput.boundUsersPerSecond}/s); stream INSERT ${events.inserts}, MODIFY ${events.modifies}; PutItem calls ${JSON.stringify(puts)}`,
    );

    // Finished: the same command is a no-op; --restart re-checks everything and writes nothing.
    const third = await inProcess<BackfillReport>(backfill, args);
    expect([third.code, third.json.alreadyComplete]).toEqual([0, true]);
    let items = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await w.primary.dynamodb.send(new ScanCommand({ TableName: tableName, Select: "COUNT", ExclusiveStartKey: start }));
      items += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    expect(items).toBe(TOTAL);
  });

  async function streamEvents(tableName: string): Promise<{ inserts: number; modifies: number; keys: number }> {
    const arn = (await w.primary.dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table!.LatestStreamArn!;
    const stream = await w.primary.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    let inserts = 0;
    let modifies = 0;
    const keys = new Set<string>();
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      let it = (await w.primary.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
      while (it) {
        const page = await w.primary.streams.send(new GetRecordsCommand({ ShardIterator: it, Limit: 1000 }));
        for (const r of page.Records ?? []) {
          if (r.eventName === "INSERT") inserts++;
          if (r.eventName === "MODIFY") modifies++;
          keys.add(r.dynamodb?.Keys?.canonicalId?.S ?? "");
        }
        if ((page.Records ?? []).length === 0) break;
        it = page.NextShardIterator;
      }
    }
    return { inserts, modifies, keys: keys.size };
  }

  /** UpdateUserPool resets what it is not given: pass the pool's current settings back with a change. */
  async function updatePool(cognito: CognitoIdentityProviderClient, poolId: string, change: (input: UpdateUserPoolCommandInput, pool: UserPoolType) => void): Promise<UserPoolType> {
    const pool = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    const input: UpdateUserPoolCommandInput = {
      UserPoolId: poolId,
      Policies: pool.Policies,
      LambdaConfig: pool.LambdaConfig,
      AutoVerifiedAttributes: pool.AutoVerifiedAttributes,
      MfaConfiguration: pool.MfaConfiguration,
      DeletionProtection: pool.DeletionProtection,
      AccountRecoverySetting: pool.AccountRecoverySetting,
      AdminCreateUserConfig: pool.AdminCreateUserConfig,
      EmailConfiguration: pool.EmailConfiguration,
      UserPoolTier: pool.UserPoolTier,
      UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
    };
    change(input, pool);
    await cognito.send(new UpdateUserPoolCommand(input));
    return pool;
  }

  it("drift: none after deploy; reports a changed password policy and a trigger whose code differs between regions", async () => {
    const clean = await asOperator<{ differences: unknown[] }>(drift, ["--json"]);
    expect(clean.json.differences).toEqual([]);
    expect(clean.code).toBe(0);

    const originalDr = await updatePool(w.dr.cognito, drPool(), (input, pool) => {
      input.Policies = { ...pool.Policies, PasswordPolicy: { ...pool.Policies!.PasswordPolicy, MinimumLength: 8 } };
    });
    const policy = await inProcess(drift, []);
    expect(policy.code).toBe(1);
    expect(policy.stdout).toMatch(/pool\s+PasswordPolicy\.MinimumLength\s+12\s+8/);

    // The same trigger in both pools, but each region's function runs different code.
    const env = w.deployment.env;
    const role = (await lambdaClient(env, drRegion()).send(new GetFunctionCommand({ FunctionName: n.fn("replicate-user") }))).Configuration!.Role!;
    const arns: string[] = [];
    for (const [region, body] of [
      [primaryRegion(), "exports.handler = async (e) => e;"],
      [drRegion(), "exports.handler = async (e) => { return e; };"],
    ] as const) {
      const out = await lambdaClient(env, region).send(
        new CreateFunctionCommand({ FunctionName: "ops-custom-message", Runtime: "nodejs22.x", Handler: "index.handler", Role: role, Code: { ZipFile: zipSync({ "index.js": strToU8(body) }) } }),
      );
      arns.push(out.FunctionArn!);
    }
    const originalPrimary = await updatePool(w.primary.cognito, primaryPool(), (input, pool) => {
      input.LambdaConfig = { ...pool.LambdaConfig, CustomMessage: arns[0] };
    });
    await updatePool(w.dr.cognito, drPool(), (input, pool) => {
      input.Policies = originalDr.Policies; // password policy back in line: only the code differs now
      input.LambdaConfig = { ...pool.LambdaConfig, CustomMessage: arns[1] };
    });
    const code = await inProcess<{ differences: Array<{ area: string; field: string }> }>(drift, ["--json"]);
    expect(code.code).toBe(1);
    expect(code.json.differences.map((d) => `${d.area} ${d.field}`)).toEqual(["trigger:CustomMessage CodeSha256"]);

    await updatePool(w.primary.cognito, primaryPool(), (input) => void (input.LambdaConfig = originalPrimary.LambdaConfig));
    await updatePool(w.dr.cognito, drPool(), (input) => void (input.LambdaConfig = originalDr.LambdaConfig));
    expect((await inProcess(drift, [])).code).toBe(0);
  });

  it("clear errors: unknown pool, wrong region", async () => {
    const unknown = await inProcess(reconcile, ["--primary-pool", "no-such-pool"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error: unknown primary pool: no user pool named no-such-pool in us-east-1 \(pools there: .*cdr-local-users-primary/);
    const wrong = await inProcess(drift, ["--dr-pool", primaryPool()]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/wrong region: dr pool id us-east-1_\w+ belongs to us-east-1, but the dr region is us-west-2/);
  });

  describe("scheduled reconcile, fired from its schedule", () => {
    // The DR stack's schedule, its role and the reconcile function, as terraform deployed them.
    const schedule = () => n.fn("reconcile");
    const scheduleRole = () => `${n.fn("reconcile")}-schedule-role`;
    const finishedRuns = async () => (await w.sandbox.admin.lambdaLogs(n.fn("reconcile"), drRegion())).filter((l) => l.line.includes("reconcile finished"));

    it("assumes the schedule's role, invokes reconcile as that role, and the run repairs drift planted in both pools", async () => {
      const tag = `sr${randomUUID().slice(0, 6)}`;
      const users = await mapLimit(testUsers(7, tag), 3, (u) => signUpAndConfirm(w.primary.cognito, w.deployment.primary.app_client_id, u));
      await expectInDr(users);
      const [team, old] = [`${tag}-team`, `${tag}-old`];
      for (const [c, pool] of [[w.primary.cognito, primaryPool()], [w.dr.cognito, drPool()]] as const) {
        for (const g of [team, old]) await c.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: g }));
      }
      // One of each repair the reconcile role is granted: the run must use them all.
      const dr = { UserPoolId: drPool() };
      const primary = { UserPoolId: primaryPool() };
      await w.dr.cognito.send(new AdminUpdateUserAttributesCommand({ ...dr, Username: users[0].email, UserAttributes: [{ Name: "given_name", Value: "Changed-by-hand" }] }));
      await w.dr.cognito.send(new AdminDeleteUserCommand({ ...dr, Username: users[1].email }));
      await w.dr.cognito.send(new AdminDisableUserCommand({ ...dr, Username: users[4].email }));
      await w.dr.cognito.send(new AdminAddUserToGroupCommand({ ...dr, Username: users[5].email, GroupName: old }));
      // Primary changes reach DR through change capture within seconds, so the reconcile would find
      // nothing of them to repair: each is let through, then undone in DR by hand (one-way mode does
      // not capture DR changes), leaving DR behind the primary as a lost change would.
      await w.primary.cognito.send(new AdminDisableUserCommand({ ...primary, Username: users[2].email }));
      await w.primary.cognito.send(new AdminAddUserToGroupCommand({ ...primary, Username: users[3].email, GroupName: team }));
      await w.primary.cognito.send(new AdminDeleteUserAttributesCommand({ ...primary, Username: users[6].email, UserAttributeNames: ["family_name"] }));
      const inDr = (u: ConfirmedUser) => w.dr.cognito.send(new AdminGetUserCommand({ ...dr, Username: u.email }));
      await expect.poll(async () => (await inDr(users[2])).Enabled, { timeout: 60_000, interval: 500 }).toBe(false);
      await expect.poll(() => groupsOf(w.dr.cognito, drPool(), users[3].email), { timeout: 60_000, interval: 500 }).toEqual([team]);
      await expect.poll(async () => (await inDr(users[6])).UserAttributes?.some((a) => a.Name === "family_name"), { timeout: 60_000, interval: 500 }).toBe(false);
      await w.dr.cognito.send(new AdminEnableUserCommand({ ...dr, Username: users[2].email }));
      await w.dr.cognito.send(new AdminRemoveUserFromGroupCommand({ ...dr, Username: users[3].email, GroupName: team }));
      await w.dr.cognito.send(new AdminUpdateUserAttributesCommand({ ...dr, Username: users[6].email, UserAttributes: [{ Name: "family_name", Value: users[6].familyName }] }));
      const before = (await finishedRuns()).length;

      const firing = await w.sandbox.admin.fireSchedule(schedule(), drRegion());
      expect(firing).toMatchObject({ schedule: expect.stringMatching(new RegExp(`:schedule/default/${schedule()}$`)), invoked: true, denied: false, attempts: 1 });
      await expect.poll(async () => (await finishedRuns()).length, { timeout: 120_000, interval: 500 }).toBe(before + 1);

      const drUser = (u: ConfirmedUser) => w.dr.cognito.send(new AdminGetUserCommand({ ...dr, Username: u.email }));
      const attr = (out: Awaited<ReturnType<typeof drUser>>, name: string) => out.UserAttributes?.find((a) => a.Name === name)?.Value;
      expect(attr(await drUser(users[0]), "given_name")).toBe(users[0].givenName);
      expect(attr(await drUser(users[1]), "custom:canonical_id")).toBe(users[1].sub);
      expect((await drUser(users[2])).Enabled).toBe(false);
      expect(await groupsOf(w.dr.cognito, drPool(), users[3].email)).toEqual([team]);
      expect((await drUser(users[4])).Enabled).toBe(true);
      expect(await groupsOf(w.dr.cognito, drPool(), users[5].email)).toEqual([]);
      expect(attr(await drUser(users[6]), "family_name")).toBeUndefined();

      // Decided as AWS decides: Scheduler assumed the role (trust with aws:SourceAccount), the role
      // session invoked the function (its policy and boundary), the function called Cognito as its own role.
      const decisions = await w.sandbox.admin.authzDecisions();
      const roleArn = (name: string) => expect.stringMatching(new RegExp(`:role/${name}$`));
      expect(decisions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ principal: "scheduler.amazonaws.com", action: "sts:AssumeRole", resource: roleArn(scheduleRole()), allowed: true }),
          expect.objectContaining({ role: roleArn(scheduleRole()), action: "lambda:InvokeFunction", resource: expect.stringMatching(new RegExp(`:function:${n.fn("reconcile")}$`)), allowed: true }),
          ...["AdminUpdateUserAttributes", "AdminCreateUser", "AdminDisableUser", "AdminEnableUser", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminDeleteUserAttributes"].map((op) =>
            expect.objectContaining({ role: roleArn(n.role("reconcile")), action: `cognito-idp:${op}`, allowed: true }),
          ),
        ]),
      );
    });

    it("is denied with AWS's message when the schedule's role may no longer invoke the function, and nothing runs", async () => {
      const policyName = `${n.fn("reconcile")}-schedule-invoke`;
      const original = (await iam.send(new GetRolePolicyCommand({ RoleName: scheduleRole(), PolicyName: policyName }))).PolicyDocument!;
      const account = w.deployment.primary.alarm_topic_arn.split(":")[4]!;
      const fnArn = `arn:aws:lambda:${drRegion()}:${account}:function:${n.fn("reconcile")}`;
      const invocations = () => w.sandbox.lambda!.stats().functions.find((f) => f.region === drRegion() && f.name === n.fn("reconcile"))?.invocations ?? 0;
      const before = invocations();
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: scheduleRole(),
          PolicyName: policyName,
          PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReadTarget", Effect: "Allow", Action: ["lambda:GetFunction"], Resource: [fnArn] }] }),
        }),
      );
      try {
        const firing = await w.sandbox.admin.fireSchedule(schedule(), drRegion());
        expect(firing).toMatchObject({ invoked: false, denied: true });
        expect(firing.reason).toBe(
          `User: arn:aws:sts::${account}:assumed-role/${scheduleRole()}/${schedule()} is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn} because no identity-based policy allows the lambda:InvokeFunction action`,
        );
        expect(await w.sandbox.admin.authzDecisions()).toEqual(expect.arrayContaining([expect.objectContaining({ action: "lambda:InvokeFunction", allowed: false, reason: firing.reason })]));
        await sleep(2_000);
        expect(invocations()).toBe(before);
      } finally {
        await iam.send(new PutRolePolicyCommand({ RoleName: scheduleRole(), PolicyName: policyName, PolicyDocument: decodeURIComponent(original) }));
      }
    });
  });
});
