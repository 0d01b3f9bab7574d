// The replicator's newer duties: its own canonical id -> DR user items are skipped, tombstones
// delete or disable the DR copies (DELETION_POLICY), the DR user is found by canonical id and
// remembered, and the lag from the primary change is reported per kind of change.
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, InternalServerError, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { readReplicatorConfig } from "../shared/env";
import { asImage, DR_POOL_ID, DR_REGION, FIXED_NOW, streamEvent, streamRecord, userRecord } from "../../test/support/events";
import { fixedClock, recordingMetrics, testLogger } from "../../test/support/fakes";
import { logsFrom } from "../../test/support/logs";
import { installPiiGuard } from "../../test/support/pii-guard";
import { changesOf, makeHandler } from "./handler";

const guard = installPiiGuard();
const cognito = mockClient(CognitoIdentityProviderClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBClient);
const meta = { $metadata: {} };
let metrics = recordingMetrics();
const ID = userRecord().canonicalId;

function handler(env: Record<string, string> = {}) {
  const config = readReplicatorConfig({
    AWS_REGION: DR_REGION,
    TARGET_USER_POOL_ID: DR_POOL_ID,
    PARK_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/123456789012/cdr-test-park",
    TABLE_NAME: "cdr-test-users",
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

const tombstone = () => userRecord({ username: ID, attributes: {}, enabled: false, groups: [], deleted: true, version: FIXED_NOW - 400, changedAt: FIXED_NOW - 2_000, changeKinds: ["delete"] });
const drUserItem = (username: string) => ({ Item: { canonicalId: { S: `dr#${ID}` }, drUsername: { S: username }, drPoolId: { S: DR_POOL_ID } } });
const drUser = (username: string, email = "alice@example.com", canonicalId = ID) => ({
  Username: username,
  Enabled: true,
  UserStatus: "CONFIRMED" as const,
  UserAttributes: [
    { Name: "sub", Value: username },
    { Name: "email", Value: email },
    { Name: "email_verified", Value: "true" },
    { Name: "name", Value: "Alice Example" },
    { Name: "custom:canonical_id", Value: canonicalId },
  ],
});

beforeEach(() => {
  cognito.reset();
  sqs.reset();
  ddb.reset();
  metrics = recordingMetrics();
  sqs.on(SendMessageCommand).resolves({ MessageId: "parked-1" });
  ddb.on(GetItemCommand).resolves({});
  ddb.on(PutItemCommand).resolves({});
  ddb.on(DeleteItemCommand).resolves({});
  cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
});

describe("its own items", () => {
  it("a dr#<id> item on the stream (its own write, replicated or not) is skipped: not parsed, not parked, no call", async () => {
    const item = { canonicalId: { S: `dr#${ID}` }, drUsername: { S: "dr-1" }, drPoolId: { S: DR_POOL_ID } };
    const out = await handler()(streamEvent(streamRecord(undefined, { newImage: item, keys: { canonicalId: { S: `dr#${ID}` } } })));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    expect(metrics.total("Skipped")).toBe(1);
  });

  it("every key containing \"#\" (either pool's directory items, the failover control item) is skipped the same way, in either role", async () => {
    const keys = [`primary#${ID}`, "primary-sub#s1", "dr-sub#s1", "control#failover"];
    for (const role of ["dr", "primary"]) {
      const records = keys.map((k) => streamRecord(undefined, { newImage: { canonicalId: { S: k }, state: { S: "failed-over" } }, keys: { canonicalId: { S: k } } }));
      const out = await handler({ REGION_ROLE: role })(streamEvent(...records));
      expect(out.batchItemFailures).toEqual([]);
    }
    expect(cognito.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    expect(metrics.total("Skipped")).toBe(8);
  });
});

describe("REGION_ROLE=primary (two-way: DR-born changes applied to the primary pool)", () => {
  const PRIMARY_REGION = "us-east-1";
  const PRIMARY_POOL = "us-east-1_Primary1";
  const primary = () => handler({ AWS_REGION: PRIMARY_REGION, TARGET_USER_POOL_ID: PRIMARY_POOL, REGION_ROLE: "primary" });
  const fromDr = userRecord({ originRegion: DR_REGION, originPoolId: DR_POOL_ID });

  it("a DR-originated record creates the primary copy, remembered under primary# with its primary-sub# reverse item", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "p-generated", UserStatus: "CONFIRMED", Attributes: [{ Name: "sub", Value: "p-sub" }] } });
    const out = await primary()(streamEvent(streamRecord(fromDr)));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).toHaveReceivedCommandWith(AdminCreateUserCommand, { UserPoolId: PRIMARY_POOL, UserAttributes: expect.arrayContaining([{ Name: "custom:canonical_id", Value: ID }]) });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { Key: { canonicalId: { S: `primary#${ID}` } } });
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item)).toEqual([
      { canonicalId: { S: "primary-sub#p-sub" }, userCanonicalId: { S: ID }, poolId: { S: PRIMARY_POOL }, updatedAt: { N: String(FIXED_NOW) } },
      { canonicalId: { S: `primary#${ID}` }, drUsername: { S: "p-generated" }, drPoolId: { S: PRIMARY_POOL }, sub: { S: "p-sub" }, updatedAt: { N: String(FIXED_NOW) } },
    ]);
  });

  it("a record the primary region wrote itself is skipped (loop safety)", async () => {
    const out = await primary()(streamEvent(streamRecord(userRecord())));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito.calls()).toHaveLength(0);
    expect(metrics.total("Skipped")).toBe(1);
  });
});

