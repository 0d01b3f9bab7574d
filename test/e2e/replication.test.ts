// End to end against the real `local` stacks deployed to the sandbox: users are
// confirmed in the primary pool through Cognito's own API, and every assertion
// is about the DR pool's real state.
// One file on purpose (over 300 lines): its scenarios share one deployment of both stacks, and
// each further file would deploy them again.
import {
  AdminListGroupsForUserCommand,
  AdminUpdateUserAttributesCommand,
  CreateGroupCommand,
  DescribeUserPoolCommand,
  ListUsersCommand,
  SignUpCommand,
  UpdateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvokeCommand, LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TABLE_KEY } from "../../handlers/contract";
import { newRecord, toItem, type ReplicatedUser } from "../../handlers/replication/record";
import { CANONICAL_ID_ATTRIBUTE } from "../../handlers/contract";
import { names } from "../../stacks/names";
import { mapLimit } from "../../scripts/lib/map-limit";
import { signInWithEmailOtp } from "../../scripts/drills/gameday-run";
import { getDrUser, listByEmailPrefix, listUsers, signUpAndConfirm, testUsers, waitForDr, type ConfirmedUser } from "../../scripts/drills/population";
import { reconcile, type ReconcileReport } from "../../scripts/operator/reconcile";
import { readDlq } from "../../scripts/lib/dlq";
import { redrive } from "../../scripts/operator/redrive-core";
import { disableMapping, missingTools, readStream, replicatorCaughtUp, replicatorState, startWorld, traceUser, type StreamMapping, type World } from "./harness";

const skip = missingTools();

