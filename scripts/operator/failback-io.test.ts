// The drain's reads: a paginated, filtered Scan that skips non-record keys; the primary user of a
// canonical id found by sub, by the primary directory item, or by email, never someone else's;
// and a drain check that reads a drained record's user once per version and is blocked by the DLQ.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { FakePool } from "../../test/support/fake-cognito";
import { newRecord, toItem, type ReplicatedUser } from "../../handlers/replication/record";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { drainChecker, primaryUserOf, scanDrOriginated } from "./failback-io";

const config = replicationConfig();
const DR = "us-west-2";
const T = Date.UTC(2026, 0, 31);
const rec = (id: string, email = `${id}@example.com`): ReplicatedUser =>
  newRecord({ canonicalId: id, username: id, attributes: { email, email_verified: "true" }, originRegion: DR, originPoolId: `${DR}_D`, now: T, ttlDays: 30 });

type Item = Record<string, { S?: string; N?: string }>;
function fakeTable(pages: Item[][], items: Record<string, Item> = {}) {
  const scans: Array<Record<string, unknown>> = [];
  const ddb = {
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
      if (cmd.constructor.name === "ScanCommand") {
        scans.push(cmd.input);
        const i = Number((cmd.input.ExclusiveStartKey as Item | undefined)?.canonicalId?.S ?? 0);
        return { Items: pages[i], LastEvaluatedKey: i + 1 < pages.length ? { canonicalId: { S: String(i + 1) } } : undefined };
      }
      if (cmd.constructor.name === "GetItemCommand") return { Item: items[((cmd.input.Key as Item).canonicalId.S)!] };
      throw new Error(`unexpected ${cmd.constructor.name}`);
    },
  };
  return { ddb, scans };
}

describe("scanDrOriginated", () => {
  it("follows every page with the origin and version filter, skips keys with '#' and counts unparseable items", async () => {
    const t = fakeTable([[toItem(rec("a")) as Item, { canonicalId: { S: "primary#a" }, originRegion: { S: DR } }], [toItem(rec("b")) as Item, { canonicalId: { S: "c" }, originRegion: { S: DR } }]]);
    const out = await scanDrOriginated(t.ddb, "tbl", DR, T - 1);
    expect(out.records.map((r) => r.canonicalId)).toEqual(["a", "b"]);
    expect(out.unreadable).toBe(1);
    expect(t.scans).toHaveLength(2);
    expect(t.scans[0]).toMatchObject({ TableName: "tbl", FilterExpression: "#origin = :region AND #version >= :since", ExpressionAttributeValues: { ":region": { S: DR }, ":since": { N: String(T - 1) } } });
  });
});

describe("primaryUserOf", () => {
  const primary = () =>
    new FakePool(
      "us-east-1_P",
      [
        { username: "p-own", attributes: { sub: "own", email: "own@example.com" } },
        { username: "p-copy", attributes: { sub: "p-sub", email: "born@example.com", "custom:canonical_id": "born" } },
        { username: "p-other", attributes: { sub: "other-sub", email: "taken@example.com" } },
        { username: "p-dir", attributes: { sub: "dir-sub", email: "moved@example.com", "custom:canonical_id": "gone-email" } },
      ],
      60,
    );
  const deps = (cognito: FakePool, items: Record<string, Item> = {}) => ({ cognito, poolId: cognito.poolId, ddb: fakeTable([], items).ddb, tableName: "tbl", config });

  it("finds a primary-born user by sub, a DR-born user's copy by its email, and one whose email moved by the directory item", async () => {
    const p = primary();
    expect((await primaryUserOf(deps(p), rec("own")))?.username).toBe("p-own");
    expect((await primaryUserOf(deps(p), rec("born")))?.username).toBe("p-copy");
    const dir = { "primary#gone-email": { canonicalId: { S: "primary#gone-email" }, drUsername: { S: "p-dir" }, drPoolId: { S: "us-east-1_P" } } };
    expect((await primaryUserOf(deps(p, dir), rec("gone-email", "old@example.com")))?.username).toBe("p-dir");
    expect(await primaryUserOf(deps(p), rec("gone-email", "old@example.com"))).toBeUndefined();
  });

  it("never takes another canonical id's user holding the email (a same-email holder is not this user)", async () => {
    expect(await primaryUserOf(deps(primary()), rec("someone", "taken@example.com"))).toBeUndefined();
  });
});

describe("drainChecker", () => {
  it("reads a drained record's primary user once per version, and the DLQ blocks until it is empty", async () => {
    const p = new FakePool("us-east-1_P", [{ username: "p-a", attributes: { sub: "a", email: "a@example.com", email_verified: "true", "custom:canonical_id": "a" } }], 60);
    const t = fakeTable([[toItem(rec("a")) as Item]]);
    let messages = [{ MessageId: "m1", ReceiptHandle: "r1", Body: JSON.stringify({ DDBStreamBatchInfo: { streamArn: "s", shardId: "sh", startSequenceNumber: "1", endSequenceNumber: "2", batchSize: 1 }, requestContext: { condition: "RetryAttemptsExhausted" } }) }];
    const sqs = {
      async send(cmd: { constructor: { name: string } }): Promise<unknown> {
        return cmd.constructor.name === "ReceiveMessageCommand" ? { Messages: messages } : {};
      },
    } as unknown as SQSClient;
    const check = drainChecker({ records: t.ddb, ddb: t.ddb, tableName: "tbl", cognito: p, poolId: p.poolId, sqs, dlqUrl: "https://q", drRegion: DR, since: T, policy: "delete", config });
    const first = await check();
    expect(first).toMatchObject({ drained: false, pending: [], dlq: { BATCH_RetryAttemptsExhausted: 1 }, figures: { records: 1, users: 1, deletions: 0 } });
    messages = [];
    const reads = p.calls.length;
    const second = await check();
    expect(second.drained).toBe(true);
    expect(p.calls.length).toBe(reads); // drained at this version: not read again
  });
});
