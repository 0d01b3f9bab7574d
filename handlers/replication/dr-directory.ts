// Which user of a target pool carries a canonical id, and the reverse: which canonical id a pool
// user (by its `sub`) carries. Cognito's ListUsers cannot filter on a custom attribute, and finding
// the user by email fails exactly when it matters: after an email change (the old address is gone
// from the record once its TTL passed, stale after reconcile moved it, absent for backfill
// --direct), which is how one canonical id came to have two users. So the replicator remembers the
// username under `<role prefix><canonicalId>` (DR keeps `dr#`, the primary uses `primary#`:
// DIRECTORY_KEY_PREFIXES) in the replicated table, in the pool's own region. The reverse item
// `<role sub prefix><sub>` is change capture's: a deleted user's CloudTrail event carries only its
// sub, and the user is gone, so only this item still says which canonical id to tombstone.
//
// Why that table: the replicator and the scheduled reconcile already reach it (KMS key, grants),
// and it survives a stack rebuild like the records do. Items replicate to the other region, where
// nothing reads them; they carry no schemaVersion and their keys contain "#" (NOT_A_RECORD_MARK),
// which no record's canonical id may, so every reader of records skips them. Only the pool's own
// region writes them (one writer per key), so global tables' last-writer-wins never loses one.
// They have no TTL: a user lives until a tombstone or reconcile removes it. Reverse items stay
// after the user is gone: capture reads them exactly then, and a sub is never reused.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DIRECTORY_KEY_PREFIXES, DR_USER_KEY_PREFIX, NOT_A_RECORD_MARK, TABLE_KEY, type RegionRole } from "../contract";

/** What the directory says about a canonical id: its user's username, and its sub when the item records it. */
export interface DirectoryEntry {
  username: string;
  /** Absent in items written before the reverse items existed: the upsert remembers such a user again. */
  sub?: string;
}

/** The table's latest record of a canonical id: a live user, a tombstone, or none (never written, or expired). */
export type RecordState = "live" | "tombstoned" | undefined;

export interface DrDirectory {
  /** The pool whose users this directory names, by region role. */
  readonly role: RegionRole;
  /** The username recorded for `canonicalId` in this pool, or undefined. */
  usernameOf(canonicalId: string): Promise<string | undefined>;
  /** The username and sub recorded for `canonicalId` in this pool, or undefined. */
  entryOf(canonicalId: string): Promise<DirectoryEntry | undefined>;
  /**
   * Records that `username` (whose pool `sub` is `sub`) is the user of `canonicalId` (idempotent),
   * and the reverse item for the sub. Without a sub only the forward item is written (the next hit
   * remembers it again with one).
   */
  remember(canonicalId: string, username: string, sub?: string): Promise<void>;
  /** Removes the item, only while it still names `username` (a newer user's item stays). */
  forget(canonicalId: string, username: string): Promise<void>;
  /** The canonical id this pool's user `sub` carries, from the reverse item; undefined when absent or naming another pool. */
  canonicalIdOfSub(sub: string): Promise<string | undefined>;
  /** Whether the table's latest record for `canonicalId` is a tombstone (that user was deleted). */
  isTombstoned(canonicalId: string): Promise<boolean>;
  /** The table's latest record of `canonicalId`: live, tombstoned, or none. */
  recordState(canonicalId: string): Promise<RecordState>;
}

/** The forward item's key of `canonicalId` in `role`'s directory (DR by default, as before two-way). */
export const drUserKey = (canonicalId: string, role: RegionRole = "dr"): string => `${DIRECTORY_KEY_PREFIXES[role].user}${canonicalId}`;
/** The reverse item's key of a pool user's `sub` in `role`'s directory. */
export const subKey = (sub: string, role: RegionRole): string => `${DIRECTORY_KEY_PREFIXES[role].sub}${sub}`;

/** Whether a table key is one of the DR directory's forward items. Kept for callers of one-way; prefer isNotARecordKey. */
export const isDrUserKey = (key: string): boolean => key.startsWith(DR_USER_KEY_PREFIX);

/** Whether a table key is anything but a user record: directory items of either pool, control items. */
export const isNotARecordKey = (key: string): boolean => key.includes(NOT_A_RECORD_MARK);

export function tableDirectory(
  ddb: Pick<DynamoDBClient, "send">,
  tableName: string,
  poolId: string,
  role: RegionRole = "dr",
  now: () => number = Date.now,
): DrDirectory {
  const key = (k: string) => ({ [TABLE_KEY]: { S: k } });
  // Strongly consistent: the replicator may have written it a moment ago in this region.
  const get = (k: string) => ddb.send(new GetItemCommand({ TableName: tableName, Key: key(k), ConsistentRead: true }));
  const recordState = async (canonicalId: string): Promise<RecordState> => {
    const out = await ddb.send(new GetItemCommand({ TableName: tableName, Key: key(canonicalId), ConsistentRead: true, ProjectionExpression: "deleted" }));
    if (!out.Item) return undefined;
    return out.Item.deleted?.BOOL === true ? "tombstoned" : "live";
  };
  const entryOf = async (canonicalId: string): Promise<DirectoryEntry | undefined> => {
    const out = await get(drUserKey(canonicalId, role));
    // An item naming another pool (the pool was replaced) says nothing about this one.
    if (out.Item?.drPoolId?.S !== poolId) return undefined;
    const username = out.Item.drUsername?.S;
    if (!username) return undefined;
    const sub = out.Item.sub?.S;
    return sub ? { username, sub } : { username };
  };
  return {
    role,
    entryOf,
    async usernameOf(canonicalId) {
      return (await entryOf(canonicalId))?.username;
    },
    async remember(canonicalId, username, sub) {
      const updatedAt = { N: String(now()) };
      // Reverse item first: a forward item carrying `sub` then always has its reverse item, so a
      // failure between the two puts is healed by the next hit (whose item lacks the sub).
      if (sub) {
        const reverse = { ...key(subKey(sub, role)), userCanonicalId: { S: canonicalId }, poolId: { S: poolId }, updatedAt };
        await ddb.send(new PutItemCommand({ TableName: tableName, Item: reverse }));
      }
      const item = { ...key(drUserKey(canonicalId, role)), drUsername: { S: username }, drPoolId: { S: poolId }, ...(sub ? { sub: { S: sub } } : {}), updatedAt };
      await ddb.send(new PutItemCommand({ TableName: tableName, Item: item }));
    },
    async forget(canonicalId, username) {
      try {
        await ddb.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key(drUserKey(canonicalId, role)),
            ConditionExpression: "drUsername = :username",
            ExpressionAttributeValues: { ":username": { S: username } },
          }),
        );
      } catch (err) {
        // Gone already, or it names another user by now: either way not ours to remove.
        if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
      }
    },
    async canonicalIdOfSub(sub) {
      const out = await get(subKey(sub, role));
      if (out.Item?.poolId?.S !== poolId) return undefined;
      return out.Item.userCanonicalId?.S || undefined;
    },
    async isTombstoned(canonicalId) {
      return (await recordState(canonicalId)) === "tombstoned";
    },
    recordState,
  };
}
