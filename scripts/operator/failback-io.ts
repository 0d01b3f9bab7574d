// The failback drain's reads (failback-drain.ts decides): the DR-originated records since the
// failover, from a Scan of the DR replica (where DR's capture wrote them: a record still on its way
// to the primary is in the backlog too, and the primary replica would not show it yet);
// the primary user of each canonical id; and a peek at the primary replicator's DLQ.
import { AdminGetUserCommand, AdminListGroupsForUserCommand, type CognitoIdentityProviderClient, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { GetItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DIRECTORY_KEY_PREFIXES, NOT_A_RECORD_MARK, TABLE_KEY } from "../../handlers/contract";
import type { DrUserState } from "../../handlers/replication/plan";
import { listUsersPage, poolStateFromUser, primaryCanonicalId } from "../../handlers/replication/pool-users";
import { fromItem, type ReplicatedUser } from "../../handlers/replication/record";
import type { ReplicationConfig } from "../../handlers/replication/replication-config";
import { readDlq } from "../lib/dlq";
import type { DeletionPolicy } from "../../handlers/contract";
import { drainStatus, notDrained, type DlqItem, type DrainStatus } from "./failback-drain";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;
type Ddb = Pick<DynamoDBClient, "send">;

/**
 * Every record in the table (this client's replica) with originRegion = `drRegion` and version >=
 * `since`, all pages. Keys containing "#" are not user records (D4); an item that does not parse is
 * counted, not returned (the replicator parks those; its DLQ shows them).
 */
export async function scanDrOriginated(ddb: Ddb, tableName: string, drRegion: string, since: number): Promise<{ records: ReplicatedUser[]; unreadable: number }> {
  const records: ReplicatedUser[] = [];
  let unreadable = 0;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "#origin = :region AND #version >= :since",
        ExpressionAttributeNames: { "#origin": "originRegion", "#version": "version" },
        ExpressionAttributeValues: { ":region": { S: drRegion }, ":since": { N: String(since) } },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    for (const item of out.Items ?? []) {
      if ((item[TABLE_KEY]?.S ?? NOT_A_RECORD_MARK).includes(NOT_A_RECORD_MARK)) continue;
      try {
        records.push(fromItem(item));
      } catch {
        unreadable++;
      }
    }
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { records, unreadable };
}

const EMAIL_SAFE = /^[^"\\]+$/;

/**
 * The primary user of a canonical id (two-way: custom:canonical_id ?? sub), as planUser compares it,
 * or undefined. Found by sub (a user born in the primary), else through the primary pool's directory
 * item (`primary#<id>`, the primary replicator's), else (a live record) by the record's email.
 */
export async function primaryUserOf(
  deps: { cognito: Cognito; poolId: string; ddb: Ddb; tableName: string; config: ReplicationConfig },
  record: ReplicatedUser,
): Promise<DrUserState | undefined> {
  const id = record.canonicalId;
  const ours = (u: UserType | undefined) => (u && primaryCanonicalId(u, deps.config, "two-way") === id ? u : undefined);
  let user: UserType | undefined;
  if (/^[\w-]+$/.test(id)) user = ours((await listUsersPage(deps.cognito, deps.poolId, { filter: `sub = "${id}"`, limit: 1 })).users[0]);
  if (!user) user = ours(await byDirectory(deps, id));
  const email = record.attributes.email;
  if (!user && email && EMAIL_SAFE.test(email)) user = ours((await listUsersPage(deps.cognito, deps.poolId, { filter: `email = "${email}"`, limit: 1 })).users[0]);
  if (!user?.Username) return undefined;
  const groups: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await deps.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: deps.poolId, Username: user.Username, Limit: 60, NextToken }));
    for (const g of out.Groups ?? []) if (g.GroupName) groups.push(g.GroupName);
    NextToken = out.NextToken;
  } while (NextToken);
  return poolStateFromUser(user, groups, id, deps.config);
}

/** The primary user the primary directory item names (it keeps the attribute name `drUsername`, D4). */
async function byDirectory(deps: { cognito: Cognito; poolId: string; ddb: Ddb; tableName: string }, id: string): Promise<UserType | undefined> {
  const out = await deps.ddb.send(new GetItemCommand({ TableName: deps.tableName, Key: { [TABLE_KEY]: { S: `${DIRECTORY_KEY_PREFIXES.primary.user}${id}` } }, ConsistentRead: true }));
  const username = out.Item?.drUsername?.S;
  if (!username || out.Item?.drPoolId?.S !== deps.poolId) return undefined;
  try {
    const u = await deps.cognito.send(new AdminGetUserCommand({ UserPoolId: deps.poolId, Username: username }));
    return { Username: u.Username, Attributes: u.UserAttributes, Enabled: u.Enabled, UserStatus: u.UserStatus };
  } catch (err) {
    if ((err as { name?: string }).name === "UserNotFoundException") return undefined;
    throw err;
  }
}

/** The primary replicator's DLQ, peeked (messages made visible again at once). */
export async function peekDlq(sqs: SQSClient, queueUrl: string): Promise<DlqItem[]> {
  return (await readDlq(sqs, queueUrl)).map((e) => (e.kind === "parked" && e.record ? { reason: e.reason, record: e.record } : { reason: e.reason }));
}

export interface DrainDeps {
  /** The DR replica of the table: every DR-originated record, including those not yet replicated. */
  records: Ddb;
  /** The primary replica of the table: the primary pool's directory items. */
  ddb: Ddb;
  tableName: string;
  cognito: Cognito;
  poolId: string;
  sqs: SQSClient;
  dlqUrl: string;
  drRegion: string;
  since: number;
  policy: DeletionPolicy;
  config: ReplicationConfig;
}

/**
 * One drain check per call: scan, read the primary user of each record not yet seen drained (a
 * record drained at a version stays drained; a newer version is read again), peek at the DLQ.
 */
export function drainChecker(deps: DrainDeps): () => Promise<DrainStatus & { unreadable: number }> {
  const drainedAt = new Map<string, number>();
  return async () => {
    const { records, unreadable } = await scanDrOriginated(deps.records, deps.tableName, deps.drRegion, deps.since);
    const states = new Map<string, DrUserState | undefined>();
    for (const r of records) {
      if (drainedAt.get(r.canonicalId) === r.version) continue;
      const state = await primaryUserOf(deps, r);
      states.set(r.canonicalId, state);
      if (!notDrained(r, state, deps.policy, deps.config)) drainedAt.set(r.canonicalId, r.version);
    }
    const dlq = await peekDlq(deps.sqs, deps.dlqUrl);
    // Records seen drained before are judged drained again without a read (their state is not re-fetched).
    const fresh = records.filter((r) => states.has(r.canonicalId));
    const status = drainStatus(fresh, (id) => states.get(id), dlq, { drRegion: deps.drRegion, policy: deps.policy, config: deps.config });
    const deletions = records.filter((r) => r.deleted).length;
    return { ...status, figures: { records: records.length, users: records.length - deletions, deletions }, unreadable };
  };
}
