import { ConditionalCheckFailedException, DynamoDBClient, InternalServerError, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { FIXED_NOW, sqsEvent, sqsRecord, userRecord } from "../../test/support/events";
import { fixedClock, recordingMetrics, testLogger } from "../../test/support/fakes";
import { logsFrom } from "../../test/support/logs";
import { installPiiGuard } from "../../test/support/pii-guard";
import { makeHandler, parseBody } from "./handler";

const guard = installPiiGuard();
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

describe("retry-worker log lines and errors", () => {
  it("written: INFO with the message id, the canonical id and the outcome; not written: WARN with reason and retryable", async () => {
    ddbMock.on(PutItemCommand).resolvesOnce({}).rejects(new InternalServerError({ message: "boom", $metadata: {} }));
    const logs = logsFrom(guard);
    await handler()(sqsEvent(sqsRecord(JSON.stringify(userRecord()), "m-ok"), sqsRecord(JSON.stringify(userRecord({ canonicalId: "c2" })), "m-bad")));
    expect(logs.read()).toEqual([
      expect.objectContaining({ level: "INFO", message: "fallback record written", messageId: "m-ok", canonicalId: userRecord().canonicalId, outcome: "written" }),
      expect.objectContaining({ level: "WARN", message: "fallback record not written", messageId: "m-bad", reason: "TRANSIENT", retryable: true, error: expect.stringMatching(/.+/) }),
    ]);
  });

  it("a body that is not JSON is a permanent INVALID_RECORD saying so", () => {
    expect(() => parseBody("{not json")).toThrow(expect.objectContaining({ reason: "INVALID_RECORD", retryable: false, message: "message body is not JSON" }));
  });

  it("publishes its metrics even when the batch fails entirely", async () => {
    ddbMock.on(PutItemCommand).rejects(new InternalServerError({ message: "boom", $metadata: {} }));
    await handler()(sqsEvent(sqsRecord(JSON.stringify(userRecord()))));
    expect(metrics.published).toBe(1);
  });
});
