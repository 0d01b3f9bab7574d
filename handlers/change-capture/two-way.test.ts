// Change capture in two-way mode: each region captures its own pool, records carry the user's
// canonical id (trusted attribute, else sub; a deleted user's from the directory's reverse item)
// and this region as origin, and an applied change never travels back (loop safety). The loop test
// runs the replicator (REGION_ROLE=primary) and the capture against one in-memory primary pool and
// one in-memory table.
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { fromItem, toItem, type ReplicatedUser } from "../replication/record";
import { readReplicatorConfig } from "../shared/env";
import { makeHandler as makeReplicator } from "../replicate-user/handler";
import * as aws from "../../test/support/aws";
import { DR_POOL_ID, DR_REGION, FIXED_NOW, PRIMARY_POOL_ID, PRIMARY_REGION, sqsEvent, sqsRecord, streamEvent, streamRecord, userRecord } from "../../test/support/events";
import { FakePool, type FakeUser } from "../../test/support/fake-cognito";
import { fixedClock, recordingMetrics, testLogger } from "../../test/support/fakes";
import { readCaptureConfig } from "./config";
import { makeHandler } from "./handler";

const ddb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
/** A user who signed up in DR during a failover: its DR sub is its canonical id. */
const DR_BORN = "d0d0d0d0-0000-4000-8000-0000000000d0";
const COPY_SUB = "c0c0c0c0-0000-4000-8000-0000000000c0";
const PREFIX = "cdr-test-";
const REPLICATOR_ROLE = `arn:aws:iam::123456789012:role/${PREFIX}replicate-user-primary`;
let table: Map<string, Record<string, AttributeValue>>;
let metrics = recordingMetrics();

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  metrics = recordingMetrics();
  table = new Map();
  // An in-memory table: items by key, puts honour the records' version condition.
  ddb.on(GetItemCommand).callsFake(async (input: { Key: { canonicalId: { S: string } } }) => ({ Item: table.get(input.Key.canonicalId.S) }));
  ddb.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue>; ConditionExpression?: string }) => {
    const key = input.Item.canonicalId.S!;
    const held = table.get(key)?.version?.N;
    if (input.ConditionExpression && held !== undefined && Number(held) >= Number(input.Item.version.N)) throw Object.assign(new Error("cond"), { name: "ConditionalCheckFailedException" });
    table.set(key, input.Item);
    return {};
  });
  ddb.on(DeleteItemCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: "m" });
});

function capture(pool: FakePool, env: Record<string, string> = {}) {
  const region = pool.poolId.split("_")[0];
  return makeHandler({
    config: readCaptureConfig({ AWS_REGION: region, CAPTURE_USER_POOL_ID: pool.poolId, TABLE_NAME: "cdr-test-users", CAPTURE_IGNORED_ROLE_PREFIX: PREFIX, ...env }),
    cognito: pool,
    ddb: new DynamoDBClient({ region }),
    logger: testLogger(),
    metrics,
    now: fixedClock(),
  });
}

/** The CloudTrail event of a call on `sub`'s user in `pool`, by `roleArn` (default: not one of the project's roles). */
function event(pool: FakePool, sub: string, eventName: string, roleArn?: string, id = `${eventName}-${sub}`) {
  const identity = roleArn ? { type: "AssumedRole", arn: roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/session", sessionContext: { sessionIssuer: { type: "Role", arn: roleArn, userName: roleArn.split("/").pop() } } } : undefined;
  const detail = {
    ...aws.cloudTrailAdminCall(),
    eventName,
    eventTime: "2026-11-21T11:59:58Z",
    awsRegion: pool.poolId.split("_")[0],
    requestParameters: { userPoolId: pool.poolId, username: "HIDDEN_DUE_TO_SECURITY_REASONS" },
    additionalEventData: { sub },
    ...(identity ? { userIdentity: identity } : {}),
  };
  return sqsRecord(JSON.stringify(aws.eventBridgeCloudTrailEvent(detail)), id);
}

const copyOfDrBorn = (extra: Record<string, string> = {}): FakeUser => ({
  username: COPY_SUB,
  attributes: { sub: COPY_SUB, email: "alice@example.com", email_verified: "true", name: "Alice Example", "custom:canonical_id": DR_BORN, ...extra },
});
const records = () => [...table.entries()].filter(([k]) => !k.includes("#")).map(([, item]) => fromItem(item));
const putKeys = () => ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item!.canonicalId.S);

