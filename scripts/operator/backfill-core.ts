// The backfill's paging: every ListUsers page of the primary pool (listed in sub-prefix segments,
// several at once: segmented-list.ts) turned into records and either written to the replicated table with the conditional put (the replicator does the
// rest) or, in direct mode, upserted into the DR pool through the replicator's own upsert. A
// record whose table item already says the same is not written again, so a re-run (or the
// page in flight when a run was killed) writes nobody twice. The command (backfill.ts) owns
// the flags, the checkpoint between pages and the report. Pages of different segments are
// processed at once; --concurrency bounds the users in flight across all of them.
import { BatchGetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { TABLE_KEY } from "../../handlers/contract";
import { recordFromUser, replicable, sameContent } from "../../handlers/replication/pool-users";
import { listSegmented, segmentsFor, type ListingSummary, type SegmentPage, type SegmentProgress } from "../../handlers/replication/segmented-list";
import type { TokenBucket } from "../../handlers/replication/rate-limit";
import { fromItem, type ReplicatedUser } from "../../handlers/replication/record";
import type { ReplicationConfig } from "../../handlers/replication/replication-config";
import { putRecord } from "../../handlers/replication/table";
import { planUser, readDrGroups, readDrUser, upsertDrUser, type UpsertAction, type UpsertContext } from "../../handlers/replication/upsert";
import { classifyAwsError } from "../../handlers/shared/classify";
import type { BackfillCounts, Failure } from "./checkpoint";
import { semaphore } from "../../handlers/shared/ordering";

export interface BackfillDeps {
  /** The primary pool's Cognito, rate-limited. */
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  poolId: string;
  /** Primary-region DynamoDB and the table the records go to (table mode). */
  dynamodb: Pick<DynamoDBClient, "send">;
  tableName: string;
  /** Direct mode: the DR pool the users are upserted into. */
  direct?: UpsertContext;
  /** Paces table writes (--write-rate). */
  writeBucket: TokenBucket;
  /** Group names per primary username (one ListUsersInGroup walk per group). */
  memberships: Map<string, string[]>;
  record: { region: string; config: ReplicationConfig; ttlDays: number };
}

/** Where the run is: resumed from a checkpoint or fresh; updated after every page. */
export interface BackfillState {
  /**
   * Per segment (a sub prefix; "" the whole pool or a --filter walk): the token of its next page, or
   * done. Empty: a fresh run, whose segments are set before the first page.
   */
  segments: Record<string, SegmentProgress>;
  /** Pages fully processed, all segments together. */
  pageIndex: number;
  counts: BackfillCounts;
  failures: Failure[];
}

export interface BackfillOptions {
  dryRun: boolean;
  /** Users in flight at once, across the pages being processed. */
  concurrency: number;
  filter?: string;
  /** Sub prefixes of a fresh run (default the 16 hex digits); a resumed run keeps its checkpoint's. */
  segments?: readonly string[];
  /** The primary limiter's UserList rate: what the listing sizes its segment walks for. */
  listRate: number;
  pageSeconds?: number;
  /** After each fully processed page (the checkpoint is written here). */
  onPage(state: BackfillState): void;
}

/** Whether every segment of `state` is done (a fresh state has none: not done). */
export function allDone(state: Pick<BackfillState, "segments">): boolean {
  const all = Object.values(state.segments);
  return all.length > 0 && all.every((s) => s.done === true);
}

/** Pages from `state` to the last page of every segment; how many users this run listed, and how. */
export async function backfillPages(deps: BackfillDeps, state: BackfillState, opts: BackfillOptions): Promise<{ users: number; listing: ListingSummary }> {
  const { failures } = state;
  let users = 0;
  const slot = semaphore(opts.concurrency);

  if (Object.keys(state.segments).length === 0) for (const s of segmentsFor(opts)) state.segments[s] = {};

  // A page's counts and failures join the run's only when the page is done, with its segment's move
  // in the checkpoint: pages of other segments still in flight at a save (or a kill) are processed
  // again on resume, and must not be counted twice.
  const processPage = async (page: SegmentPage) => {
    const counts: BackfillCounts = { listed: 0, skipped: 0, written: 0, created: 0, updated: 0, unchanged: 0, newer: 0, failed: 0 };
    const pageFailures: Failure[] = [];
    const fail = (user: { Username?: string }, canonicalId: string | undefined, err: unknown) => {
      const e = classifyAwsError(err);
      counts.failed++;
      pageFailures.push({ username: user.Username, canonicalId, reason: e.reason, message: e.message });
    };
    counts.listed += page.users.length;
    const now = Date.now();
    const records: Array<{ user: (typeof page.users)[number]; record: ReplicatedUser }> = [];
    for (const user of page.users) {
      if (!replicable(user)) {
        counts.skipped++;
        continue;
      }
      try {
        records.push({ user, record: recordFromUser(user, deps.memberships.get(user.Username ?? "") ?? [], { ...deps.record, poolId: deps.poolId, now }) });
      } catch (err) {
        fail(user, undefined, err);
      }
    }

    const direct = deps.direct;
    if (!direct) {
      const existing = await readRecords(deps.dynamodb, deps.tableName, records.map((r) => r.record.canonicalId));
      await Promise.all(
        records.map(({ user, record }) =>
          slot(async () => {
            const current = existing.get(record.canonicalId);
            if (current && sameContent(current, record)) {
              counts.unchanged++;
              return;
            }
            const next = { ...record, version: Math.max(record.version, (current?.version ?? 0) + 1), confirmedAt: current?.confirmedAt ?? record.confirmedAt };
            if (opts.dryRun) {
              counts.written++;
              return;
            }
            try {
              await deps.writeBucket.take();
              const outcome = await putRecord(deps.dynamodb, deps.tableName, next);
              if (outcome === "written") counts.written++;
              else counts.newer++;
            } catch (err) {
              fail(user, record.canonicalId, err);
            }
          }),
        ),
      );
    } else {
      await Promise.all(
        records.map(({ user, record }) =>
          slot(async () => {
            try {
              const action = opts.dryRun ? await wouldUpsert(direct, record) : (await upsertDrUser(direct, record)).action;
              counts[action]++;
            } catch (err) {
              fail(user, record.canonicalId, err);
            }
          }),
        ),
      );
    }
    users += page.users.length;
    for (const k of Object.keys(counts) as Array<keyof BackfillCounts>) state.counts[k] += counts[k];
    for (const f of pageFailures) if (failures.length < 1000) failures.push(f);
    state.pageIndex++;
    // Only now does the segment move on: a page interrupted mid-way is processed again on resume.
    state.segments[page.segment] = page.nextToken ? { token: page.nextToken } : { done: true };
    opts.onPage(state);
  };

  const listing = await listSegmented(deps.cognito, deps.poolId, {
    segments: Object.keys(state.segments),
    filter: opts.filter,
    targetRate: opts.listRate,
    pageSeconds: opts.pageSeconds,
    start: state.segments,
    onPage: processPage,
  });
  return { users, listing };
}

/** The table's current records of these canonical ids (an unreadable item counts as absent). */
async function readRecords(ddb: Pick<DynamoDBClient, "send">, tableName: string, ids: string[]): Promise<Map<string, ReplicatedUser>> {
  const found = new Map<string, ReplicatedUser>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Array<Record<string, { S: string }>> | undefined = unique.slice(i, i + 100).map((id) => ({ [TABLE_KEY]: { S: id } }));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      const out = await ddb.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of out.Responses?.[tableName] ?? []) {
        try {
          const r = fromItem(item);
          found.set(r.canonicalId, r);
        } catch {
          // An unreadable item is rewritten by the backfill: treat as absent.
        }
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys as typeof keys;
      if (keys && keys.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    }
  }
  return found;
}

/** Dry run of direct mode: what upsertDrUser would do, from the upsert's own reads only. */
async function wouldUpsert(ctx: UpsertContext, record: ReplicatedUser): Promise<UpsertAction> {
  const user = await readDrUser(ctx, record.attributes.email);
  if (!user) return "created";
  const plan = planUser(record, { ...user, groups: await readDrGroups(ctx, user.username) }, ctx.config);
  const changes = plan.update.length + plan.delete.length + plan.addGroups.length + plan.removeGroups.length + (plan.enabled === undefined ? 0 : 1);
  return changes > 0 ? "updated" : "unchanged";
}
