// change-capture against mocked Cognito and DynamoDB, fed AWS's documented events in the SQS
// messages EventBridge sends: one re-read and one record version per user per batch, tombstones for
// users gone, drops that never fail a batch, retries only for the users that failed.
import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  TooManyRequestsException,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, InternalServerError, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { fromItem, toItem } from "../replication/record";
import * as aws from "../../test/support/aws";
import { FIXED_NOW, sqsEvent, sqsRecord } from "../../test/support/events";
import { fixedClock, recordingMetrics, testLogger } from "../../test/support/fakes";
import { logsFrom } from "../../test/support/logs";
import { installPiiGuard } from "../../test/support/pii-guard";
import { readCaptureConfig } from "./config";
import { captureRates, makeHandler } from "./handler";

const guard = installPiiGuard();
const cognito = mockClient(CognitoIdentityProviderClient);
const ddb = mockClient(DynamoDBClient);
const meta = { $metadata: {} };
const POOL = "us-west-2_aaaaaaaaa";
const SUB = "704b1e47-34fe-40e9-8c41-504997494531";
const SUB2 = "11111111-2222-4333-8444-555555555555";
let metrics = recordingMetrics();

/** `cognito`: the mocked SDK client by default; a plain fake where the limiter's metering is under test. */
function handler(env: Record<string, string> = {}, now = fixedClock(), cognito: Pick<CognitoIdentityProviderClient, "send"> = new CognitoIdentityProviderClient({ region: "us-west-2" })) {
  return makeHandler({
    config: readCaptureConfig({ AWS_REGION: "us-west-2", CAPTURE_USER_POOL_ID: POOL, TABLE_NAME: "cdr-test-users", CAPTURE_IGNORED_ROLE_PREFIX: "cdr-test-", ...env }),
    cognito,
    ddb: new DynamoDBClient({ region: "us-west-2" }),
    logger: testLogger(),
    metrics,
    now,
  });
}

/** The documented API call for `sub`, with `eventName` and `eventTime`, as the SQS message EventBridge sends. */
function message(id: string, o: { sub?: string; eventName?: string; eventTime?: string; patch?: Record<string, unknown> } = {}) {
  const detail = { ...aws.cloudTrailAdminCall(), eventName: o.eventName ?? "AdminDisableUser", eventTime: o.eventTime ?? "2026-11-21T11:59:58Z", additionalEventData: { sub: o.sub ?? SUB }, ...o.patch };
  return sqsRecord(JSON.stringify(aws.eventBridgeCloudTrailEvent(detail)), id);
}

const primaryUser = (sub: string, o: { email?: string; enabled?: boolean; status?: string; name?: string } = {}) => ({
  Username: sub,
  Enabled: o.enabled ?? true,
  UserStatus: (o.status ?? "CONFIRMED") as "CONFIRMED",
  UserCreateDate: new Date(FIXED_NOW - 86_400_000),
  UserAttributes: [
    { Name: "sub", Value: sub },
    { Name: "email", Value: o.email ?? "alice@example.com" },
    { Name: "email_verified", Value: "true" },
    { Name: "name", Value: o.name ?? "Alice Example" },
  ],
});

const written = () => ddb.commandCalls(PutItemCommand).map((c) => fromItem(c.args[0].input.Item));

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  metrics = recordingMetrics();
  cognito.on(AdminGetUserCommand).callsFake(async (input: { Username: string }) => primaryUser(input.Username));
  cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [{ GroupName: "staff" }] });
  ddb.on(PutItemCommand).resolves({});
  ddb.on(GetItemCommand).resolves({}); // no record yet
});