describe("the canonical id of a captured user", () => {
  it("two-way primary (trust on): the copy of a DR-born user is recorded under the DR sub, with this region and pool as origin", async () => {
    const pool = new FakePool(PRIMARY_POOL_ID, [copyOfDrBorn({ name: "Alice Renamed" })], 60, { emailAsUsername: true });
    await capture(pool, { TRUST_CANONICAL_ID_ATTRIBUTE: "true" })(sqsEvent(event(pool, COPY_SUB, "UpdateUserAttributes")));
    expect(records()).toEqual([expect.objectContaining({ canonicalId: DR_BORN, originRegion: PRIMARY_REGION, originPoolId: PRIMARY_POOL_ID, attributes: expect.objectContaining({ name: "Alice Renamed" }) })]);
  });

  it("one-way primary (trust unset): the attribute is ignored, the user's own sub is its id", async () => {
    const pool = new FakePool(PRIMARY_POOL_ID, [copyOfDrBorn()], 60, { emailAsUsername: true });
    await capture(pool)(sqsEvent(event(pool, COPY_SUB, "AdminDisableUser")));
    expect(records().map((r) => r.canonicalId)).toEqual([COPY_SUB]);
  });

  it("DR: a copy carries the primary's id (trusted), a user born in DR its own sub; origin is the DR region and pool", async () => {
    const PRIMARY_SUB = "a1a1a1a1-0000-4000-8000-0000000000a1";
    const pool = new FakePool(DR_POOL_ID, [{ ...copyOfDrBorn(), attributes: { ...copyOfDrBorn().attributes, "custom:canonical_id": PRIMARY_SUB } }, { username: DR_BORN, attributes: { sub: DR_BORN, email: "bob@example.com" } }], 60, { emailAsUsername: true });
    await capture(pool, { REGION_ROLE: "dr" })(sqsEvent(event(pool, COPY_SUB, "AdminDisableUser"), event(pool, DR_BORN, "AdminDisableUser")));
    expect(records().map((r) => [r.canonicalId, r.originRegion, r.originPoolId]).sort()).toEqual([
      [PRIMARY_SUB, DR_REGION, DR_POOL_ID],
      [DR_BORN, DR_REGION, DR_POOL_ID],
    ].sort());
  });

  it("a deleted copy's tombstone names the canonical id of this role's reverse item; without one, the user was born here: its sub", async () => {
    const BORN_HERE = "b0b0b0b0-0000-4000-8000-0000000000b0";
    const pool = new FakePool(PRIMARY_POOL_ID, [], 60, { emailAsUsername: true });
    table.set(`primary-sub#${COPY_SUB}`, { canonicalId: { S: `primary-sub#${COPY_SUB}` }, userCanonicalId: { S: DR_BORN }, poolId: { S: PRIMARY_POOL_ID } });
    // The DR directory's reverse item of the same sub says nothing about this pool.
    table.set(`dr-sub#${BORN_HERE}`, { canonicalId: { S: `dr-sub#${BORN_HERE}` }, userCanonicalId: { S: "someone" }, poolId: { S: DR_POOL_ID } });
    await capture(pool, { TRUST_CANONICAL_ID_ATTRIBUTE: "true" })(sqsEvent(event(pool, COPY_SUB, "DeleteUser"), event(pool, BORN_HERE, "AdminDeleteUser")));
    expect(records().map((r) => [r.canonicalId, r.deleted, r.originRegion]).sort()).toEqual([
      [BORN_HERE, true, PRIMARY_REGION],
      [DR_BORN, true, PRIMARY_REGION],
    ].sort());
  });
});

describe("loop safety (two-way)", () => {
  const fromDr = (): ReplicatedUser => userRecord({ canonicalId: DR_BORN, username: DR_BORN, originRegion: DR_REGION, originPoolId: DR_POOL_ID, version: FIXED_NOW - 5_000, confirmedAt: FIXED_NOW - 5_000 });

  function replicator(pool: FakePool) {
    const config = readReplicatorConfig({ AWS_REGION: PRIMARY_REGION, TARGET_USER_POOL_ID: pool.poolId, REGION_ROLE: "primary", PARK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/park", TABLE_NAME: "cdr-test-users" });
    return makeReplicator({ cognito: pool, ddb: new DynamoDBClient({ region: PRIMARY_REGION }), sqs: new SQSClient({ region: PRIMARY_REGION }), config, logger: testLogger(), metrics: recordingMetrics(), now: fixedClock() });
  }

  it("a DR-originated record applied to the primary pool by the replicator (an ignored role) produces no new record, and a later no-op call of the user's own neither", async () => {
    const pool = new FakePool(PRIMARY_POOL_ID, [], 60, { emailAsUsername: true });
    const record = fromDr();
    table.set(DR_BORN, toItem(record));
    await expect(replicator(pool)(streamEvent(streamRecord(record)))).resolves.toEqual({ batchItemFailures: [] });
    const [copy] = pool.users.values();
    expect(copy.attributes["custom:canonical_id"]).toBe(DR_BORN);

    // Every write the replicator made shows up in CloudTrail under its role: capture drops them all.
    const writes = pool.calls.filter((c) => !/^Admin(Get|ListGroups)/.test(c));
    expect(writes.length).toBeGreaterThan(0);
    ddb.resetHistory();
    const handler = capture(pool, { TRUST_CANONICAL_ID_ATTRIBUTE: "true" });
    await handler(sqsEvent(...writes.map((c, i) => event(pool, copy.attributes.sub, c.split(":")[0], REPLICATOR_ROLE, `w${i}`))));
    expect(metrics.byDimension("CaptureDropped", "reason")).toEqual({ "own-role": writes.length });
    expect(putKeys()).toEqual([]);

    // The user's own call that changes nothing (their own role, captured): the table already says
    // this, though the record came from DR under another username; nothing is written.
    await handler(sqsEvent(event(pool, copy.attributes.sub, "VerifyUserAttribute")));
    expect(metrics.total("CaptureUnchanged")).toBe(1);
    expect(putKeys()).toEqual([]);
    expect(records()).toEqual([record]);

    // A real change of the user's own in the primary is a new record with the primary as origin.
    copy.attributes.name = "Alice Renamed";
    await handler(sqsEvent(event(pool, copy.attributes.sub, "UpdateUserAttributes", undefined, "own-change")));
    expect(records()).toEqual([expect.objectContaining({ canonicalId: DR_BORN, originRegion: PRIMARY_REGION, attributes: expect.objectContaining({ name: "Alice Renamed" }) })]);
  });
});
