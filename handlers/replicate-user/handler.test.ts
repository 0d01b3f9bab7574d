import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  TooManyRequestsException,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { readReplicatorConfig } from "../shared/env";
import * as aws from "../../test/support/aws";
import { asImage, DR_POOL_ID, DR_REGION, FIXED_NOW, streamEvent, streamRecord, userRecord } from "../../test/support/events";
import { fixedClock, recordingMetrics, testLogger } from "../../test/support/fakes";
import { logsFrom } from "../../test/support/logs";
import { installPiiGuard } from "../../test/support/pii-guard";
import { CONFLICT_GRACE_MS, makeHandler, START_MARGIN_MS, userKeyOf } from "./handler";
import type { Context } from "aws-lambda";

const guard = installPiiGuard();
const cognito = mockClient(CognitoIdentityProviderClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBClient);
const meta = { $metadata: {} };
const PARK_URL = "https://sqs.us-west-2.amazonaws.com/123456789012/cdr-test-park";
let metrics = recordingMetrics();

function handler(env: Record<string, string> = {}) {
  const config = readReplicatorConfig({
    AWS_REGION: DR_REGION,
    TARGET_USER_POOL_ID: DR_POOL_ID,
    PARK_QUEUE_URL: PARK_URL,
    TABLE_NAME: "cdr-test-users",
    REPLICATED_CUSTOM_ATTRIBUTES: "tier",
    ...env,
  });
  return makeHandler({
    cognito: new CognitoIdentityProviderClient({ region: DR_REGION }),
    sqs: new SQSClient({ region: DR_REGION }),
    ddb: new DynamoDBClient({ region: DR_REGION }),
    config,
    logger: testLogger(),
    metrics,
    now: fixedClock(),
  });
}

const parkedBodies = () => sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!));

beforeEach(() => {
  cognito.reset();
  sqs.reset();
  metrics = recordingMetrics();
  cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub" } });
  sqs.on(SendMessageCommand).resolves({ MessageId: "parked-1" });
  ddb.reset();
  ddb.on(GetItemCommand).resolves({});
  ddb.on(PutItemCommand).resolves({});
  ddb.on(DeleteItemCommand).resolves({});
});