describe("change-capture", () => {
  it("managed login's confirmation, as published: re-reads the user, writes its record as the next version with the conditional put", async () => {
    const confirm = sqsRecord(JSON.stringify(aws.eventBridgeCloudTrailEvent(aws.cloudTrailManagedLoginConfirm())), "m1");
    const out = await handler()(sqsEvent(confirm));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(cognito).toHaveReceivedCommandWith(AdminGetUserCommand, { UserPoolId: POOL, Username: SUB });
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, { TableName: "cdr-test-users", ConditionExpression: "attribute_not_exists(#key) OR #version < :version" });
    const at = Date.parse("2022-05-05T23:23:32Z");
    expect(written()).toEqual([
      {
        schemaVersion: 1,
        canonicalId: SUB,
        username: SUB,
        attributes: { email: "alice@example.com", email_verified: "true", name: "Alice Example" },
        enabled: true,
        groups: ["staff"],
        originRegion: "us-west-2",
        originPoolId: POOL,
        version: FIXED_NOW,
        confirmedAt: FIXED_NOW - 86_400_000,
        expiresAt: FIXED_NOW / 1000 + 30 * 86_400,
        changedAt: at,
        changeKinds: ["confirm"],
      },
    ]);
    expect(metrics.byDimension("CaptureEvents", "kind")).toEqual({ confirm: 1 });
    expect(metrics.byDimension("ChangeToRecordLagMs", "kind")).toEqual({ confirm: FIXED_NOW - at });
    expect(metrics.total("CaptureWritten")).toBe(1);
  });

  it("a burst for one user in one batch: one re-read, one version carrying every kind, a lag per event", async () => {
    const names = ["AdminDisableUser", "AdminEnableUser", "AdminUpdateUserAttributes", "AdminAddUserToGroup", "AdminDisableUser"];
    const batch = names.map((eventName, i) => message(`b${i}`, { eventName, eventTime: `2026-11-21T11:59:5${i}Z` }));
    const out = await handler()(sqsEvent(...batch));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).toHaveReceivedCommandTimes(AdminGetUserCommand, 1);
    expect(cognito).toHaveReceivedCommandTimes(AdminListGroupsForUserCommand, 1);
    expect(written()).toHaveLength(1);
    expect(written()[0]).toMatchObject({ changeKinds: ["attributes", "disable", "enable", "groups"], changedAt: Date.parse("2026-11-21T11:59:50Z") });
    expect(metrics.byDimension("CaptureEvents", "kind")).toEqual({ disable: 2, enable: 1, attributes: 1, groups: 1 });
    expect(metrics.values("ChangeToRecordLagMs")).toHaveLength(5);
    expect(metrics.values("CaptureReReadMs")).toHaveLength(1);
  });

  it("a user the pool no longer has becomes a tombstone: a new version, deleted, nothing else", async () => {
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "User does not exist.", ...meta }));
    cognito.on(ListUsersCommand).resolves({ Users: [] });
    const logs = logsFrom(guard);
    const out = await handler()(sqsEvent(message("d1", { eventName: "AdminDeleteUser" })));
    expect(out.batchItemFailures).toEqual([]);
    expect(written()).toEqual([
      {
        schemaVersion: 1,
        canonicalId: SUB,
        username: SUB,
        attributes: {},
        enabled: false,
        groups: [],
        originRegion: "us-west-2",
        originPoolId: POOL,
        version: FIXED_NOW,
        confirmedAt: FIXED_NOW,
        expiresAt: FIXED_NOW / 1000 + 30 * 86_400,
        deleted: true,
        changedAt: Date.parse("2026-11-21T11:59:58Z"),
        changeKinds: ["delete"],
      },
    ]);
    expect(metrics.total("CaptureTombstones")).toBe(1);
    expect(logs.read().find((l) => l.message === "user gone from the pool: tombstone written")).toMatchObject({ level: "INFO", canonicalId: SUB, outcome: "written", kinds: ["delete"] });
  });

  it("a late or duplicate event whose version a newer one already beat is superseded, not a failure", async () => {
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "c", ...meta }));
    const out = await handler()(sqsEvent(message("s1")));
    expect(out.batchItemFailures).toEqual([]);
    expect(metrics.total("CaptureSuperseded")).toBe(1);
    expect(metrics.total("CaptureWritten")).toBe(0);
    expect(metrics.values("ChangeToRecordLagMs")).toEqual([]);
  });

  it("only the messages of the user that failed are retried", async () => {
    cognito.on(AdminGetUserCommand, { Username: SUB2 }).rejects(new TooManyRequestsException({ message: "slow", ...meta }));
    const logs = logsFrom(guard);
    const out = await handler()(sqsEvent(message("a1"), message("b1", { sub: SUB2 }), message("a2", { eventName: "AdminEnableUser" }), message("b2", { sub: SUB2, eventName: "AdminEnableUser" })));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: "b1" }, { itemIdentifier: "b2" }]);
    expect(written().map((r) => r.canonicalId)).toEqual([SUB]);
    expect(metrics.total("CaptureFailed")).toBe(1);
    expect(logs.read().find((l) => l.message === "user not captured; its messages will be retried")).toMatchObject({ level: "WARN", canonicalId: SUB2, reason: "THROTTLED", events: 2 });
  });

  it("a table error is retried too", async () => {
    ddb.on(PutItemCommand).rejects(new InternalServerError({ message: "x", ...meta }));
    const out = await handler()(sqsEvent(message("t1")));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: "t1" }]);
  });

  it("a user whose data cannot make a record is dropped with an ERROR naming why (retrying changes nothing)", async () => {
    cognito.on(AdminGetUserCommand).resolves(primaryUser(SUB, { name: "x".repeat(2049) }));
    const logs = logsFrom(guard);
    const out = await handler()(sqsEvent(message("p1")));
    expect(out.batchItemFailures).toEqual([]);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(logs.read().find((l) => l.level === "ERROR")).toMatchObject({ message: expect.stringContaining("cannot be replicated"), canonicalId: SUB, reason: "ATTRIBUTE_REJECTED", error: expect.stringContaining('"name"') });
  });

  it("an unconfirmed sign-up writes nothing (its confirmation is captured); FORCE_CHANGE_PASSWORD is recorded as such", async () => {
    cognito.on(AdminGetUserCommand).resolves(primaryUser(SUB, { status: "UNCONFIRMED" }));
    await handler()(sqsEvent(message("u1", { eventName: "SignUp" })));
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);

    cognito.on(AdminGetUserCommand).resolves(primaryUser(SUB, { status: "FORCE_CHANGE_PASSWORD" }));
    await handler()(sqsEvent(message("f1", { eventName: "AdminCreateUser" })));
    expect(written()[0]).toMatchObject({ forceChangePassword: true, enabled: true, changeKinds: ["create"] });
  });

  it("drops what it must not capture, each with its reason, with no call and no failure", async () => {
    const logs = logsFrom(guard);
    const ownRole = { ...aws.cloudTrailAdminCall() };
    const identity = structuredClone(ownRole.userIdentity) as { sessionContext: { sessionIssuer: { userName: string; arn: string } } };
    identity.sessionContext.sessionIssuer.userName = "cdr-test-replicator";
    identity.sessionContext.sessionIssuer.arn = "arn:aws:iam::123456789012:role/cdr-test-replicator";
    const out = await handler()(
      sqsEvent(
        message("other-pool", { patch: { requestParameters: { userPoolId: "us-west-2_bbbbbbbbb" } } }),
        message("own-role", { patch: { userIdentity: identity } }),
        message("failed", { patch: { errorCode: "UserNotFoundException" } }),
        message("read", { eventName: "AdminGetUser" }),
        message("hidden", { patch: { additionalEventData: { sub: "HIDDEN_DUE_TO_SECURITY_REASONS" } } }),
        sqsRecord("not json", "garbage"),
        sqsRecord(JSON.stringify(aws.eventBridgeCloudTrailEvent(aws.cloudTrailManagedLoginSignup())), "signup"),
      ),
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(metrics.byDimension("CaptureDropped", "reason")).toEqual({ "other-pool": 1, "own-role": 1, "failed-call": 1, "not-captured": 2, "no-sub": 1, "not-json": 1 });
    const lines = logs.read().filter((l) => l.message.startsWith("event dropped"));
    expect(lines.find((l) => l.messageId === "garbage")).toMatchObject({ level: "WARN", message: "event dropped: not a shape this function knows", reason: "not-json" });
    expect(lines.find((l) => l.messageId === "hidden")).toMatchObject({ level: "WARN", reason: "no-sub", eventName: "AdminDisableUser" });
    expect(lines.find((l) => l.messageId === "failed")).toMatchObject({ level: "INFO", message: "event dropped", reason: "failed-call", errorCode: "UserNotFoundException" });
    expect(lines.find((l) => l.messageId === "own-role")).toMatchObject({ level: "INFO", reason: "own-role" });
  });

  it("a deletion in the batch is written before the other users' records (a reused email then finds the tombstone)", async () => {
    const order: string[] = [];
    cognito.on(AdminGetUserCommand).callsFake(async (input: { Username: string }) => {
      if (input.Username === SUB) {
        await new Promise((r) => setTimeout(r, 30));
        throw new UserNotFoundException({ message: "gone", ...meta });
      }
      return primaryUser(input.Username);
    });
    cognito.on(ListUsersCommand).resolves({ Users: [] });
    ddb.on(PutItemCommand).callsFake(async (input: { Item: Parameters<typeof fromItem>[0] }) => void order.push(fromItem(input.Item).canonicalId));
    await handler()(sqsEvent(message("new", { sub: SUB2, eventName: "ConfirmSignUp" }), message("old", { eventName: "AdminDeleteUser" })));
    expect(order).toEqual([SUB, SUB2]);
  });

  it("an empty batch is an empty partial response", async () => {
    await expect(handler()(sqsEvent())).resolves.toEqual({ batchItemFailures: [] });
  });
});

