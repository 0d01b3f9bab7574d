// Which DR user carries a canonical id. Cognito's ListUsers cannot filter on a custom attribute,
// and finding the DR user by email fails exactly when it matters: after an email change (the old
// address is gone from the record once its TTL passed, stale after reconcile moved it, absent for
// backfill --direct), which is how one canonical id came to have two DR users. So the replicator
// remembers the DR username under `dr#<canonicalId>` in the replicated table, in the DR region.
//
// Why that table: the replicator and the scheduled reconcile already reach it (KMS key, grants),
// and it survives a DR-stack rebuild like the records do. Items written in DR replicate to the
// primary, where nothing reads them; they carry no schemaVersion (records always do), so the
// replicator's stream filter can leave them out, and the replicator skips them in code anyway.
// Only the DR side writes them (one writer), so global tables' last-writer-wins never loses one.
// They have no TTL: a DR user lives until a tombstone or reconcile removes it.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DR_USER_KEY_PREFIX, TABLE_KEY } from "../contract";

export interface DrDirectory {
  /** The DR username recorded for `canonicalId` in this pool, or undefined. */
  usernameOf(canonicalId: string): Promise<string | undefined>;
  /** Records that `username` is the DR user of `canonicalId` (idempotent). */
  remember(canonicalId: string, username: string): Promise<void>;
  /** Removes the item, only while it still names `username` (a newer DR user's item stays). */
  forget(canonicalId: string, username: string): Promise<void>;
  /** Whether the table's latest record for `canonicalId` is a tombstone (the primary deleted that user). */
  isTombstoned(canonicalId: string): Promise<boolean>;
}

export const drUserKey = (canonicalId: string): string => `${DR_USER_KEY_PREFIX}${canonicalId}`;

/** Whether a table key is one of these items rather than a user record. */
export const isDrUserKey = (key: string): boolean => key.startsWith(DR_USER_KEY_PREFIX);

export function tableDirectory(ddb: Pick<DynamoDBClient, "send">, tableName: string, drPoolId: string, now: () => number = Date.now): DrDirectory {
  const key = (canonicalId: string) => ({ [TABLE_KEY]: { S: drUserKey(canonicalId) } });
  return {
    async usernameOf(canonicalId) {
      // Strongly consistent: the replicator may have written it a moment ago in this region.
      const out = await ddb.send(new GetItemCommand({ TableName: tableName, Key: key(canonicalId), ConsistentRead: true }));
      // An item naming another pool (the DR pool was replaced) says nothing about this one.
      if (out.Item?.drPoolId?.S !== drPoolId) return undefined;
      return out.Item.drUsername?.S || undefined;
    },
    async remember(canonicalId, username) {
      const item = { ...key(canonicalId), drUsername: { S: username }, drPoolId: { S: drPoolId }, updatedAt: { N: String(now()) } };
      await ddb.send(new PutItemCommand({ TableName: tableName, Item: item }));
    },
    async forget(canonicalId, username) {
      try {
        await ddb.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key(canonicalId),
            ConditionExpression: "drUsername = :username",
            ExpressionAttributeValues: { ":username": { S: username } },
          }),
        );
      } catch (err) {
        // Gone already, or it names another DR user by now: either way not ours to remove.
        if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
      }
    },
    async isTombstoned(canonicalId) {
      const out = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE_KEY]: { S: canonicalId } }, ConsistentRead: true, ProjectionExpression: "deleted" }));
      return out.Item?.deleted?.BOOL === true;
    },
  };
}