describe("replicate-user", () => {
  it("creates the DR user with exactly this AdminCreateUser input", async () => {
    const record = userRecord({
      attributes: {
        email: "alice@example.com",
        email_verified: "true",
        name: "Alice Example",
        phone_number: "+14155550100",
        locale: "en-GB",
        "custom:tier": "gold",
      },
    });
    const out = await handler()(streamEvent(streamRecord(record)));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 1);
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input).toEqual({
      UserPoolId: "us-west-2_DrPool01",
      Username: "alice@example.com",
      UserAttributes: [
        { Name: "custom:canonical_id", Value: "6a7b8c9d-0000-4000-8000-000000000001" },
        { Name: "custom:tier", Value: "gold" },
        { Name: "email", Value: "alice@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "locale", Value: "en-GB" },
        { Name: "name", Value: "Alice Example" },
        { Name: "phone_number", Value: "+14155550100" },
      ],
      MessageAction: "SUPPRESS",
    });
    expect(cognito.calls()).toHaveLength(1);
    expect(metrics.total("Replicated")).toBe(1);
    expect(metrics.values("ReplicationLagMs")).toEqual([1_500]);
    expect(metrics.published).toBe(1);
  });

  it("an empty batch is an empty partial response", async () => {
    await expect(handler()(streamEvent())).resolves.toEqual({ batchItemFailures: [] });
  });

  it("disables a user created with enabled=false", async () => {
    await handler()(streamEvent(streamRecord(userRecord({ enabled: false }))));
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-sub" });
  });

  it("skips REMOVE (TTL expiry) and records written in this region", async () => {
    const out = await handler()(
      streamEvent(streamRecord(userRecord(), { eventName: "REMOVE" }), streamRecord(userRecord({ canonicalId: "c2", originRegion: DR_REGION }))),
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito.calls()).toHaveLength(0);
    expect(metrics.total("Skipped")).toBe(2);
  });

  it("a replay of an already-equal user makes no write call", async () => {
    const r = userRecord();
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
    cognito.on(AdminGetUserCommand).resolves({
      Username: "dr-sub",
      Enabled: true,
      UserAttributes: [
        { Name: "sub", Value: "dr-sub" },
        { Name: "email", Value: r.attributes.email },
        { Name: "email_verified", Value: "true" },
        { Name: "name", Value: r.attributes.name },
        { Name: "custom:canonical_id", Value: r.canonicalId },
      ],
    });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    const out = await handler()(streamEvent(streamRecord(r, { eventName: "MODIFY", oldImage: asImage(r) })));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).not.toHaveReceivedCommand(AdminUpdateUserAttributesCommand);
    expect(cognito).not.toHaveReceivedCommand(AdminAddUserToGroupCommand);
    expect(metrics.total("Replicated")).toBe(1);
    expect(metrics.values("ReplicationLagMs")).toEqual([]);
  });

  it("follows an email change from OldImage to NewImage", async () => {
    const before = userRecord({ attributes: { email: "old@example.com" } });
    const after = userRecord({ attributes: { email: "new@example.com", email_verified: "true" }, version: before.version + 10 });
    cognito.on(AdminGetUserCommand, { Username: "old@example.com" }).resolves({
      Username: "dr-sub",
      Enabled: true,
      UserAttributes: [
        { Name: "email", Value: "old@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "custom:canonical_id", Value: before.canonicalId },
      ],
    });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await handler()(streamEvent(streamRecord(after, { eventName: "MODIFY", oldImage: asImage(before) })));
    expect(cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
    expect(cognito).toHaveReceivedCommandWith(AdminUpdateUserAttributesCommand, {
      Username: "dr-sub",
      UserAttributes: [
        { Name: "email", Value: "new@example.com" },
        { Name: "email_verified", Value: "true" },
      ],
    });
  });

  it("parks a permanent failure with its reason and counts it handled", async () => {
    const r = userRecord({ attributes: { name: "No Email" } });
    const rec = streamRecord(r, { sequenceNumber: "000000000000000000777", eventID: "ev-777" });
    const out = await handler()(streamEvent(rec));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito.calls()).toHaveLength(0);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: PARK_URL,
      MessageAttributes: { reason: { DataType: "String", StringValue: "MISSING_REQUIRED_ATTRIBUTE" } },
    });
    expect(parkedBodies()[0]).toEqual({
      reason: "MISSING_REQUIRED_ATTRIBUTE",
      message: 'required attribute "email" has no value',
      record: r,
      eventID: "ev-777",
      sequenceNumber: "000000000000000000777",
      parkedAt: FIXED_NOW,
    });
    expect(metrics.total("Parked")).toBe(1);
  });

  it("parks a user the DR pool did not confirm (it could not sign in), with the reason and the fix", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub", UserStatus: "FORCE_CHANGE_PASSWORD" } });
    const out = await handler()(streamEvent(streamRecord(userRecord())));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { Username: "dr-sub" });
    expect(parkedBodies()[0]).toMatchObject({ reason: "NOT_CONFIRMED", message: expect.stringContaining("allows EMAIL_OTP sign-in") });
    expect(metrics.total("Parked")).toBe(1);
    expect(metrics.total("Replicated")).toBe(0);
  });

  it("parks a malformed image with the raw image", async () => {
    const raw = { canonicalId: { S: "c-bad" }, version: { S: "not a number" } };
    const out = await handler()(streamEvent(streamRecord(undefined, { newImage: raw, keys: { canonicalId: { S: "c-bad" } } })));
    expect(out.batchItemFailures).toEqual([]);
    expect(parkedBodies()[0]).toMatchObject({ reason: "INVALID_RECORD", record: raw });
  });

  it.each([
    ["another live canonical id (same email signed up in both regions)", [{ Name: "sub", Value: "dr-x" }, { Name: "custom:canonical_id", Value: "other" }], "CONFLICT_SAME_EMAIL"],
    ["no canonical id at all (a DR user made by hand)", [{ Name: "sub", Value: "dr-x" }], "CANONICAL_ID_CONFLICT"],
  ])("a holder with %s: a young record is retried (the holder's deletion may be on its way), and parked once the grace has passed", async (_, attributes, reason) => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
    cognito.on(AdminGetUserCommand).resolves({ Username: "x", UserAttributes: attributes });
    const young = streamRecord(userRecord({ version: FIXED_NOW - CONFLICT_GRACE_MS + 1000, confirmedAt: FIXED_NOW - CONFLICT_GRACE_MS + 1000 }));
    expect((await handler()(streamEvent(young))).batchItemFailures).toEqual([{ itemIdentifier: young.dynamodb!.SequenceNumber }]);
    expect(parkedBodies()).toEqual([]);
    const old = streamRecord(userRecord({ version: FIXED_NOW - CONFLICT_GRACE_MS, confirmedAt: FIXED_NOW - CONFLICT_GRACE_MS }));
    expect((await handler()(streamEvent(old))).batchItemFailures).toEqual([]);
    expect(parkedBodies()[0].reason).toBe(reason);
  });

  it("reports the record failed when parking fails (never lost)", async () => {
    sqs.on(SendMessageCommand).rejects(new Error("queue down"));
    const rec = streamRecord(userRecord({ attributes: {} }));
    const out = await handler()(streamEvent(rec));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: rec.dynamodb!.SequenceNumber }]);
    expect(metrics.total("Failed")).toBe(1);
  });

  it("a retryable failure blocks later records of the same user only", async () => {
    const a1 = userRecord({ canonicalId: "a", attributes: { email: "a@example.com" } });
    const a2 = { ...a1, version: a1.version + 1, attributes: { email: "a@example.com", name: "A" } };
    const b = userRecord({ canonicalId: "b", attributes: { email: "b@example.com" } });
    cognito.on(AdminCreateUserCommand, { Username: "a@example.com" }).rejects(new TooManyRequestsException({ message: "slow", ...meta }));
    const [r1, r2, r3] = [streamRecord(a1), streamRecord(b), streamRecord(a2, { eventName: "MODIFY" })];
    const out = await handler()(streamEvent(r1, r2, r3));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: r1.dynamodb!.SequenceNumber }, { itemIdentifier: r3.dynamodb!.SequenceNumber }]);
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 2); // a1 (throttled) and b; a2 never ran
    expect(metrics.total("Replicated")).toBe(1);
    expect(metrics.total("Failed")).toBe(2);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it("applies records of one user in stream order and skips duplicates and stale versions", async () => {
    const v1 = userRecord({ version: 1000 });
    const v2 = userRecord({ version: 2000, attributes: { email: "alice@example.com", name: "Second" } });
    const seen: number[] = [];
    cognito.on(AdminCreateUserCommand).callsFake(async (input) => {
      seen.push(input.UserAttributes.length);
      await new Promise((r) => setTimeout(r, 2));
      return { User: { Username: "dr-sub" } };
    });
    const out = await handler()(streamEvent(streamRecord(v1), streamRecord(v2), streamRecord(v2), streamRecord(v1)));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 2);
    expect(cognito).toHaveReceivedNthCommandWith(AdminCreateUserCommand, 2, {
      UserAttributes: expect.arrayContaining([{ Name: "name", Value: "Second" }]),
    });
    expect(metrics.total("Skipped")).toBe(2);
  });

  it("runs different users concurrently, at most MAX_CONCURRENCY at once", async () => {
    let active = 0;
    let peak = 0;
    cognito.on(AdminCreateUserCommand).callsFake(async () => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, 3));
      active--;
      return { User: { Username: "u" } };
    });
    const records = Array.from({ length: 8 }, (_, i) => streamRecord(userRecord({ canonicalId: `u${i}`, attributes: { email: `u${i}@example.com` } })));
    const out = await handler({ MAX_CONCURRENCY: "3" })(streamEvent(...records));
    expect(out.batchItemFailures).toEqual([]);
    expect(peak).toBe(3);
  });

  it("records in AWS's documented envelopes: INSERT and MODIFY replicate, a TTL REMOVE is skipped without a call or a park", async () => {
    const itemOf = (r: ReturnType<typeof userRecord>) => ({ keys: { canonicalId: { S: r.canonicalId } }, newImage: asImage(r), oldImage: asImage(r) });
    const alice = userRecord();
    const bob = userRecord({ canonicalId: "6a7b8c9d-0000-4000-8000-000000000002", username: "bob", attributes: { email: "bob@example.com", name: "Bob" } });
    const ttl = aws.streamRecordOf("TTL_REMOVE", itemOf(alice));
    expect(ttl.userIdentity).toEqual(aws.ttlUserIdentity());
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub", UserStatus: "CONFIRMED" } });
    const out = await handler()(streamEvent(aws.streamRecordOf("INSERT", itemOf(alice)), aws.streamRecordOf("MODIFY", itemOf(bob))));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(cognito.commandCalls(AdminCreateUserCommand).map((c) => c.args[0].input.Username)).toEqual(["alice@example.com", "bob@example.com"]);
    expect(metrics.total("Replicated")).toBe(2);

    cognito.resetHistory();
    await expect(handler()(streamEvent(ttl))).resolves.toEqual({ batchItemFailures: [] });
    expect(cognito.calls()).toHaveLength(0);
    expect(parkedBodies()).toEqual([]);
    expect(metrics.total("Skipped")).toBe(1);
  });
});

