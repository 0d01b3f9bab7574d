import { DynamoDBClient, InternalServerError, PutItemCommand, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { readPostConfirmationConfig } from "../shared/env";
import * as aws from "../../test/support/aws";
import { FIXED_NOW, postConfirmationEvent, PRIMARY_POOL_ID } from "../../test/support/events";
import { fixedClock, recordingMetrics, sequentialIds, testLogger } from "../../test/support/fakes";
import { logLines, logsFrom } from "../../test/support/logs";
import { installPiiGuard } from "../../test/support/pii-guard";
import { makeHandler } from "./handler";

const guard = installPiiGuard();
const ddbMock = mockClient(DynamoDBClient);
const sqsMock = mockClient(SQSClient);

const config = readPostConfirmationConfig({
  TABLE_NAME: "cdr-test-users",
  FALLBACK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/cdr-test-fallback",
  RECORD_TTL_DAYS: "30",
});
const meta = { $metadata: {} };
let metrics = recordingMetrics();

function handler(budgets?: { tableMs: number; queueMs: number }) {
  return makeHandler({
    ddb: new DynamoDBClient({ region: "us-east-1" }),
    sqs: new SQSClient({ region: "us-east-1" }),
    config,
    logger: testLogger(),
    metrics,
    now: fixedClock(),
    newId: sequentialIds(),
    budgets,
  });
}

const expectedItem = {
  schemaVersion: { N: "1" },
  canonicalId: { S: "6a7b8c9d-0000-4000-8000-000000000001" },
  username: { S: "6a7b8c9d-0000-4000-8000-000000000001" },
  attributes: { M: { email: { S: "alice@example.com" }, email_verified: { S: "true" }, name: { S: "Alice Example" } } },
  enabled: { BOOL: true },
  groups: { L: [] },
  originRegion: { S: "us-east-1" },
  originPoolId: { S: PRIMARY_POOL_ID },
  version: { N: String(FIXED_NOW) },
  confirmedAt: { N: String(FIXED_NOW) },
  expiresAt: { N: String(FIXED_NOW / 1000 + 30 * 86_400) },
};

beforeEach(() => {
  ddbMock.reset();
  sqsMock.reset();
  metrics = recordingMetrics();
});

describe("post-confirmation", () => {
  it("writes the record with a never-overwrite-newer condition and returns the event unchanged", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const event = postConfirmationEvent();
    const snapshot = structuredClone(event);
    await expect(handler()(event)).resolves.toBe(event);
    expect(event).toEqual(snapshot);
    expect(ddbMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ddbMock.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: "cdr-test-users",
      Item: expectedItem,
      ConditionExpression: "attribute_not_exists(#key) OR #version < :version",
      ExpressionAttributeNames: { "#key": "canonicalId", "#version": "version" },
      ExpressionAttributeValues: { ":version": { N: String(FIXED_NOW) } },
    });
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
    expect(metrics.total("Written")).toBe(1);
    expect(metrics.published).toBe(1);
  });

  it("only replicated attributes are staged (no sub, cognito:*, unlisted customs)", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const event = postConfirmationEvent({
      userAttributes: { sub: "s-1", email: "bob@example.com", phone_number: "+14155550100", "cognito:user_status": "CONFIRMED", "custom:x": "1" },
    });
    await handler()(event);
    const item = ddbMock.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    expect(item.attributes).toEqual({ M: { email: { S: "bob@example.com" }, phone_number: { S: "+14155550100" } } });
  });

  it("an already-newer version in the table is fine (no fallback)", async () => {
    ddbMock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "cond", ...meta }));
    await handler()(postConfirmationEvent());
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
    expect(metrics.total("Written")).toBe(1);
  });

  it("ignores ConfirmForgotPassword without any write", async () => {
    const event = postConfirmationEvent({ triggerSource: "PostConfirmation_ConfirmForgotPassword" });
    await expect(handler()(event)).resolves.toBe(event);
    expect(ddbMock.calls()).toHaveLength(0);
    expect(sqsMock.calls()).toHaveLength(0);
    expect(guard.lines.some((l) => l.includes("not a sign-up confirmation"))).toBe(true);
  });

  it("falls back to the queue when the table write fails", async () => {
    ddbMock.on(PutItemCommand).rejects(new InternalServerError({ message: "boom", ...meta }));
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "m1" });
    const event = postConfirmationEvent();
    await expect(handler()(event)).resolves.toBe(event);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: config.fallbackQueueUrl });
    const body = JSON.parse(sqsMock.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody!);
    expect(body).toMatchObject({ canonicalId: "6a7b8c9d-0000-4000-8000-000000000001", version: FIXED_NOW, schemaVersion: 1 });
    expect(metrics.total("FallbackQueued")).toBe(1);
    expect(metrics.total("Lost")).toBe(0);
  });

  it("falls back when the table does not answer within its budget", async () => {
    ddbMock.on(PutItemCommand).callsFake(() => new Promise(() => undefined));
    sqsMock.on(SendMessageCommand).resolves({});
    await handler({ tableMs: 10, queueMs: 10 })(postConfirmationEvent());
    expect(metrics.total("FallbackQueued")).toBe(1);
  });

  it("both writes failing: Lost, an error with a correlation id, and still the event", async () => {
    ddbMock.on(PutItemCommand).rejects(new InternalServerError({ message: "boom", ...meta }));
    sqsMock.on(SendMessageCommand).callsFake(() => new Promise(() => undefined));
    const event = postConfirmationEvent();
    const before = guard.lines.length;
    await expect(handler({ tableMs: 10, queueMs: 10 })(event)).resolves.toBe(event);
    expect(metrics.total("Lost")).toBe(1);
    const lost = logLines(guard.lines, before).find((l) => l.level === "ERROR");
    expect(lost).toMatchObject({ correlationId: "corr-1", reason: "TRANSIENT" });
    expect(JSON.stringify(lost)).not.toContain("6a7b8c9d");
  });

  it("an event it cannot turn into a record is counted Failed and still returned", async () => {
    const event = postConfirmationEvent({ userAttributes: { email: "x@example.com" } }); // no sub
    await expect(handler()(event)).resolves.toBe(event);
    expect(ddbMock.calls()).toHaveLength(0);
    expect(metrics.total("Failed")).toBe(1);
  });

  it("stages the user of Cognito's documented event, keyed by its sub, and returns the event unchanged", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const event = aws.postConfirmationEvent();
    const snapshot = structuredClone(event);
    await expect(handler()(event)).resolves.toBe(event);
    expect(event).toEqual(snapshot);
    const item = ddbMock.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;
    expect(item.canonicalId).toEqual({ S: snapshot.request.userAttributes.sub });
    expect(item.originRegion).toEqual({ S: snapshot.region });
    expect(item.originPoolId).toEqual({ S: snapshot.userPoolId });
    expect(metrics.total("Written")).toBe(1);
    // Cognito's own fields (cognito:user_status) are not replicated.
    expect(JSON.stringify(item)).not.toContain("cognito:user_status");
  });

  it("stages nothing for the documented event of a password reset", async () => {
    const event = { ...aws.postConfirmationEvent(), triggerSource: "PostConfirmation_ConfirmForgotPassword" as const };
    await expect(handler()(event)).resolves.toBe(event);
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});

