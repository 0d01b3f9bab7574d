// sandbox/moto_server.py takes two costs off every replicated user (see its header): it remembers
// which moto service answers each host and writes no access-log line (moto routed every request
// under one lock, listing its own package directory each time), and it answers DynamoDB Streams
// GetRecords with json.dumps instead of moto's model-driven serializer. These checks hold both to
// moto's own answers: state stays apart per service and region once hosts are remembered, and a
// stream's records read the same as moto alone gives them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { motoJson } from "./aws";
import { findMoto, startMoto, type MotoServer } from "./moto";
import { motoMissing } from "./test-support";

const skip = motoMissing();

describe.skipIf(skip)("moto with the sandbox's fast paths", () => {
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("installs every patch of moto_server.py against this moto", () => {
    expect(moto.stderr()).not.toMatch(/not installed/);
  });

  it("keeps each region's and each service's state apart once their hosts are remembered", async () => {
    for (let round = 0; round < 3; round++) {
      await motoJson(moto.endpoint, "cognito-idp", "us-west-2", "CreateUserPool", { PoolName: `west-${round}` });
      await motoJson(moto.endpoint, "dynamodb", "us-west-2", "CreateTable", {
        TableName: `west-${round}`,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      });
      await motoJson(moto.endpoint, "sqs", "eu-west-1", "CreateQueue", { QueueName: `eu-${round}` });
    }
    const pools = (region: string) =>
      motoJson<{ UserPools: Array<{ Name: string }> }>(moto.endpoint, "cognito-idp", region, "ListUserPools", { MaxResults: 60 }).then((r) => r.UserPools.map((p) => p.Name).sort());
    expect(await pools("us-west-2")).toEqual(["west-0", "west-1", "west-2"]);
    expect(await pools("us-east-1")).toEqual([]);
    const tables = (region: string) => motoJson<{ TableNames: string[] }>(moto.endpoint, "dynamodb", region, "ListTables", {}).then((r) => r.TableNames.sort());
    expect(await tables("us-west-2")).toEqual(["west-0", "west-1", "west-2"]);
    expect(await tables("eu-west-1")).toEqual([]);
    const queues = await motoJson<{ QueueUrls?: string[] }>(moto.endpoint, "sqs", "eu-west-1", "ListQueues", {});
    expect(queues.QueueUrls?.map((u) => u.split("/").pop()).sort()).toEqual(["eu-0", "eu-1", "eu-2"]);
  });

  it("writes no access-log line per request", async () => {
    for (let i = 0; i < 5; i++) await motoJson(moto.endpoint, "dynamodb", "us-west-2", "ListTables", {});
    await new Promise((r) => setTimeout(r, 200));
    expect(moto.stderr()).not.toMatch(/"POST \/ HTTP\/1\.1" 200/);
  });

  it("reads a stream's records as moto alone writes them", async (ctx) => {
    const read = async (m: MotoServer) => {
      const R = "us-west-2";
      const table = await motoJson(m.endpoint, "dynamodb", R, "CreateTable", {
        TableName: "stream",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      });
      const put = (Item: unknown) => motoJson(m.endpoint, "dynamodb", R, "PutItem", { TableName: "stream", Item });
      await put({ pk: { S: "a" }, n: { N: "1.50" }, l: { L: [{ S: "x" }, { BOOL: true }, { NULL: true }] }, m: { M: { s: { SS: ["a", "b"] }, b: { B: "AAE=" }, bs: { BS: ["AAI=", "AwQ="] }, ns: { NS: ["1", "2"] } } } });
      await put({ pk: { S: "a" }, n: { N: "2" } });
      await motoJson(m.endpoint, "dynamodb", R, "DeleteItem", { TableName: "stream", Key: { pk: { S: "a" } } });
      const arn = table.TableDescription.LatestStreamArn as string;
      const shard = (await motoJson(m.endpoint, "streams", R, "DescribeStream", { StreamArn: arn })).StreamDescription.Shards[0].ShardId as string;
      const it0 = (await motoJson(m.endpoint, "streams", R, "GetShardIterator", { StreamArn: arn, ShardId: shard, ShardIteratorType: "TRIM_HORIZON" })).ShardIterator as string;
      const first = await motoJson(m.endpoint, "streams", R, "GetRecords", { ShardIterator: it0, Limit: 2 });
      const rest = await motoJson(m.endpoint, "streams", R, "GetRecords", { ShardIterator: first.NextShardIterator });
      const after = await motoJson(m.endpoint, "streams", R, "GetRecords", { ShardIterator: rest.NextShardIterator });
      const records = [...first.Records, ...rest.Records] as Array<{ eventID: string; dynamodb: Record<string, unknown> }>;
      expect(after.Records).toEqual([]);
      expect(typeof after.NextShardIterator).toBe("string");
      for (const r of records) {
        expect(typeof r.dynamodb.ApproximateCreationDateTime).toBe("number");
        expect(Math.abs((r.dynamodb.ApproximateCreationDateTime as number) * 1000 - Date.now())).toBeLessThan(60_000);
      }
      // Random, or derived from a timestamp's length (moto's own size estimate): not compared.
      return records.map(({ eventID: _id, dynamodb: { ApproximateCreationDateTime: _t, SizeBytes: _s, ...d }, ...r }) => ({ ...r, dynamodb: d }) as { eventName?: string });
    };
    const patched = await read(moto);
    expect(patched.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    // Moto alone, to compare with: the interpreter's moto module (MOTO_SERVER names a patched or
    // unknown server, so it cannot stand in). Without it the comparison is skipped, never passed.
    if (!findMoto({ patched: false })) {
      const why = "no moto without the sandbox's patches to compare with (python3 with the moto module: pip install 'moto[server]')";
      if (process.env.CI === "true") throw new Error(`${why}; CI=true requires it`);
      console.warn(`skipping the comparison: ${why}`);
      return ctx.skip();
    }
    const plain = await startMoto({ patched: false });
    try {
      expect(patched).toEqual(await read(plain));
    } finally {
      await plain.stop();
    }
  });
});
