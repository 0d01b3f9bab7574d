// Event source mappings end to end (the Lambda plugin behind a test gateway, moto as the source):
// one suite whose seven scenarios share one moto, gateway and plugin, hence over 300 lines.

import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaPlugin, type LambdaPlugin } from "./index";
import { startMoto, type MotoServer } from "../moto";
import { motoMissing } from "../test-support";
import { createRole, startTestGateway, type TestGateway } from "./testing";

const skip = motoMissing();
const REGION = "us-west-2";

const HANDLERS = `
const seen = new Map();
exports.stream = async (event) => {
  const recs = event.Records;
  console.log("BATCH " + JSON.stringify({
    keys: recs.map((r) => r.dynamodb.Keys.pk.S),
    names: recs.map((r) => r.eventName),
    seqs: recs.map((r) => r.dynamodb.SequenceNumber),
    first: recs[0],
  }));
  if (recs.some((r) => r.dynamodb.NewImage && r.dynamodb.NewImage.mode && r.dynamodb.NewImage.mode.S === "poison")) {
    throw new Error("poison record");
  }
  const batchItemFailures = [];
  for (const r of recs) {
    const k = r.dynamodb.Keys.pk.S;
    const n = (seen.get(k) || 0) + 1;
    seen.set(k, n);
    const mode = r.dynamodb.NewImage && r.dynamodb.NewImage.mode && r.dynamodb.NewImage.mode.S;
    if (mode === "partial" && n === 1) batchItemFailures.push({ itemIdentifier: r.dynamodb.SequenceNumber });
  }
  return { batchItemFailures };
};
exports.sqs = async (event) => {
  console.log("SQS " + JSON.stringify(event.Records.map((r) => ({
    body: r.body, count: r.attributes.ApproximateReceiveCount, source: r.eventSource, arn: r.eventSourceARN,
    region: r.awsRegion, md5: r.md5OfBody, attrs: r.messageAttributes,
  }))));
  return { batchItemFailures: event.Records.filter((r) => r.body === "fail").map((r) => ({ itemIdentifier: r.messageId })) };
};
`;
const ZIP = zipSync({ "index.js": strToU8(HANDLERS) });

interface Batch {
  keys: string[];
  names: string[];
  seqs: string[];
  first: Record<string, unknown>;
}