// What on-call reads in CloudWatch Logs: one line per step with its level, and the ids and reason
// that let them find the user and act (never the email or phone number: the PII guard checks that).
describe("post-confirmation log lines", () => {
  const SUB = "6a7b8c9d-0000-4000-8000-000000000001";
  const pick = (lines: { level: string; message: string }[]) => lines.map(({ level, message }) => `${level} ${message}`);

  it("staged: INFO with the correlation id, the canonical id and the outcome", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const logs = logsFrom(guard);
    await handler()(postConfirmationEvent());
    expect(pick(logs.read())).toEqual(["INFO user staged for replication"]);
    expect(logs.read()[0]).toMatchObject({ correlationId: "corr-1", canonicalId: SUB, outcome: "written" });
  });

  it("queued: WARN naming the table's failure, then INFO with the canonical id", async () => {
    ddbMock.on(PutItemCommand).rejects(new InternalServerError({ message: "boom", ...meta }));
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "m1" });
    const logs = logsFrom(guard);
    await handler()(postConfirmationEvent());
    expect(pick(logs.read())).toEqual(["WARN table write failed; using the fallback queue", "INFO user queued for a later table write"]);
    expect(logs.read()[0]).toMatchObject({ correlationId: "corr-1", reason: "TRANSIENT", error: expect.stringMatching(/.+/) });
    expect(logs.read()[1]).toMatchObject({ correlationId: "corr-1", canonicalId: SUB });
  });

  it("lost: WARN, then ERROR with the queue's reason", async () => {
    ddbMock.on(PutItemCommand).rejects(new InternalServerError({ message: "boom", ...meta }));
    sqsMock.on(SendMessageCommand).rejects(new Error("queue down"));
    const logs = logsFrom(guard);
    await handler()(postConfirmationEvent());
    expect(pick(logs.read())).toEqual(["WARN table write failed; using the fallback queue", "ERROR user not staged: table and fallback queue both failed"]);
    expect(logs.read()[1]).toMatchObject({ correlationId: "corr-1", reason: "TRANSIENT", error: expect.stringMatching(/.+/) });
  });

  it("not a sign-up: DEBUG with the trigger source; unusable event: ERROR with the reason", async () => {
    let logs = logsFrom(guard);
    await handler()(postConfirmationEvent({ triggerSource: "PostConfirmation_ConfirmForgotPassword" }));
    expect(logs.read()).toEqual([expect.objectContaining({ level: "DEBUG", message: "not a sign-up confirmation; nothing to replicate", correlationId: "corr-1", triggerSource: "PostConfirmation_ConfirmForgotPassword" })]);
    logs = logsFrom(guard);
    await handler()(postConfirmationEvent({ userAttributes: { email: "x@example.com" } }));
    expect(logs.read()).toEqual([expect.objectContaining({ level: "ERROR", message: "cannot build a replication record", correlationId: "corr-1", reason: "INVALID_RECORD", error: expect.stringContaining("canonicalId") })]);
  });

  it("a hanging call is cancelled at its budget, not left running", async () => {
    const signals: AbortSignal[] = [];
    const hang = (_cmd: unknown, options?: { abortSignal?: AbortSignal }) => {
      if (options?.abortSignal) signals.push(options.abortSignal);
      return new Promise(() => undefined);
    };
    const h = makeHandler({ ddb: { send: hang } as never, sqs: { send: hang } as never, config, logger: testLogger(), metrics, now: fixedClock(), newId: sequentialIds(), budgets: { tableMs: 5, queueMs: 5 } });
    await h(postConfirmationEvent());
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(metrics.total("Lost")).toBe(1);
  });
});

describe("post-confirmation when its own tools fail", () => {
  it("without an id source, its lines say no-correlation-id", async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const logs = logsFrom(guard);
    const h = makeHandler({ ddb: new DynamoDBClient({ region: "us-east-1" }), sqs: new SQSClient({ region: "us-east-1" }), config, logger: testLogger(), metrics, now: fixedClock(), newId: () => { throw new Error("no entropy"); } });
    await h(postConfirmationEvent());
    expect(logs.read()).toEqual([expect.objectContaining({ message: "user staged for replication", correlationId: "no-correlation-id" })]);
  });
});
