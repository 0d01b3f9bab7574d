import { ConditionalCheckFailedException, DynamoDBClient, InternalServerError, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { FIXED_NOW, sqsEvent, sqsRecord, userRecord } from "../testing/events";
import { fixedClock, recordingMetrics, testLogger } from "../testing/fakes";
import { installPiiGuard } from "../testing/pii-guard";
import { makeHandler } from "./handler";

installPiiGuard();
const ddbMock = mockClient(DynamoDBClient);
let metrics = recordingMetrics();
const meta = { $metadata: {} };

const handler = () =>
  makeHandler({
    ddb: new DynamoDBClient({ region: "us-east-1" }),
    config: { tableName: "cdr-test-users", ttlDays: 30 },
    logger: testLogger(),
    metrics,
    now: fixedClock(),
  });

beforeEach(() => {
  ddbMock.reset();
  metrics = recordingMetrics();
});

describe("retry-worker", () => {
  it("writes each valid record with the conditional put", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const record = userRecord();
    const out = await handler()(sqsEvent(sqsRecord(JSON.stringify(record), "m1")));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(ddbMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: "cdr-test-users",
      ConditionExpression: "attribute_not_exists(#key) OR #version < :version",
      ExpressionAttributeValues: { ":version": { N: String(record.version) } },
    });
    expect(metrics.total("Written")).toBe(1);
  });

  it("pushes expiresAt out when the message waited close to expiry", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await handler()(sqsEvent(sqsRecord(JSON.stringify(userRecord({ expiresAt: FIXED_NOW / 1000 + 10 })))));
    const item = ddbMock.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    expect(item.expiresAt).toEqual({ N: String(FIXED_NOW / 1000 + 30 * 86_400) });
  });

  it("an already-newer table version counts as Skipped, not a failure", async () => {
    ddbMock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "c", ...meta }));
    const out = await handler()(sqsEvent(sqsRecord(JSON.stringify(userRecord()))));
    expect(out.batchItemFailures).toEqual([]);
    expect(metrics.total("Skipped")).toBe(1);
  });

  it("invalid bodies and table errors fail only their own messages", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    ddbMock.on(PutItemCommand, { Item: { canonicalId: { S: "boom" } } }).rejects(new InternalServerError({ message: "x", ...meta }));
    const out = await handler()(
      sqsEvent(
        sqsRecord("not json", "bad-json"),
        sqsRecord(JSON.stringify({ ...userRecord(), version: "soon" }), "bad-record"),
        sqsRecord(JSON.stringify(userRecord()), "good"),
        sqsRecord(JSON.stringify(userRecord({ canonicalId: "boom" })), "table-error"),
      ),
    );
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: "bad-json" }, { itemIdentifier: "bad-record" }, { itemIdentifier: "table-error" }]);
    expect(metrics.total("Written")).toBe(1);
    expect(metrics.total("Failed")).toBe(3);
  });

  it("a batch that fails entirely is reported, not thrown", async () => {
    const out = await handler()(sqsEvent(sqsRecord("{}", "only")));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: "only" }]);
  });
});