// What on-call reads: one line per record outcome, with the stream position and the reason.
describe("replicate-user log lines", () => {
  const ID = userRecord().canonicalId;
  const lines = (logs: { read(): { level: string; message: string }[] }) => logs.read().map(({ level, message }) => `${level} ${message}`);

  it("replicated: INFO with the event, the canonical id, the action and the value-free changes", async () => {
    const logs = logsFrom(guard);
    const r = streamRecord(userRecord({ groups: ["g"] }));
    await handler()(streamEvent(r));
    expect(logs.read()).toEqual([expect.objectContaining({ level: "INFO", message: "user replicated", eventID: r.eventID, canonicalId: ID, action: "created", changes: ["create", "groups:+1-0"] })]);
  });

  it("skipped: DEBUG with why (TTL removal, written here, an older version in the same batch)", async () => {
    const logs = logsFrom(guard);
    const newer = userRecord({ version: userRecord().version + 5 });
    await handler()(
      streamEvent(
        streamRecord(userRecord(), { eventName: "REMOVE" }),
        streamRecord(userRecord({ canonicalId: "c2", originRegion: DR_REGION })),
        streamRecord(newer),
        streamRecord(userRecord()),
      ),
    );
    const skipped = logs.read().filter((l) => l.message === "record skipped");
    expect(skipped.map((l) => [l.level, l.why])).toEqual([
      ["DEBUG", "REMOVE events (TTL expiry) never delete DR users"],
      ["DEBUG", "written in this region"],
      ["DEBUG", "an equal or newer version was applied in this batch"],
    ]);
    for (const l of skipped) expect(l.eventID).toMatch(/^event-/);
  });

  it("parked: WARN with the stream position, the canonical id and the reason", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub", UserStatus: "FORCE_CHANGE_PASSWORD" } });
    const logs = logsFrom(guard);
    const r = streamRecord(userRecord());
    await handler()(streamEvent(r));
    const parked = logs.read().find((l) => l.message === "record parked");
    expect(parked).toMatchObject({ level: "WARN", eventID: r.eventID, sequenceNumber: r.dynamodb!.SequenceNumber, canonicalId: ID, reason: "NOT_CONFIRMED", error: expect.stringContaining("FORCE_CHANGE_PASSWORD") });
  });

  it("not parked: ERROR naming the queue's failure; the record is reported failed", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub", UserStatus: "FORCE_CHANGE_PASSWORD" } });
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error("queue down"), { name: "ServiceUnavailable", $fault: "server" }));
    const logs = logsFrom(guard);
    const r = streamRecord(userRecord());
    const out = await handler()(streamEvent(r));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: r.dynamodb!.SequenceNumber }]);
    expect(lines(logs)).toContain("ERROR record could not be parked; reporting it failed");
    expect(logs.read().find((l) => l.level === "ERROR")).toMatchObject({ eventID: r.eventID, canonicalId: ID, reason: "NOT_CONFIRMED", parkError: expect.stringMatching(/.+/) });
  });

  it("retried: WARN with the reason, and INFO for the same user's later records deferred behind it", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new TooManyRequestsException({ message: "slow down", ...meta }));
    const logs = logsFrom(guard);
    const first = streamRecord(userRecord());
    const second = streamRecord(userRecord({ version: userRecord().version + 1 }), { eventName: "MODIFY" });
    await handler()(streamEvent(first, second));
    expect(logs.read().find((l) => l.message === "record failed; it will be retried")).toMatchObject({ level: "WARN", eventID: first.eventID, canonicalId: ID, reason: "THROTTLED" });
    expect(logs.read().find((l) => l.message === "record deferred behind an earlier failure of the same user")).toMatchObject({ level: "INFO", eventID: second.eventID });
  });

  it("measures lag from the change, not from the first confirmation", async () => {
    const confirmedAt = FIXED_NOW - 60_000;
    await handler()(streamEvent(streamRecord(userRecord({ confirmedAt, version: FIXED_NOW - 250 }))));
    expect(metrics.values("ReplicationLagMs")).toEqual([250]);
  });

  it("reads the user of a malformed record leniently: a non-string key or email is no key or email", async () => {
    expect(userKeyOf(streamRecord(undefined, { keys: { canonicalId: { N: "5" } }, newImage: { canonicalId: { S: 7 as unknown as string } } }))).toBeUndefined();
    // A MODIFY whose old image has no attributes still replicates (no previous email to follow).
    const r = userRecord();
    const out = await handler()(streamEvent(streamRecord(r, { eventName: "MODIFY", oldImage: { canonicalId: { S: r.canonicalId } } })));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).not.toHaveReceivedCommand(AdminGetUserCommand);
    // An old email that is not a string is not followed either.
    cognito.resetHistory();
    await handler()(streamEvent(streamRecord(r, { eventName: "MODIFY", oldImage: { ...asImage(r), attributes: { M: { email: { S: 42 as unknown as string } } } } })));
    expect(cognito).not.toHaveReceivedCommand(AdminGetUserCommand);
  });

  it("an old image without an email, and a park of an unreadable image", async () => {
    const r = userRecord();
    const noEmail = { ...asImage(r), attributes: { M: { name: { S: "Alice" } } } };
    await expect(handler()(streamEvent(streamRecord(r, { eventName: "MODIFY", oldImage: noEmail })))).resolves.toEqual({ batchItemFailures: [] });
    expect(cognito).not.toHaveReceivedCommand(AdminGetUserCommand);

    // The image cannot be read, but the key can: the parked line still names the user.
    const logs = logsFrom(guard);
    const bad = streamRecord(undefined, { keys: { canonicalId: { S: "c-broken" } }, newImage: { canonicalId: { S: "c-broken" }, version: { S: "not a number" } } });
    await expect(handler()(streamEvent(bad))).resolves.toEqual({ batchItemFailures: [] });
    expect(logs.read().find((l) => l.message === "record parked")).toMatchObject({ canonicalId: "c-broken", reason: "INVALID_RECORD" });
  });
});

