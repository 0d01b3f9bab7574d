// The directory items, against a mocked DynamoDB: their keys per region role and shape, the reverse
// (sub -> canonical id) items, the pool check, the conditional removal, and the lookups of the
// user's own record.
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, InternalServerError, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { toItem } from "./record";
import { DR_POOL_ID, userRecord } from "../../test/support/events";
import { drUserKey, isDrUserKey, isNotARecordKey, subKey, tableDirectory } from "./dr-directory";
import { FAILOVER_CONTROL_KEY } from "../contract";

const ddb = mockClient(DynamoDBClient);
const meta = { $metadata: {} };
const directory = () => tableDirectory(new DynamoDBClient({ region: "us-west-2" }), "cdr-test-users", DR_POOL_ID, "dr", () => 1234);
const PRIMARY_POOL = "us-east-1_Primary1";
const primaryDirectory = () => tableDirectory(new DynamoDBClient({ region: "us-east-1" }), "cdr-test-users", PRIMARY_POOL, "primary", () => 1234);
const putItems = () => ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item);

beforeEach(() => ddb.reset());

describe("DR user items", () => {
  it("are keyed dr#<canonical id>, which no record key can be", () => {
    expect(drUserKey("c1")).toBe("dr#c1");
    expect(isDrUserKey("dr#c1")).toBe(true);
    expect(isDrUserKey("6a7b8c9d-0000-4000-8000-000000000001")).toBe(false);
  });

  it("every key that is not a record contains the mark; a sub never does", () => {
    for (const key of [drUserKey("c1"), drUserKey("c1", "primary"), subKey("s1", "dr"), subKey("s1", "primary"), FAILOVER_CONTROL_KEY]) expect(isNotARecordKey(key)).toBe(true);
    expect(isNotARecordKey("6a7b8c9d-0000-4000-8000-000000000001")).toBe(false);
    expect([drUserKey("c1", "primary"), subKey("s1", "primary"), subKey("s1", "dr")]).toEqual(["primary#c1", "primary-sub#s1", "dr-sub#s1"]);
  });

  it("remember writes the reverse item first, then the username, the pool, the sub and when", async () => {
    ddb.on(PutItemCommand).resolves({});
    await directory().remember("c1", "dr-user-1", "s1");
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.TableName)).toEqual(["cdr-test-users", "cdr-test-users"]);
    expect(putItems()).toEqual([
      { canonicalId: { S: "dr-sub#s1" }, userCanonicalId: { S: "c1" }, poolId: { S: DR_POOL_ID }, updatedAt: { N: "1234" } },
      { canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: DR_POOL_ID }, sub: { S: "s1" }, updatedAt: { N: "1234" } },
    ]);
  });

  it("without a sub, remember writes the forward item alone (the next hit heals it)", async () => {
    ddb.on(PutItemCommand).resolves({});
    await directory().remember("c1", "dr-user-1");
    expect(putItems()).toEqual([{ canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: DR_POOL_ID }, updatedAt: { N: "1234" } }]);
  });

  it("a failed reverse put writes no forward item, so a forward item with a sub always has its reverse item", async () => {
    ddb.on(PutItemCommand).rejects(new InternalServerError({ message: "x", ...meta }));
    await expect(directory().remember("c1", "dr-user-1", "s1")).rejects.toMatchObject({ name: "InternalServerError" });
    expect(putItems()).toEqual([expect.objectContaining({ canonicalId: { S: "dr-sub#s1" } })]);
  });

  it("the primary pool's directory uses its own prefixes and pool", async () => {
    ddb.on(PutItemCommand).resolves({});
    const d = primaryDirectory();
    expect(d.role).toBe("primary");
    await d.remember("c-dr", "p-user-1", "p-sub");
    expect(putItems()).toEqual([
      { canonicalId: { S: "primary-sub#p-sub" }, userCanonicalId: { S: "c-dr" }, poolId: { S: PRIMARY_POOL }, updatedAt: { N: "1234" } },
      { canonicalId: { S: "primary#c-dr" }, drUsername: { S: "p-user-1" }, drPoolId: { S: PRIMARY_POOL }, sub: { S: "p-sub" }, updatedAt: { N: "1234" } },
    ]);
    ddb.on(GetItemCommand).resolves({});
    ddb.on(GetItemCommand, { Key: { canonicalId: { S: "primary#c-dr" } } }).resolves({ Item: putItems()[1] });
    await expect(d.entryOf("c-dr")).resolves.toEqual({ username: "p-user-1", sub: "p-sub" });
    await expect(directory().entryOf("c-dr")).resolves.toBeUndefined();
  });

  it("canonicalIdOfSub reads the reverse item of this pool; absent or another pool's is undefined", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr-sub#s1" }, userCanonicalId: { S: "c1" }, poolId: { S: DR_POOL_ID } } });
    await expect(directory().canonicalIdOfSub("s1")).resolves.toBe("c1");
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({ TableName: "cdr-test-users", Key: { canonicalId: { S: "dr-sub#s1" } }, ConsistentRead: true });
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr-sub#s1" }, userCanonicalId: { S: "c1" }, poolId: { S: "us-west-2_OldPool" } } });
    await expect(directory().canonicalIdOfSub("s1")).resolves.toBeUndefined();
    ddb.on(GetItemCommand).resolves({});
    await expect(directory().canonicalIdOfSub("s1")).resolves.toBeUndefined();
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr-sub#s1" }, userCanonicalId: { S: "" }, poolId: { S: DR_POOL_ID } } });
    await expect(directory().canonicalIdOfSub("s1")).resolves.toBeUndefined();
  });

  it("entryOf answers the sub when the item has one", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: DR_POOL_ID }, sub: { S: "s1" } } });
    await expect(directory().entryOf("c1")).resolves.toEqual({ username: "dr-user-1", sub: "s1" });
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: DR_POOL_ID } } });
    await expect(directory().entryOf("c1")).resolves.toEqual({ username: "dr-user-1" });
  });

  it("usernameOf reads strongly consistent and answers the username of this pool only", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: DR_POOL_ID } } });
    await expect(directory().usernameOf("c1")).resolves.toBe("dr-user-1");
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({ TableName: "cdr-test-users", Key: { canonicalId: { S: "dr#c1" } }, ConsistentRead: true });

    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: "us-west-2_OldPool" } } });
    await expect(directory().usernameOf("c1")).resolves.toBeUndefined();
    ddb.on(GetItemCommand).resolves({});
    await expect(directory().usernameOf("c1")).resolves.toBeUndefined();
    ddb.on(GetItemCommand).resolves({ Item: { canonicalId: { S: "dr#c1" }, drUsername: { S: "" }, drPoolId: { S: DR_POOL_ID } } });
    await expect(directory().usernameOf("c1")).resolves.toBeUndefined();
  });

  it("forget removes the item only while it names that user; a newer one is left alone", async () => {
    ddb.on(DeleteItemCommand).resolves({});
    await directory().forget("c1", "dr-user-1");
    expect(ddb.commandCalls(DeleteItemCommand)[0].args[0].input).toEqual({
      TableName: "cdr-test-users",
      Key: { canonicalId: { S: "dr#c1" } },
      ConditionExpression: "drUsername = :username",
      ExpressionAttributeValues: { ":username": { S: "dr-user-1" } },
    });
    ddb.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: "no", ...meta }));
    await expect(directory().forget("c1", "dr-user-1")).resolves.toBeUndefined();
  });

  it("table errors are not swallowed (the caller classifies and retries them)", async () => {
    ddb.on(DeleteItemCommand).rejects(new InternalServerError({ message: "x", ...meta }));
    await expect(directory().forget("c1", "u")).rejects.toMatchObject({ name: "InternalServerError" });
    ddb.on(GetItemCommand).rejects(new InternalServerError({ message: "x", ...meta }));
    await expect(directory().usernameOf("c1")).rejects.toMatchObject({ name: "InternalServerError" });
  });

  it("isTombstoned reads the user's own record: true only for a tombstone", async () => {
    ddb.on(GetItemCommand).resolves({ Item: toItem(userRecord({ attributes: {}, enabled: false, deleted: true })) });
    await expect(directory().isTombstoned("c1")).resolves.toBe(true);
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({ TableName: "cdr-test-users", Key: { canonicalId: { S: "c1" } }, ConsistentRead: true, ProjectionExpression: "deleted" });
    ddb.on(GetItemCommand).resolves({ Item: toItem(userRecord()) });
    await expect(directory().isTombstoned("c1")).resolves.toBe(false);
    ddb.on(GetItemCommand).resolves({});
    await expect(directory().isTombstoned("c1")).resolves.toBe(false);
  });

  it("recordState tells a live user, a tombstone and no record apart", async () => {
    ddb.on(GetItemCommand).resolves({ Item: toItem(userRecord({ attributes: {}, enabled: false, deleted: true })) });
    await expect(directory().recordState("c1")).resolves.toBe("tombstoned");
    ddb.on(GetItemCommand).resolves({ Item: toItem(userRecord()) });
    await expect(directory().recordState("c1")).resolves.toBe("live");
    ddb.on(GetItemCommand).resolves({});
    await expect(directory().recordState("c1")).resolves.toBeUndefined();
  });
});