describe.skipIf(!!skip)(`lambda event source mappings${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let moto: MotoServer;
  let gw: TestGateway;
  let plugin: LambdaPlugin;
  let lambda: LambdaClient;
  let ddb: DynamoDBClient;
  let sqs: SQSClient;
  let role: string;

  const creds = { accessKeyId: "test", secretAccessKey: "test" };

  function batches(fn: string): Batch[] {
    return plugin
      .logs(fn, REGION)
      .map((l) => /\tINFO\tBATCH (.*)$/.exec(l.line)?.[1])
      .filter((x): x is string => !!x)
      .map((x) => JSON.parse(x) as Batch);
  }

  function sqsBatches(fn: string): { body: string; count: string; source: string; arn: string; region: string; md5: string; attrs: Record<string, unknown> }[][] {
    return plugin
      .logs(fn, REGION)
      .map((l) => /\tINFO\tSQS (.*)$/.exec(l.line)?.[1])
      .filter((x): x is string => !!x)
      .map((x) => JSON.parse(x));
  }

  async function fn(name: string, handler: string): Promise<string> {
    const r = await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: "nodejs22.x", Role: role, Handler: handler, Code: { ZipFile: ZIP }, Timeout: 5 }));
    return r.FunctionArn!;
  }

  async function table(name: string): Promise<string> {
    const r = await ddb.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      }),
    );
    return r.TableDescription!.LatestStreamArn!;
  }

  async function put(tableName: string, pk: string, mode = "ok") {
    await ddb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: pk }, mode: { S: mode } } }));
  }

  async function queue(name: string, attrs: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
    const r = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }));
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: r.QueueUrl!, AttributeNames: ["QueueArn"] }));
    return { url: r.QueueUrl!, arn: a.Attributes!.QueueArn! };
  }

  beforeAll(async () => {
    moto = await startMoto();
    role = await createRole(moto.endpoint, "esm-role");
    gw = await startTestGateway(moto.endpoint, () => plugin);
    plugin = createLambdaPlugin({ gatewayEndpoint: gw.endpoint, motoEndpoint: moto.endpoint, idlePollMs: 50, retryBackoffMs: 20 });
    const cfg = { region: REGION, endpoint: gw.endpoint, credentials: creds, maxAttempts: 1 };
    lambda = new LambdaClient(cfg);
    ddb = new DynamoDBClient(cfg);
    sqs = new SQSClient(cfg);
  });

  afterAll(async () => {
    await plugin?.stop();
    await gw?.stop();
    await moto?.stop();
  });

  it("echoes the mapping configuration the way Lambda does (terraform read-back), and manages state", async () => {
    const fnArn = await fn("echo-fn", "index.stream");
    const stream = await table("echo-table");
    const dest = await queue("echo-dest");
    const filter = { Filters: [{ Pattern: JSON.stringify({ eventName: ["INSERT", "MODIFY"] }) }] };
    const created = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "echo-fn",
        EventSourceArn: stream,
        StartingPosition: "LATEST",
        BatchSize: 25,
        MaximumBatchingWindowInSeconds: 2,
        FilterCriteria: filter,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 3600,
        ParallelizationFactor: 2,
        TumblingWindowInSeconds: 0,
        DestinationConfig: { OnFailure: { Destination: dest.arn } },
        Tags: { team: "identity" },
      }),
    );
    expect(created.State).toBe("Enabled");
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID! }));
    expect(got).toMatchObject({
      UUID: created.UUID,
      FunctionArn: fnArn,
      EventSourceArn: stream,
      State: "Enabled",
      StartingPosition: "LATEST",
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 2,
      FilterCriteria: filter,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 2,
      TumblingWindowInSeconds: 0,
      DestinationConfig: { OnFailure: { Destination: dest.arn } },
    });
    expect(got.EventSourceMappingArn).toMatch(/:event-source-mapping:/);
    expect(got.LastModified).toBeInstanceOf(Date);
    const tags = await lambda.send(new ListTagsCommand({ Resource: got.EventSourceMappingArn! }));
    expect(tags.Tags).toEqual({ team: "identity" });

    const upd = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID!, Enabled: false, BatchSize: 50 }));
    expect(upd).toMatchObject({ BatchSize: 50, MaximumRetryAttempts: 3 });
    expect(["Disabling", "Disabled"]).toContain(upd.State);
    await expect.poll(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID! }))).State, { timeout: 5000 }).toBe("Disabled");
    const list = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "echo-fn" }));
    expect(list.EventSourceMappings?.map((m) => m.UUID)).toEqual([created.UUID]);

    await expect(
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "echo-fn", EventSourceArn: stream, StartingPosition: "LATEST" })),
    ).rejects.toMatchObject({ name: "ResourceConflictException" });
    await expect(
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "no-such-fn", EventSourceArn: stream, StartingPosition: "LATEST" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });

    const del = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID! }));
    expect(del.State).toBe("Deleting");
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID! }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("DynamoDB stream: filters out REMOVE, delivers Lambda's record shape, checkpoints before a partial failure", async () => {
    const stream = await table("partial-table");
    await fn("partial-fn", "index.stream");
    for (const [pk, mode] of [["a1", "ok"], ["a2", "ok"], ["p3", "partial"], ["a4", "ok"], ["a5", "ok"]] as const) {
      await put("partial-table", pk, mode);
    }
    await ddb.send(new DeleteItemCommand({ TableName: "partial-table", Key: { pk: { S: "a1" } } }));
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "partial-fn",
        EventSourceArn: stream,
        StartingPosition: "TRIM_HORIZON",
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ["INSERT", "MODIFY"] }) }] },
      }),
    );
    await expect.poll(() => batches("partial-fn").length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const b = batches("partial-fn");
    expect(b[0]!.keys).toEqual(["a1", "a2", "p3", "a4", "a5"]);
    expect(b[1]!.keys).toEqual(["p3", "a4", "a5"]);
    expect(b[1]!.seqs[0]).toBe(b[0]!.seqs[2]);
    expect(b.flatMap((x) => x.names)).not.toContain("REMOVE");
    const first = b[0]!.first as { dynamodb: Record<string, unknown> } & Record<string, unknown>;
    expect(first).toMatchObject({ eventName: "INSERT", eventVersion: "1.1", eventSource: "aws:dynamodb", awsRegion: REGION, eventSourceARN: stream });
    expect(first.dynamodb).toMatchObject({ Keys: { pk: { S: "a1" } }, NewImage: { pk: { S: "a1" }, mode: { S: "ok" } }, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(Math.abs((first.dynamodb.ApproximateCreationDateTime as number) - Date.now() / 1000)).toBeLessThan(120);
    expect(typeof first.dynamodb.SequenceNumber).toBe("string");
    expect(typeof first.dynamodb.SizeBytes).toBe("number");
    // Later writes keep flowing (low lag), and nothing is re-delivered.
    const t0 = Date.now();
    await put("partial-table", "late", "ok");
    await expect.poll(() => batches("partial-fn").some((x) => x.keys.includes("late")), { timeout: 5000, interval: 20 }).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(batches("partial-fn")).toHaveLength(3);
    const m = plugin.stats().mappings.find((x) => x.functionArn.endsWith(":partial-fn"));
    expect(m?.stats.recordsFiltered).toBe(1);
  });

  it("DynamoDB stream: bisects a failing batch, then sends the poison record to the on-failure queue after MaximumRetryAttempts", async () => {
    const stream = await table("bisect-table");
    const fnArn = await fn("bisect-fn", "index.stream");
    const dest = await queue("bisect-onfailure");
    for (const [pk, mode] of [["b1", "ok"], ["b2", "ok"], ["bad3", "poison"], ["b4", "ok"]] as const) await put("bisect-table", pk, mode);
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "bisect-fn",
        EventSourceArn: stream,
        StartingPosition: "TRIM_HORIZON",
        BatchSize: 4,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: dest.arn } },
      }),
    );
    await expect.poll(() => batches("bisect-fn").some((x) => x.keys.length === 1 && x.keys[0] === "b4"), { timeout: 10_000 }).toBe(true);
    const keys = batches("bisect-fn").map((x) => x.keys.join(","));
    expect(keys).toEqual(["b1,b2,bad3,b4", "b1,b2", "bad3,b4", "bad3", "bad3", "b4"]);

    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dest.url, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }));
    expect(r.Messages).toHaveLength(1);
    const msg = JSON.parse(r.Messages![0]!.Body!);
    const bad = batches("bisect-fn")[3]!;
    expect(msg).toMatchObject({
      requestContext: { functionArn: fnArn, condition: "RetryAttemptsExhausted", approximateInvokeCount: 4 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      DDBStreamBatchInfo: {
        shardId: expect.any(String),
        startSequenceNumber: bad.seqs[0],
        endSequenceNumber: bad.seqs[0],
        batchSize: 1,
        streamArn: stream,
      },
    });
    expect(msg.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(msg.timestamp)).not.toBeNaN();
    expect(Date.parse(msg.DDBStreamBatchInfo.approximateArrivalOfFirstRecord)).not.toBeNaN();
    expect(Date.parse(msg.DDBStreamBatchInfo.approximateArrivalOfLastRecord)).not.toBeNaN();
  });

  it("DynamoDB stream: answers once every record so far is handled, counts them by eventName, and delivers them again from an earlier checkpoint", async () => {
    const stream = await table("progress-table");
    await fn("progress-fn", "index.stream");
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "progress-fn",
        EventSourceArn: stream,
        StartingPosition: "TRIM_HORIZON",
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ["INSERT", "MODIFY"] }) }] },
      }),
    );
    const start = await plugin.mappingsCaughtUp("progress-fn", REGION, 5000);
    expect(start.caughtUp).toBe(true);
    expect(start.mappings[0]!.shards).toEqual([{ shardId: expect.any(String), checkpoint: undefined }]);
    await put("progress-table", "c1");
    await put("progress-table", "c2");
    await put("progress-table", "c1", "changed");
    await ddb.send(new DeleteItemCommand({ TableName: "progress-table", Key: { pk: { S: "c2" } } }));

    const done = await plugin.mappingsCaughtUp("progress-fn", REGION, 5000);
    // Already true when it answers, not eventually.
    const first = batches("progress-fn").flatMap((b) => b.seqs);
    expect(batches("progress-fn").flatMap((b) => b.keys)).toEqual(["c1", "c2", "c1"]);
    expect(done).toMatchObject({
      caughtUp: true,
      mappings: [{ state: "Enabled", stats: { recordsDelivered: 3, recordsFiltered: 1, deliveredByEventName: { INSERT: 2, MODIFY: 1 }, filteredByEventName: { REMOVE: 1 } } }],
    });
    const checkpoint = done.mappings[0]!.shards[0]!.checkpoint;
    expect(checkpoint).toEqual(expect.any(String));
    expect(BigInt(checkpoint!)).toBeGreaterThan(BigInt(first.at(-1)!)); // past the REMOVE the filter dropped

    // Back to the checkpoint before them: the same records once more, as when Lambda retries.
    await plugin.rewindMapping(done.mappings[0]!.uuid, start.mappings[0]!.shards);
    const again = await plugin.mappingsCaughtUp("progress-fn", REGION, 5000);
    expect(batches("progress-fn").flatMap((b) => b.seqs)).toEqual([...first, ...first]);
    expect(again.mappings[0]).toMatchObject({
      shards: done.mappings[0]!.shards,
      stats: { recordsDelivered: 6, recordsFiltered: 2, deliveredByEventName: { INSERT: 4, MODIFY: 2 }, filteredByEventName: { REMOVE: 2 } },
    });

    // A disabled mapping does not catch up, and says so when the wait ends.
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: done.mappings[0]!.uuid, Enabled: false }));
    await put("progress-table", "c3");
    expect(await plugin.mappingsCaughtUp("progress-fn", REGION, 300)).toMatchObject({ caughtUp: false, mappings: [{ state: "Disabled" }] });
    await expect(plugin.rewindMapping(done.mappings[0]!.uuid, start.mappings[0]!.shards)).rejects.toMatchObject({ name: "ResourceConflictException" });
  });

  it("keeps a mapping whose function is missing and delivers once the function exists again", async () => {
    const stream = await table("orphan-table");
    await fn("orphan-fn", "index.stream");
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "orphan-fn", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON" }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "orphan-fn" }));
    await put("orphan-table", "o1");
    await new Promise((r) => setTimeout(r, 300));
    expect(batches("orphan-fn")).toHaveLength(0);
    await fn("orphan-fn", "index.stream");
    await expect.poll(() => batches("orphan-fn").map((b) => b.keys.join(",")), { timeout: 5000 }).toEqual(["o1"]);
  });

  it("DynamoDB stream: reads through the gateway, so an injected outage delays but loses nothing", async () => {
    const stream = await table("outage-table");
    await fn("outage-fn", "index.stream");
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "outage-fn", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON" }));
    await put("outage-table", "before");
    await expect.poll(() => batches("outage-fn").length, { timeout: 5000 }).toBe(1);
    let blocked = 0;
    gw.fault = (req) => {
      if (req.service === "dynamodb" && req.operation === "GetRecords" && req.region === REGION) {
        blocked++;
        return { status: 503, headers: { "content-type": "application/x-amz-json-1.0" }, body: Buffer.from('{"__type":"ServiceUnavailable","message":"outage"}') };
      }
      return undefined;
    };
    try {
      await put("outage-table", "during1");
      await put("outage-table", "during2");
      await expect.poll(() => blocked, { timeout: 5000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(batches("outage-fn")).toHaveLength(1);
    } finally {
      gw.fault = undefined;
    }
    await expect.poll(() => batches("outage-fn").flatMap((b) => b.keys), { timeout: 5000 }).toEqual(["before", "during1", "during2"]);
  });

  it("SQS: deletes successes, leaves reported failures for the visibility timeout, and the redrive policy moves them to the DLQ", async () => {
    await fn("sqs-fn", "index.sqs");
    const dlq = await queue("src-dlq");
    const src = await queue("src", {
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "sqs-fn",
        EventSourceArn: src.arn,
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      }),
    );
    // (No batching window: with the 1 s visibility timeout used here, a window would let a
    // second poller see the batch again, exactly as in AWS when visibility < window + runtime.)
    for (const body of ["ok1", "fail", "ok2"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: body, MessageAttributes: { kind: { DataType: "String", StringValue: "test" } } }));
    }
    let dlqBodies: string[] = [];
    await expect
      .poll(
        async () => {
          const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
          dlqBodies.push(...(r.Messages ?? []).map((x) => x.Body!));
          return dlqBodies;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toEqual(["fail"]);
    const seen = sqsBatches("sqs-fn").flat();
    expect(seen.filter((x) => x.body === "ok1")).toHaveLength(1);
    expect(seen.filter((x) => x.body === "ok2")).toHaveLength(1);
    expect(seen.filter((x) => x.body === "fail").map((x) => x.count)).toEqual(["1", "2"]);
    expect(seen[0]).toMatchObject({ source: "aws:sqs", arn: src.arn, region: REGION, attrs: { kind: { stringValue: "test", dataType: "String" } } });
    expect(seen[0]!.md5).toMatch(/^[0-9a-f]{32}$/);
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: src.url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
    expect(left.Attributes).toMatchObject({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
    dlqBodies = [];
  });
});
