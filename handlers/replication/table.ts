// The one way a record enters the table: a conditional put that never replaces a
// newer (or equal) version, so late retries and replays cannot roll a user back.
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TABLE_KEY } from "../contract";
import { fromItem, toItem, type ReplicatedUser } from "./record";

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

/** The record of a user as the table holds it now (a strongly consistent read), if any. */
export async function readRecord(ddb: Pick<DynamoDBClient, "send">, tableName: string, canonicalId: string): Promise<ReplicatedUser | undefined> {
  const out = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE_KEY]: { S: canonicalId } }, ConsistentRead: true }));
  return out.Item ? fromItem(out.Item) : undefined;
}

/**
 * Whether two records say the same about the user (what the replicator applies), whatever their
 * versions, times, change kinds, origin and username (a pool's own name for the user, which the
 * replicator never applies: a copy's differs from its original's, and within one pool it never changes). A new version that says nothing new is not worth a
 * write, a cross-region replication and a replicator invocation.
 *
 * Origin is left out on purpose (two-way mode): when the table's record came from the other
 * region and this pool's user now says the same, both pools already hold that state (the record
 * was read from its origin pool, and this pool was just re-read), so a new version with this
 * region as origin would only travel back to a replicator with nothing to do. A later change of
 * the user's own in either pool differs in state and is written as always.
 */
export function sameUserState(a: ReplicatedUser, b: ReplicatedUser): boolean {
  const attrs = (r: ReplicatedUser) => JSON.stringify(Object.entries(r.attributes).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  const groups = (r: ReplicatedUser) => JSON.stringify([...r.groups].sort());
  return (
    a.canonicalId === b.canonicalId &&
    a.enabled === b.enabled &&
    (a.deleted ?? false) === (b.deleted ?? false) &&
    (a.forceChangePassword ?? false) === (b.forceChangePassword ?? false) &&
    attrs(a) === attrs(b) &&
    groups(a) === groups(b)
  );
}
