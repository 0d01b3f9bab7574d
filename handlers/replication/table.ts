// The one way a record enters the table: a conditional put that never replaces a
// newer (or equal) version, so late retries and replays cannot roll a user back.
import { PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TABLE_KEY } from "../contract";
import { toItem, type ReplicatedUser } from "./record";

export type PutOutcome = "written" | "already-newer";

export function putRecordCommand(tableName: string, record: ReplicatedUser): PutItemCommand {
  return new PutItemCommand({
    TableName: tableName,
    Item: toItem(record),
    ConditionExpression: "attribute_not_exists(#key) OR #version < :version",
    ExpressionAttributeNames: { "#key": TABLE_KEY, "#version": "version" },
    ExpressionAttributeValues: { ":version": { N: String(record.version) } },
  });
}

export async function putRecord(
  ddb: Pick<DynamoDBClient, "send">,
  tableName: string,
  record: ReplicatedUser,
  options: { abortSignal?: AbortSignal } = {},
): Promise<PutOutcome> {
  try {
    await ddb.send(putRecordCommand(tableName, record), { abortSignal: options.abortSignal });
    return "written";
  } catch (err) {
    if ((err as { name?: string }).name === "ConditionalCheckFailedException") return "already-newer";
    throw err;
  }
}
