// Whatever Cognito sends (odd attributes, huge or unicode values, missing sub,
// other trigger sources) and whatever the table and queue do, the trigger returns
// the event unchanged and never throws: a failure here would fail the user's sign-up.
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { PostConfirmationTriggerEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { expect, it } from "vitest";
import { readPostConfirmationConfig } from "../shared/env";
import { postConfirmationEvent } from "../../test/support/events";
import { fixedClock, recordingMetrics, sequentialIds, testLogger } from "../../test/support/fakes";
import { installPiiGuard } from "../../test/support/pii-guard";
import { makeHandler } from "./handler";

installPiiGuard();
const ddbMock = mockClient(DynamoDBClient);
const sqsMock = mockClient(SQSClient);
const config = readPostConfirmationConfig({ TABLE_NAME: "t", FALLBACK_QUEUE_URL: "https://sqs.example/fallback" });

const behaviour = fc.constantFrom("ok", "fail", "hang");
const attrs = fc.dictionary(
  fc.oneof(fc.constantFrom("sub", "email", "phone_number", "name", "custom:x", "cognito:user_status"), fc.string()),
  fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ minLength: 2045, maxLength: 2100 }), fc.constant("+14155550100"), fc.constant("carol@example.com")),
);

it("always returns the event unchanged, whatever happens", async () => {
  await fc.assert(
    fc.asyncProperty(
      attrs,
      fc.constantFrom<PostConfirmationTriggerEvent["triggerSource"]>("PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword"),
      behaviour,
      behaviour,
      async (userAttributes, triggerSource, table, queue) => {
        ddbMock.reset();
        sqsMock.reset();
        const act = (b: string) => () => (b === "ok" ? Promise.resolve({}) : b === "fail" ? Promise.reject(new Error("down")) : new Promise(() => undefined));
        ddbMock.on(PutItemCommand).callsFake(act(table));
        sqsMock.on(SendMessageCommand).callsFake(act(queue));
        const metrics = recordingMetrics();
        const handler = makeHandler({
          ddb: new DynamoDBClient({ region: "us-east-1" }),
          sqs: new SQSClient({ region: "us-east-1" }),
          config,
          logger: testLogger(),
          metrics,
          now: fixedClock(),
          newId: sequentialIds(),
          budgets: { tableMs: 2, queueMs: 2 },
        });
        const event = postConfirmationEvent({ userAttributes, triggerSource });
        const snapshot = structuredClone(event);
        await expect(handler(event)).resolves.toBe(event);
        expect(event).toEqual(snapshot);
        // Every confirmation ends in exactly one outcome.
        const outcomes = ["Written", "FallbackQueued", "Lost", "Failed"].map((m) => metrics.total(m));
        expect(outcomes.reduce((a, b) => a + b, 0)).toBe(triggerSource === "PostConfirmation_ConfirmSignUp" ? 1 : 0);
      },
    ),
    { numRuns: 60 },
  );
});

/** `target` whose methods throw whenever `fails()` says so (a broken logger, metrics sink or id source). */
function flaky<T extends object>(target: T, fails: () => boolean): T {
  return new Proxy(target, {
    get(t, p, r) {
      const v = Reflect.get(t, p, r);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (fails()) throw new Error(`observability down in ${String(p)}`);
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

it("a logger, metrics sink or id source that throws never fails the sign-up nor skips staging", async () => {
  await fc.assert(
    fc.asyncProperty(fc.infiniteStream(fc.boolean()), fc.boolean(), fc.constantFrom("ok", "fail"), fc.constantFrom("ok", "fail"), async (coins, idThrows, table, queue) => {
      ddbMock.reset();
      sqsMock.reset();
      ddbMock.on(PutItemCommand).callsFake(() => (table === "ok" ? Promise.resolve({}) : Promise.reject(new Error("down"))));
      sqsMock.on(SendMessageCommand).callsFake(() => (queue === "ok" ? Promise.resolve({}) : Promise.reject(new Error("down"))));
      const toss = coins[Symbol.iterator]();
      const fails = () => toss.next().value === true;
      const handler = makeHandler({
        ddb: new DynamoDBClient({ region: "us-east-1" }),
        sqs: new SQSClient({ region: "us-east-1" }),
        config,
        logger: flaky(testLogger(), fails),
        metrics: flaky(recordingMetrics(), fails),
        now: fixedClock(),
        newId: () => {
          if (idThrows) throw new Error("no entropy");
          return "corr-1";
        },
        budgets: { tableMs: 50, queueMs: 50 },
      });
      const event = postConfirmationEvent();
      const snapshot = structuredClone(event);
      await expect(handler(event, { awsRequestId: "req-1" } as never)).resolves.toBe(event);
      expect(event).toEqual(snapshot);
      // Observability failing must not change what is staged: the table once, the queue only after a table failure.
      expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(1);
      expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(table === "ok" ? 0 : 1);
    }),
    { numRuns: 80 },
  );
});