describe("found by canonical id, remembered after a create", () => {
  it("the DR user the item names is updated, even with no previous email, and no user is created", async () => {
    ddb.on(GetItemCommand, { Key: { canonicalId: { S: `dr#${ID}` } } }).resolves(drUserItem("dr-1"));
    cognito.on(AdminGetUserCommand, { Username: "dr-1" }).resolves(drUser("dr-1", "old@example.com"));
    const out = await handler()(streamEvent(streamRecord(userRecord(), { eventName: "MODIFY" })));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
    expect(cognito).toHaveReceivedCommandWith(AdminUpdateUserAttributesCommand, { Username: "dr-1", UserAttributes: [{ Name: "email", Value: "alice@example.com" }, { Name: "email_verified", Value: "true" }] });
  });

  it("a created DR user is remembered in the table under its generated username", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-generated", UserStatus: "CONFIRMED" } });
    await handler()(streamEvent(streamRecord(userRecord())));
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, { TableName: "cdr-test-users", Item: { canonicalId: { S: `dr#${ID}` }, drUsername: { S: "dr-generated" }, drPoolId: { S: DR_POOL_ID }, updatedAt: { N: String(FIXED_NOW) } } });
  });

  it("a table error is retryable: the record fails (the stream retries it), it is not parked", async () => {
    ddb.on(GetItemCommand).rejects(new InternalServerError({ message: "x", ...meta }));
    const out = await handler()(streamEvent(streamRecord(userRecord(), { sequenceNumber: "000000000000000000901" })));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: "000000000000000000901" }]);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe("tombstones", () => {
  it("delete (default): the DR user the item names is deleted and its item removed; counted and measured as a delete", async () => {
    ddb.on(GetItemCommand, { Key: { canonicalId: { S: `dr#${ID}` } } }).resolves(drUserItem("dr-1"));
    // By its username (the item) and by its email (the old image): the same user, deleted once.
    cognito.on(AdminGetUserCommand).resolves(drUser("dr-1"));
    cognito.on(AdminDeleteUserCommand).resolves({});
    const logs = logsFrom(guard);
    const before = userRecord();
    const out = await handler()(streamEvent(streamRecord(tombstone(), { eventName: "MODIFY", oldImage: asImage(before) })));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-1" });
    expect(cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, { Key: { canonicalId: { S: `dr#${ID}` } }, ExpressionAttributeValues: { ":username": { S: "dr-1" } } });
    expect(cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
    expect(metrics.byDimension("TombstonesApplied", "action")).toEqual({ deleted: 1 });
    expect(metrics.byDimension("ChangeToDrLagMs", "kind")).toEqual({ delete: 2_000 });
    expect(metrics.total("Parked")).toBe(0);
    expect(logs.read().find((l) => l.message === "tombstone applied")).toMatchObject({ level: "INFO", canonicalId: ID, action: "deleted", policy: "delete", found: 1, changes: ["delete"] });
  });

  it("a DR user made before the directory is found by the last record's email (OldImage)", async () => {
    cognito.on(AdminGetUserCommand, { Username: "alice@example.com" }).resolves(drUser("dr-legacy"));
    cognito.on(AdminDeleteUserCommand).resolves({});
    await handler()(streamEvent(streamRecord(tombstone(), { eventName: "MODIFY", oldImage: asImage(userRecord()) })));
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { Username: "dr-legacy" });
  });

  it("DELETION_POLICY=disable: disabled and kept", async () => {
    ddb.on(GetItemCommand, { Key: { canonicalId: { S: `dr#${ID}` } } }).resolves(drUserItem("dr-1"));
    cognito.on(AdminGetUserCommand, { Username: "dr-1" }).resolves(drUser("dr-1"));
    cognito.on(AdminDisableUserCommand).resolves({});
    await handler({ DELETION_POLICY: "disable" })(streamEvent(streamRecord(tombstone(), { eventName: "MODIFY" })));
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, { Username: "dr-1" });
    expect(cognito).not.toHaveReceivedCommand(AdminDeleteUserCommand);
    expect(ddb).not.toHaveReceivedCommand(DeleteItemCommand);
    expect(metrics.byDimension("TombstonesApplied", "action")).toEqual({ disabled: 1 });
  });

  it("no DR user found (an INSERT: its last record had expired, and no item): nothing changes, INFO says reconcile finds one both lookups missed", async () => {
    const logs = logsFrom(guard);
    const out = await handler()(streamEvent(streamRecord(tombstone())));
    expect(out.batchItemFailures).toEqual([]);
    expect(cognito.calls()).toHaveLength(0);
    expect(metrics.byDimension("TombstonesApplied", "action")).toEqual({ unchanged: 1 });
    expect(metrics.byDimension("ChangeToDrLagMs", "kind")).toEqual({});
    expect(logs.read().find((l) => l.message.startsWith("tombstone: no DR user"))).toMatchObject({ level: "INFO", found: 0, action: "unchanged" });
  });
});

