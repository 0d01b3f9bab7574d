// The canonical id -> DR user items, against a mocked DynamoDB: their key and shape, the pool
// check, the conditional removal, and the tombstone lookup on the user's record.
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, InternalServerError, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { toItem } from "./record";
import { DR_POOL_ID, userRecord } from "../../test/support/events";
import { drUserKey, isDrUserKey, tableDirectory } from "./dr-directory";

const ddb = mockClient(DynamoDBClient);
const meta = { $metadata: {} };
const directory = () => tableDirectory(new DynamoDBClient({ region: "us-west-2" }), "cdr-test-users", DR_POOL_ID, () => 1234);

beforeEach(() => ddb.reset());

describe("DR user items", () => {
  it("are keyed dr#<canonical id>, which no record key can be", () => {
    expect(drUserKey("c1")).toBe("dr#c1");
    expect(isDrUserKey("dr#c1")).toBe(true);
    expect(isDrUserKey("6a7b8c9d-0000-4000-8000-000000000001")).toBe(false);
  });

  it("remember writes the DR username, the pool and when", async () => {
    ddb.on(PutItemCommand).resolves({});
    await directory().remember("c1", "dr-user-1");
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: "cdr-test-users",
      Item: { canonicalId: { S: "dr#c1" }, drUsername: { S: "dr-user-1" }, drPoolId: { S: DR_POOL_ID }, updatedAt: { N: "1234" } },
    });
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
});