describe("the re-read rate", () => {
  it("each instance takes the configured share of UserRead and UserList, split over the mapping's maximum concurrency", () => {
    expect(captureRates({ quotaShare: 0.25, maxConcurrency: 2 })).toEqual({ UserRead: 15, UserList: 3.75 });
    expect(captureRates({ quotaShare: 1, maxConcurrency: 10 })).toEqual({ UserRead: 12, UserList: 3 });
  });

  it("re-reads are held to it: 8 reads at 12/s (burst 2.4) take at least ~0.45 s", async () => {
    // A plain fake, not the mocked SDK client: the mock replaces `send`, so the limiter's per-attempt
    // middleware never runs there; a fake is metered per command (RegionLimiter.limit).
    const calls: string[] = [];
    const fake = {
      send: async (cmd: object) => {
        calls.push(cmd.constructor.name);
        if (cmd instanceof AdminGetUserCommand) return primaryUser(cmd.input.Username!);
        return { Groups: [{ GroupName: "staff" }] };
      },
    };
    const h = handler({ CAPTURE_QUOTA_SHARE: "0.2", CAPTURE_MAX_CONCURRENCY: "2" }, Date.now, fake as never);
    const subs = ["a", "b", "c", "d"].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
    const started = Date.now();
    const out = await h(sqsEvent(...subs.map((sub, i) => message(`r${i}`, { sub }))));
    expect(out.batchItemFailures).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(calls).toHaveLength(8);
  });
  it("a re-read that says what the table already holds writes nothing (a sign-up's ConfirmSignUp after PostConfirmation's record)", async () => {
    await handler()(sqsEvent(message("w1", { eventName: "AdminUpdateUserAttributes" })));
    const first = written()[0]!;
    ddb.reset();
    ddb.on(GetItemCommand).resolves({ Item: toItem({ ...first, version: first.version - 5000, changeKinds: undefined, changedAt: undefined, groups: [...first.groups].reverse() }) });
    const out = await handler()(sqsEvent(message("w2", { eventName: "ConfirmSignUp" })));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: "cdr-test-users", ConsistentRead: true });
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(metrics.total("CaptureUnchanged")).toBe(1);
  });

  it("a re-read that differs from the table's record (here: disabled since) is written", async () => {
    await handler()(sqsEvent(message("w1", { eventName: "AdminUpdateUserAttributes" })));
    const first = written()[0]!;
    ddb.reset();
    ddb.on(GetItemCommand).resolves({ Item: toItem(first) });
    ddb.on(PutItemCommand).resolves({});
    cognito.on(AdminGetUserCommand).callsFake(async (input: { Username: string }) => primaryUser(input.Username, { enabled: false }));
    await handler()(sqsEvent(message("w2")));
    expect(written().map((r) => r.enabled)).toEqual([false]);
  });
});