describe("lag per kind of change", () => {
  it("change capture's kinds and event time; a PostConfirmation record is a confirm; anything else a record", () => {
    expect(changesOf(userRecord({ changeKinds: ["disable", "groups"], changedAt: 5 }))).toEqual({ kinds: ["disable", "groups"], at: 5 });
    expect(changesOf(userRecord({ changeKinds: ["disable"] }))).toEqual({ kinds: ["disable"], at: userRecord().version });
    expect(changesOf(userRecord())).toEqual({ kinds: ["confirm"], at: userRecord().version });
    expect(changesOf(userRecord({ version: userRecord().confirmedAt + 1, changeKinds: [] }))).toEqual({ kinds: ["record"], at: userRecord().confirmedAt + 1 });
  });

  it("each kind a record carries gets the lag from the primary change to the DR user matching, when something changed", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-1", UserStatus: "CONFIRMED" } });
    await handler()(streamEvent(streamRecord(userRecord({ changeKinds: ["create", "groups"], changedAt: FIXED_NOW - 7_000 }))));
    expect(metrics.entries.filter((e) => e.name === "ChangeToDrLagMs")).toEqual([
      { name: "ChangeToDrLagMs", unit: "Milliseconds", value: 7_000, dimensions: { kind: "create" } },
      { name: "ChangeToDrLagMs", unit: "Milliseconds", value: 7_000, dimensions: { kind: "groups" } },
    ]);
  });
});