describe.skipIf(skip)("replication end to end (sandbox)", { timeout: 300_000 }, () => {
  let w: World;
  let n: ReturnType<typeof names>;
  const primaryRegion = () => w.deployment.env.primaryRegion;
  const drRegion = () => w.deployment.env.drRegion;

  beforeAll(async () => {
    w = await startWorld();
    n = names(w.deployment.env);
  });
  afterAll(async () => {
    await w?.stop();
  });
  afterEach(async () => {
    await w.sandbox.admin.clearFaults();
    await w.sandbox.admin.resetQuotas();
  });

  const confirmAll = (users: ReturnType<typeof testUsers>, concurrency = 20) =>
    mapLimit(users, concurrency, (u) => signUpAndConfirm(w.primary.cognito, w.deployment.primary.app_client_id, u));

  async function expectAllInDr(users: ConfirmedUser[], timeoutMs = 120_000): Promise<void> {
    const arrived = await waitForDr(w.dr.cognito, w.deployment.dr.user_pool_id, users, { timeoutMs, pollMs: 200 });
    const missing = [...arrived].filter(([, at]) => at === undefined).map(([email]) => email);
    for (const u of users.filter((u) => missing.includes(u.email)).slice(0, 3)) console.error("[e2e] not in DR:", JSON.stringify(await traceUser(w, u), null, 1));
    if (missing.length > 0) console.error(`[e2e] ${missing.length} of ${users.length} not in DR; the replicator:`, JSON.stringify(await replicatorState(w), null, 1));
    expect(missing).toEqual([]);
  }

  /**
   * Each user's canonical id is on exactly one DR user in the whole pool (a second user under
   * another email counts), and the DR users under the tag's emails carry exactly these ids.
   */
  async function expectNoDuplicates(tag: string, users: ConfirmedUser[]): Promise<void> {
    const all = await listUsers(w.dr.cognito, w.deployment.dr.user_pool_id);
    const idOf = (u: { attributes: Record<string, string> }) => u.attributes[`custom:${CANONICAL_ID_ATTRIBUTE}`];
    const holders = new Map<string, string[]>();
    for (const u of all) {
      const id = idOf(u);
      if (id) holders.set(id, [...(holders.get(id) ?? []), u.email]);
    }
    expect(users.filter((u) => holders.get(u.sub)?.length !== 1).map((u) => [u.sub, holders.get(u.sub) ?? []])).toEqual([]);
    const tagged = all.filter((u) => u.email.startsWith(`user-${tag}-`));
    expect(tagged.map(idOf).sort()).toEqual(users.map((u) => u.sub).sort());
  }

  /** Records as the PostConfirmation trigger writes them, for users that exist only in the table. */
  function syntheticRecords(tag: string, count: number): ReplicatedUser[] {
    const now = Date.now();
    return Array.from({ length: count }, (_, i) =>
      newRecord({
        canonicalId: randomUUID(),
        username: randomUUID(),
        attributes: { email: `user-${tag}-${i}@example.com`, email_verified: "true", given_name: `Given${i}`, family_name: `Family-${tag}` },
        originRegion: primaryRegion(),
        originPoolId: w.deployment.primary.user_pool_id,
        now,
        ttlDays: 30,
      }),
    );
  }

  async function writeRecords(records: ReplicatedUser[]): Promise<void> {
    for (let i = 0; i < records.length; i += 25) {
      const chunk = records.slice(i, i + 25).map((r) => ({ PutRequest: { Item: toItem(r) } }));
      await w.primary.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [n.table]: chunk } }));
    }
  }

  const asConfirmedUser = (r: ReplicatedUser): ConfirmedUser => ({
    email: r.attributes.email,
    givenName: r.attributes.given_name,
    familyName: r.attributes.family_name,
    sub: r.canonicalId,
    confirmedAt: r.confirmedAt,
  });

  /** What the replicator parked, once it has handled every record so far (nothing parked yet means nothing will be for them). */
  const parked = async () => {
    await replicatorCaughtUp(w);
    return readDlq(w.dr.sqs, w.deployment.dr.replicator_dlq_url);
  };
  const drStats = async () => (await w.sandbox.admin.stats()).regions[drRegion()];
  /** Records of one eventName the mapping delivered to the replicator (or dropped by its filter) between two of its snapshots. */
  const handled = (before: StreamMapping, after: StreamMapping, how: "deliveredByEventName" | "filteredByEventName", eventName: string) =>
    (after.stats[how][eventName] ?? 0) - (before.stats[how][eventName] ?? 0);

  it("deploys so that a plan right after apply is empty", async () => {
    expect(await w.deployment.planChanges()).toBe(false);
  });

  it("1. replicates 200 users confirmed concurrently, CONFIRMED with equal attributes and canonical ids, no invitation sent", async () => {
    const users = await confirmAll(testUsers(200, "bulk"));
    await expectAllInDr(users);
    await expectNoDuplicates("bulk", users);
    const stats = await drStats();
    expect(stats.adminCreateUser.notSuppressed).toBe(0);
    expect(stats.adminCreateUser.invitationsSent).toBe(0);
    expect(stats.adminCreateUser.suppressed).toBeGreaterThanOrEqual(200);
  });

  it("2. loses and duplicates nothing through a 30 s DR Cognito outage during sign-ups", async () => {
    await w.sandbox.admin.resetStats();
    const fault = await w.sandbox.admin.injectFault({ service: "cognito-idp", region: drRegion(), outage: true });
    const started = Date.now();
    const users = await confirmAll(testUsers(30, "outage"), 3);
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - started))));
    // The replicator did try, and every DR write failed while the pool was down.
    const during = (await drStats()).operations["cognito-idp:AdminCreateUser"] ?? { calls: 0, faulted: 0 };
    expect(during.faulted).toBeGreaterThan(0);
    expect(during.faulted).toBe(during.calls);
    await w.sandbox.admin.clearFaults(fault.id);
    await expectAllInDr(users);
    await expectNoDuplicates("outage", users);
    expect(await parked()).toEqual([]);
  });

  it("3. replicates everyone through a throttling storm (DR UserCreation at 5/s), parking nobody", async () => {
    await w.sandbox.admin.setQuota({ region: drRegion(), category: "UserCreation", ratePerSecond: 5 });
    await w.sandbox.admin.resetStats();
    const users = await confirmAll(testUsers(40, "storm"));
    await expectAllInDr(users);
    await expectNoDuplicates("storm", users);
    expect((await drStats()).categories.UserCreation.throttled).toBeGreaterThan(0);
    expect(await parked()).toEqual([]);
  });

  it("4. delivers users through the fallback queue when the primary table rejects writes", async () => {
    await w.sandbox.admin.injectFault({
      service: "dynamodb",
      region: primaryRegion(),
      operations: ["PutItem"],
      errorRate: 1,
      caller: n.fn("post-confirmation"),
    });
    await w.sandbox.admin.resetStats();
    const users = await confirmAll(testUsers(10, "fallback"));
    await expectAllInDr(users);
    const ops = (await w.sandbox.admin.stats()).regions[primaryRegion()].operations;
    expect(ops["sqs:SendMessage"]?.calls ?? 0).toBeGreaterThanOrEqual(10);
    expect(ops["dynamodb:PutItem"].faulted).toBeGreaterThanOrEqual(10);
  });

  it("5. parks a poison record with its reason, replicates the rest of its batch, and redrives it once fixed", async () => {
    const records = syntheticRecords("poison", 4);
    records[1].groups = ["vip"]; // no such group in the DR pool: a permanent error
    await writeRecords(records);
    const asUsers = records.map(asConfirmedUser);
    await expectAllInDr([asUsers[0], asUsers[2], asUsers[3]]);

    let entries = await parked();
    for (let i = 0; entries.length === 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      entries = await parked();
    }
    expect(entries.map((e) => [e.kind, e.reason])).toEqual([["parked", "GROUP_NOT_FOUND"]]);
    expect(entries[0].kind === "parked" && entries[0].record?.canonicalId).toBe(records[1].canonicalId);

    // Fix the cause (the group exists in DR), then redrive.
    await w.dr.cognito.send(new CreateGroupCommand({ UserPoolId: w.deployment.dr.user_pool_id, GroupName: "vip" }));
    const result = await redrive(
      { sqs: w.dr.sqs, dynamodb: w.dr.dynamodb, streams: w.dr.streams, queueUrl: w.deployment.dr.replicator_dlq_url, tableName: n.table },
      entries,
    );
    expect(result).toEqual({ redriven: 1, skipped: [] });
    // The user itself was created before the group failed; the redriven record adds the group.
    const groupsOf = async () =>
      (await w.dr.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: w.deployment.dr.user_pool_id, Username: asUsers[1].email }))).Groups?.map((g) => g.GroupName);
    let groups = await groupsOf();
    for (let i = 0; groups?.length === 0 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      groups = await groupsOf();
    }
    expect(groups).toEqual(["vip"]);
    await expectAllInDr([asUsers[1]]);
    expect(await parked()).toEqual([]);
  });

  it("6. deletes no DR user when TTL expires the staging records", async () => {
    const users = await confirmAll(testUsers(5, "ttl"));
    await expectAllInDr(users);
    const before = await replicatorCaughtUp(w);
    await w.sandbox.admin.resetStats();
    const swept = await w.sandbox.admin.ttlSweep(primaryRegion(), n.table, Math.floor(Date.now() / 1000) + 400 * 86_400);
    expect(swept.deleted).toBeGreaterThanOrEqual(5);
    // Positive signal first: every deletion reached the DR stream and the replicator's mapping
    // (whose filter drops REMOVEs, as the function would skip them), which has handled them all.
    const after = await replicatorCaughtUp(w);
    const removes = handled(before, after, "filteredByEventName", "REMOVE") + handled(before, after, "deliveredByEventName", "REMOVE");
    expect(removes).toBeGreaterThanOrEqual(swept.deleted);
    for (const u of users) expect((await getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, u.email))?.enabled).toBe(true);
    const ops = (await drStats()).operations;
    expect(ops["cognito-idp:AdminDeleteUser"]).toBeUndefined();
    expect(ops["cognito-idp:AdminDisableUser"]).toBeUndefined();
    expect(await parked()).toEqual([]);
  });

  it("7. changes nothing on duplicate and replayed stream records", async () => {
    const mark = await replicatorCaughtUp(w); // the checkpoint just before these users' records
    const users = await confirmAll(testUsers(3, "replay"));
    await expectAllInDr(users);
    // Change capture re-reads each user after ConfirmSignUp and, finding PostConfirmation's record
    // saying the same, writes nothing: these users have exactly one record each.
    await w.sandbox.admin.flushEvents(30_000);
    const processed = await replicatorCaughtUp(w);
    const before = await Promise.all(users.map((u) => getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, u.email)));
    const ours = (records: Awaited<ReturnType<typeof readStream>>["records"]) => records.filter((r) => users.some((u) => u.sub === r.dynamodb?.Keys?.[TABLE_KEY]?.S));

    // Rewriting an item unchanged writes no stream record in DynamoDB, so nothing is replicated.
    const primaryTail = (await readStream(w.primary, n.table)).tail;
    const applied = (await w.sandbox.admin.replication()).counters.applied;
    for (const u of users) {
      const item = (await w.primary.dynamodb.send(new GetItemCommand({ TableName: n.table, Key: { [TABLE_KEY]: { S: u.sub } } }))).Item!;
      await w.primary.dynamodb.send(new PutItemCommand({ TableName: n.table, Item: item }));
    }
    expect(ours((await readStream(w.primary, n.table, primaryTail)).records)).toEqual([]);
    expect((await w.sandbox.admin.flushReplication(30_000)).counters.applied).toBe(applied);

    // Replayed: the mapping goes back to its checkpoint before these users and delivers their
    // records again, as Lambda does when it retries a batch after a failure.
    await w.sandbox.admin.resetStats();
    const replayFrom = Date.now();
    await w.sandbox.admin.rewindMapping(processed.uuid, mark.shards);
    const replayed = await replicatorCaughtUp(w);
    expect(handled(processed, replayed, "deliveredByEventName", "INSERT")).toBe(3);
    expect(replayed.shards).toEqual(processed.shards);

    // Duplicated: each of those records twice in one batch, invoked as the mapping invokes.
    const { records } = await readStream(w.dr, n.table, mark.shards);
    expect(ours(records).map((r) => r.eventName)).toEqual(["INSERT", "INSERT", "INSERT"]);
    const asLambdaRecords = ours(records).map((r) => ({
      ...r,
      dynamodb: { ...r.dynamodb, ApproximateCreationDateTime: Math.floor(r.dynamodb!.ApproximateCreationDateTime!.getTime() / 1000) },
      eventSourceARN: replayed.eventSourceArn,
    }));
    const lambda = new LambdaClient({ region: drRegion(), endpoint: w.sandbox.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: n.fn("replicate-user"), Payload: JSON.stringify({ Records: [...asLambdaRecords, ...asLambdaRecords] }) }));
    expect(invoked.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(invoked.Payload!).toString())).toEqual({ batchItemFailures: [] });
    // The replicator looked at each record again, once per delivery, and found its user as it should be.
    const unchanged = (await w.sandbox.admin.lambdaLogs(n.fn("replicate-user"), drRegion())).filter(
      (l) => l.ts >= replayFrom && l.line.includes('"message":"user replicated"') && l.line.includes('"action":"unchanged"'),
    );
    for (const r of ours(records)) expect(unchanged.filter((l) => l.line.includes(r.eventID!)).length, r.eventID).toBeGreaterThanOrEqual(2);

    const after = await Promise.all(users.map((u) => getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, u.email)));
    expect(after).toEqual(before);
    const ops = (await drStats()).operations;
    for (const write of ["AdminUpdateUserAttributes", "AdminDeleteUserAttributes", "AdminDisableUser", "AdminEnableUser", "AdminAddUserToGroup"]) {
      expect(ops[`cognito-idp:${write}`], write).toBeUndefined();
    }
    expect(await parked()).toEqual([]);
  });

  it("8. retries from the checkpoint after the replicator crashes mid-batch, losing nothing", async () => {
    // Hold the stream while the records land, so the replicator gets them as one batch.
    const lambda = new LambdaClient({ region: drRegion(), endpoint: w.sandbox.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: n.fn("replicate-user") }))).EventSourceMappings ?? [];
    await disableMapping(lambda, mapping.UUID!);
    const records = syntheticRecords("crash", 40);
    await writeRecords(records);
    // Every record in the DR stream before the mapping reads again, so they come as one batch
    // (a slow machine must not split them, or the crash armed for 40 records never fires).
    expect((await w.sandbox.admin.flushReplication(60_000)).drained).toBe(true);
    // The DR UserCreation quota (10/s, burst 10) lets the first 10 users through at once and at
    // most 25 by the crash 1.5 s in, however fast or slow this machine is: the crash lands
    // mid-batch, which is checked below rather than assumed.
    await w.sandbox.admin.setQuota({ region: drRegion(), category: "UserCreation", ratePerSecond: 10, burst: 10 });
    await w.sandbox.admin.crashNext({ function: n.fn("replicate-user"), region: drRegion(), afterMs: 1500, minRecords: 40 });
    await w.sandbox.admin.resetStats();
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID!, Enabled: true }));

    const users = records.map(asConfirmedUser);
    await expectAllInDr(users);
    await expectNoDuplicates("crash", users);
    const logs = await w.sandbox.admin.lambdaLogs(n.fn("replicate-user"), drRegion());
    const crashes = logs.filter((l) => l.line.includes("crashing the execution environment"));
    expect(crashes).toHaveLength(1);
    // It crashed mid-batch: the invocation that died had created some of the batch's users, and
    // the retry from the checkpoint created the rest (and found the first ones there).
    const crashedRequest = crashes[0]!.line.split(" ")[0]!;
    const batch = new Set(records.map((r) => r.canonicalId));
    const createdBy = (crashed: boolean) =>
      logs
        .filter((l) => l.line.includes('"message":"user replicated"') && l.line.includes('"action":"created"') && l.line.includes(crashedRequest) === crashed)
        .map((l) => /"canonicalId":"([^"]+)"/.exec(l.line)?.[1])
        .filter((id): id is string => id !== undefined && batch.has(id));
    const beforeCrash = createdBy(true);
    const byRetry = createdBy(false);
    expect(beforeCrash.length).toBeGreaterThan(0);
    expect(byRetry.length).toBeGreaterThan(0);
    expect(beforeCrash.filter((id) => byRetry.includes(id))).toEqual([]);
    expect((await drStats()).operations["cognito-idp:AdminCreateUser"].calls).toBeGreaterThan(40);
    expect(await parked()).toEqual([]);
  });
  it("9. carries every kind of change of a record to the DR user: attributes set and removed, disabled and enabled, groups added and removed", async () => {
    const drPool = w.deployment.dr.user_pool_id;
    await w.dr.cognito.send(new CreateGroupCommand({ UserPoolId: drPool, GroupName: "staff" })).catch((e: Error) => {
      if (e.name !== "GroupExistsException") throw e;
    });
    const [v1] = syntheticRecords("changes", 1);
    v1!.groups = ["staff"];
    const groupsOf = async () =>
      w.dr.cognito
        .send(new AdminListGroupsForUserCommand({ UserPoolId: drPool, Username: v1!.attributes.email }))
        .then(
          (out): string[] => out.Groups?.map((g) => g.GroupName!) ?? [],
          (e: Error): string[] => {
            if (e.name === "UserNotFoundException") return [];
            throw e;
          },
        );
    async function until(what: string, check: () => Promise<boolean>): Promise<void> {
      for (let i = 0; i < 150; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`DR user never reached: ${what}`);
    }
    await writeRecords([v1!]);
    await until("created in group staff", async () => (await groupsOf()).includes("staff"));

    const v2 = { ...v1!, version: v1!.version + 1, enabled: false, attributes: { email: v1!.attributes.email, email_verified: "true", given_name: "Renamed" } };
    await writeRecords([v2]);
    await until("renamed, family_name removed, disabled", async () => {
      const u = await getDrUser(w.dr.cognito, drPool, v1!.attributes.email);
      return u?.attributes.given_name === "Renamed" && u.attributes.family_name === undefined && u.enabled === false;
    });

    const v3 = { ...v2, version: v2.version + 1, enabled: true, groups: [] };
    await writeRecords([v3]);
    await until("enabled, out of group staff", async () => (await getDrUser(w.dr.cognito, drPool, v1!.attributes.email))?.enabled === true && (await groupsOf()).length === 0);
    expect(await parked()).toEqual([]);
  });

  it("10. alarms reach the on-call subscribers: CloudWatch may publish to each stack's topic and use its key", async () => {
    for (const region of [primaryRegion(), drRegion()]) {
      const fired = await w.sandbox.admin.fireAlarms(region);
      expect(fired.length, region).toBeGreaterThan(0);
      for (const alarm of fired) {
        expect(alarm.deliveries.length, alarm.alarmName).toBeGreaterThan(0);
        for (const d of alarm.deliveries) {
          expect(d, `${alarm.alarmName} -> ${d.topicArn}`).toMatchObject({ allowed: true });
          expect(d.subscriptions.map((x) => x.endpoint)).toEqual(expect.arrayContaining(w.deployment.env.notifications.emails));
        }
      }
    }
  });

  it("11. parks users the DR pool cannot confirm (passwordless sign-in off there) instead of leaving them FORCE_CHANGE_PASSWORD, and replicates them once it is back", async () => {
    const drPool = w.deployment.dr.user_pool_id;
    const original = (await w.dr.cognito.send(new DescribeUserPoolCommand({ UserPoolId: drPool }))).UserPool!;
    const withFactors = (factors: string[]) =>
      w.dr.cognito.send(
        new UpdateUserPoolCommand({
          UserPoolId: drPool,
          Policies: { ...original.Policies, SignInPolicy: { AllowedFirstAuthFactors: factors as never } },
          LambdaConfig: original.LambdaConfig,
          UserPoolTier: original.UserPoolTier,
          AutoVerifiedAttributes: original.AutoVerifiedAttributes,
        }),
      );
    await withFactors(["PASSWORD"]);
    const records = syntheticRecords("unconfirmed", 3);
    try {
      await writeRecords(records);
      // Positive signal first: every record parked, with the reason that names the fix.
      let entries = await parked();
      for (let i = 0; entries.length < 3 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 200));
        entries = await parked();
      }
      expect(entries.map((e) => (e.kind === "parked" ? e.reason : e.kind))).toEqual(["NOT_CONFIRMED", "NOT_CONFIRMED", "NOT_CONFIRMED"]);
      // None of them is left behind in the DR pool, and nobody there is FORCE_CHANGE_PASSWORD.
      for (const r of records) expect(await getDrUser(w.dr.cognito, drPool, r.attributes.email)).toBeUndefined();
      const stuck: string[] = [];
      let token: string | undefined;
      do {
        const page = await w.dr.cognito.send(new ListUsersCommand({ UserPoolId: drPool, PaginationToken: token }));
        for (const u of page.Users ?? []) if (u.UserStatus === "FORCE_CHANGE_PASSWORD") stuck.push(u.Username!);
        token = page.PaginationToken;
      } while (token);
      expect(stuck).toEqual([]);
    } finally {
      await withFactors(original.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ["PASSWORD", "EMAIL_OTP"]);
    }
    const result = await redrive(
      { sqs: w.dr.sqs, dynamodb: w.dr.dynamodb, streams: w.dr.streams, queueUrl: w.deployment.dr.replicator_dlq_url, tableName: n.table },
      await parked(),
    );
    expect(result.redriven).toBe(3);
    await expectAllInDr(records.map(asConfirmedUser));
    for (const r of records) expect((await getDrUser(w.dr.cognito, drPool, r.attributes.email))?.status).toBe("CONFIRMED");
    expect(await parked()).toEqual([]);
  });

  it("12. (regression) table writers without the table key: a sign-up never reaches DR, and the post-confirmation log names the KMS denial", async () => {
    await w.sandbox.admin.flushEvents(30_000); // no capture of an earlier scenario's users is still on its way
    const file = join(w.deployment.stackDirs.primary, "cdk.tf.json");
    const original = readFileSync(file, "utf8");
    const variant = JSON.parse(original) as { resource: { aws_iam_role_policy: Record<string, { policy: string }> } };
    let removed = 0;
    for (const p of Object.values(variant.resource.aws_iam_role_policy)) {
      const doc = JSON.parse(p.policy) as { Statement: Array<{ Sid?: string }> };
      const kept = doc.Statement.filter((st) => st.Sid !== "UseTableKeyThroughDynamoDB");
      removed += doc.Statement.length - kept.length;
      p.policy = JSON.stringify({ ...doc, Statement: kept });
    }
    expect(removed).toBe(3); // post-confirmation, retry-worker and change-capture
    writeFileSync(file, JSON.stringify(variant, null, 2));
    try {
      await w.deployment.apply("primary");
      await w.sandbox.admin.clearAuthzDecisions();
      const [user] = await confirmAll(testUsers(1, "nokey"));
      const denied = () => w.sandbox.admin.lambdaLogs(n.fn("post-confirmation"), primaryRegion());
      let lines = await denied();
      for (let i = 0; !lines.some((l) => l.line.includes("KMS key access denied")) && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 200));
        lines = await denied();
      }
      const failure = lines.filter((l) => l.line.includes("table write failed")).at(-1);
      expect(failure?.line).toContain("KMS key access denied: kms:Decrypt on arn:aws:kms:");
      // The retry worker fails the same way: the user is stuck in the fallback queue, not in DR.
      let decisions = await w.sandbox.admin.authzDecisions();
      // Change capture re-reads the user after ConfirmSignUp and is denied the same way (after the delivery delay).
      const deniedTo = (role: string) => decisions.some((d) => d.role?.endsWith(n.role(role)) && !d.allowed);
      for (let i = 0; !(deniedTo("retry-worker") && deniedTo("change-capture")) && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 200));
        decisions = await w.sandbox.admin.authzDecisions();
      }
      // change-capture reads the record before it writes (GetItem): denied the same key.
      const deniedKms = decisions.filter((d) => !d.allowed && d.action === "kms:Decrypt" && ["dynamodb:PutItem", "dynamodb:GetItem"].includes(d.impliedBy ?? "")).map((d) => d.role?.split("/").pop());
      expect(new Set(deniedKms)).toEqual(new Set([n.role("post-confirmation"), n.role("retry-worker"), n.role("change-capture")]));
      await replicatorCaughtUp(w);
      expect(await getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, user!.email)).toBeUndefined();
      expect((await w.primary.dynamodb.send(new GetItemCommand({ TableName: n.table, Key: { [TABLE_KEY]: { S: user!.sub } } }))).Item).toBeUndefined();
    } finally {
      writeFileSync(file, original);
      await w.deployment.apply("primary");
    }
  });

  it("13. (issue 20) nobody takes another user's canonical id: the app clients refuse the attribute, the primary's tokens ignore a planted one, reconcile reports a conflict it never repairs", async () => {
    const tag = `cf${randomUUID().slice(0, 6)}`;
    const [victim, thief] = await confirmAll(testUsers(2, tag));
    await expectAllInDr([victim!, thief!]);
    // A new user tries it through the deployed app client of either pool: Cognito's answer, nothing created.
    for (const [cognito, clientId] of [
      [w.primary.cognito, w.deployment.primary.app_client_id],
      [w.dr.cognito, w.deployment.dr.app_client_id],
    ] as const) {
      const email = `user-${tag}-new@example.com`;
      const signUp = new SignUpCommand({ ClientId: clientId, Username: email, Password: `Aa1!${randomUUID()}`, UserAttributes: [{ Name: "email", Value: email }, { Name: `custom:${CANONICAL_ID_ATTRIBUTE}`, Value: victim!.sub }] });
      await expect(cognito.send(signUp)).rejects.toMatchObject({ name: "NotAuthorizedException", message: "A client attempted to write unauthorized attribute" });
    }
    expect(await listByEmailPrefix(w.primary.cognito, w.deployment.primary.user_pool_id, `user-${tag}-new`)).toEqual([]);

    // An administrator can (Admin* calls are not limited by app clients): plant the claim on the thief.
    await w.primary.cognito.send(
      new AdminUpdateUserAttributesCommand({ UserPoolId: w.deployment.primary.user_pool_id, Username: thief!.email, UserAttributes: [{ Name: `custom:${CANONICAL_ID_ATTRIBUTE}`, Value: victim!.sub }] }),
    );
    // The primary pool's pre-token trigger still gives the thief its own sub.
    await signInWithEmailOtp(w.primary.cognito, w.sandbox, w.deployment.primary.app_client_id, thief!.email);
    const invocation = (await w.sandbox.admin.triggers())
      .filter((t) => t.trigger === "PreTokenGeneration" && t.userPoolId === w.deployment.primary.user_pool_id)
      .reverse()
      .find((t) => (t.event as { request?: { userAttributes?: Record<string, string> } }).request?.userAttributes?.email === thief!.email);
    const claims = (invocation?.result as { response?: { claimsAndScopeOverrideDetails?: { idTokenGeneration?: { claimsToAddOrOverride?: Record<string, string> } } } })?.response
      ?.claimsAndScopeOverrideDetails?.idTokenGeneration?.claimsToAddOrOverride;
    expect(claims).toEqual({ canonical_id: thief!.sub });

    // reconcile --apply: both users are conflicts, neither is repaired, and it exits 1.
    const saved = process.env.SANDBOX_ENDPOINT;
    process.env.SANDBOX_ENDPOINT = w.sandbox.endpoint;
    const io = { out: "", err: "", isTTY: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    let code: number;
    try {
      code = await reconcile.run(["--env", "local", "--filter", `email ^= "user-${tag}-"`, "--apply", "--json"], io);
    } finally {
      if (saved === undefined) delete process.env.SANDBOX_ENDPOINT;
      else process.env.SANDBOX_ENDPOINT = saved;
    }
    expect(code, io.err).toBe(1);
    const report = JSON.parse(io.out) as ReconcileReport;
    expect(report.counts.conflict).toBe(2);
    expect(report.drift.map((d) => [d.kind, d.canonicalId, d.repaired]).sort()).toEqual(
      [
        ["conflict", victim!.sub, undefined],
        ["conflict", thief!.sub, undefined],
      ].sort(),
    );
    const drVictim = await getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, victim!.email);
    expect(drVictim?.attributes).toMatchObject({ email: victim!.email, given_name: victim!.givenName, [`custom:${CANONICAL_ID_ATTRIBUTE}`]: victim!.sub });
  });
});
