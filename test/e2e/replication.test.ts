// End to end against the real `local` stacks deployed to the sandbox: users are
// confirmed in the primary pool through Cognito's own API, and every assertion
// is about the DR pool's real state.
import { CreateGroupCommand, AdminListGroupsForUserCommand, DescribeUserPoolCommand, ListUsersCommand, UpdateUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TABLE_KEY } from "../../handlers/contract";
import { newRecord, toItem, type ReplicatedUser } from "../../handlers/shared/record";
import { names } from "../../stacks/names";
import { getDrUser, mapLimit, signUpAndConfirm, testUsers, waitForDr, type ConfirmedUser } from "../../scripts/lib/population";
import { readDlq, redrive } from "../../scripts/lib/redrive";
import { listByEmailPrefix, missingTools, startWorld, traceUser, type World } from "./harness";

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
    for (const u of users.filter((u) => missing.includes(u.email))) console.error("[e2e] not in DR:", JSON.stringify(await traceUser(w, u), null, 1));
    expect(missing).toEqual([]);
  }

  async function expectNoDuplicates(tag: string, count: number): Promise<void> {
    const emails = await listByEmailPrefix(w.dr.cognito, w.deployment.dr.user_pool_id, `user-${tag}-`);
    expect(emails.length).toBe(count);
    expect(new Set(emails).size).toBe(count);
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

  const parked = async () => readDlq(w.dr.sqs, w.deployment.dr.replicator_dlq_url);
  const drStats = async () => (await w.sandbox.admin.stats()).regions[drRegion()];

  it("deploys so that a plan right after apply is empty", async () => {
    expect(await w.deployment.planChanges()).toBe(false);
  });

  it("1. replicates 200 users confirmed concurrently, CONFIRMED with equal attributes and canonical ids, no invitation sent", async () => {
    const users = await confirmAll(testUsers(200, "bulk"));
    await expectAllInDr(users);
    await expectNoDuplicates("bulk", 200);
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
    const during = (await drStats()).operations["cognito-idp:AdminCreateUser"];
    expect(during.faulted).toBeGreaterThan(0);
    expect(during.faulted).toBe(during.calls);
    await w.sandbox.admin.clearFaults(fault.id);
    await expectAllInDr(users);
    await expectNoDuplicates("outage", 30);
    expect(await parked()).toEqual([]);
  });

  it("3. replicates everyone through a throttling storm (DR UserCreation at 5/s), parking nobody", async () => {
    await w.sandbox.admin.setQuota({ region: drRegion(), category: "UserCreation", ratePerSecond: 5 });
    await w.sandbox.admin.resetStats();
    const users = await confirmAll(testUsers(40, "storm"));
    await expectAllInDr(users);
    await expectNoDuplicates("storm", 40);
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
    await w.sandbox.admin.resetStats();
    const swept = await w.sandbox.admin.ttlSweep(primaryRegion(), n.table, Math.floor(Date.now() / 1000) + 400 * 86_400);
    expect(swept.deleted).toBeGreaterThanOrEqual(5);
    await w.sandbox.admin.flushReplication(10_000);
    await new Promise((r) => setTimeout(r, 2000)); // let the replicator see the REMOVEs
    for (const u of users) expect((await getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, u.email))?.enabled).toBe(true);
    const ops = (await drStats()).operations;
    expect(ops["cognito-idp:AdminDeleteUser"]).toBeUndefined();
    expect(ops["cognito-idp:AdminDisableUser"]).toBeUndefined();
  });

  it("7. changes nothing on duplicate and replayed stream records", async () => {
    const users = await confirmAll(testUsers(3, "replay"));
    await expectAllInDr(users);
    const before = await Promise.all(users.map((u) => getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, u.email)));
    await w.sandbox.admin.resetStats();
    for (let round = 0; round < 3; round++) {
      for (const u of users) {
        const item = (await w.primary.dynamodb.send(new GetItemCommand({ TableName: n.table, Key: { [TABLE_KEY]: { S: u.sub } } }))).Item!;
        // An unconditional rewrite of the same image: the stream carries a MODIFY with nothing changed.
        await w.primary.dynamodb.send(new PutItemCommand({ TableName: n.table, Item: item }));
      }
    }
    await w.sandbox.admin.flushReplication(10_000);
    await new Promise((r) => setTimeout(r, 2000));
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
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID!, Enabled: false }));
    const records = syntheticRecords("crash", 40);
    await writeRecords(records);
    await w.sandbox.admin.flushReplication(10_000);
    // Slow DR calls (100 ms, 10 users in flight) make the 40-record invocation last ~400 ms;
    // it dies 150 ms in, with some users created and some not.
    await w.sandbox.admin.injectFault({ service: "cognito-idp", region: drRegion(), latencyMs: 100 });
    await w.sandbox.admin.crashNext({ function: n.fn("replicate-user"), region: drRegion(), afterMs: 150, minRecords: 20 });
    await w.sandbox.admin.resetStats();
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID!, Enabled: true }));

    await expectAllInDr(records.map(asConfirmedUser));
    await expectNoDuplicates("crash", 40);
    const logs = await w.sandbox.admin.lambdaLogs(n.fn("replicate-user"), drRegion());
    expect(logs.filter((l) => l.line.includes("crashing the execution environment")).length).toBe(1);
    // Users created before the crash were replayed from the checkpoint: found, not created twice.
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
    expect(removed).toBe(2); // post-confirmation and retry-worker
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
      for (let i = 0; !decisions.some((d) => d.role?.endsWith(n.role("retry-worker")) && !d.allowed) && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 200));
        decisions = await w.sandbox.admin.authzDecisions();
      }
      const deniedKms = decisions.filter((d) => !d.allowed && d.action === "kms:Decrypt" && d.impliedBy === "dynamodb:PutItem").map((d) => d.role?.split("/").pop());
      expect(new Set(deniedKms)).toEqual(new Set([n.role("post-confirmation"), n.role("retry-worker")]));
      await w.sandbox.admin.flushReplication(10_000);
      expect(await getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, user!.email)).toBeUndefined();
      expect((await w.primary.dynamodb.send(new GetItemCommand({ TableName: n.table, Key: { [TABLE_KEY]: { S: user!.sub } } }))).Item).toBeUndefined();
    } finally {
      writeFileSync(file, original);
      await w.deployment.apply("primary");
    }
  });
});