describe("time left in the invocation (large batches, issue 24)", () => {
  const contextWith = (leftMs: () => number) => ({ getRemainingTimeInMillis: leftMs, awsRequestId: "req-1", functionName: "replicate-user" }) as unknown as Context;

  it("starts no record with less than START_MARGIN_MS left: they fail as batch items and are retried, none is lost", async () => {
    const a = streamRecord(userRecord({ canonicalId: "00000000-0000-4000-8000-00000000000a", attributes: { email: "a@example.com", email_verified: "true" } }));
    const b = streamRecord(userRecord({ canonicalId: "00000000-0000-4000-8000-00000000000b", attributes: { email: "b@example.com", email_verified: "true" } }));
    // The first record finds enough time; by the second, the invocation is nearly over.
    let left = START_MARGIN_MS + 1_000;
    cognito.on(AdminCreateUserCommand).callsFake(() => {
      left = START_MARGIN_MS - 1;
      return { User: { Username: "dr-sub" } };
    });
    const out = await handler({ MAX_CONCURRENCY: "1" })(streamEvent(a, b), contextWith(() => left));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: b.dynamodb!.SequenceNumber }]);
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(1);
  });

  it("starts every record while time is plentiful", async () => {
    const a = streamRecord(userRecord({ attributes: { email: "a@example.com", email_verified: "true" } }));
    const out = await handler()(streamEvent(a), contextWith(() => START_MARGIN_MS * 3));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(1);
  });
});

