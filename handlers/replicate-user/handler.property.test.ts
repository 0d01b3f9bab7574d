// Property tests: random batches mixing valid records, malformed and truncated
// images, wrong types, missing email, oversized and unicode values, unknown
// attributes, REMOVEs, local-origin records, duplicates and out-of-order versions,
// with some users throttled. A simple model of the rules predicts, per record,
// applied / skipped / parked(reason) / failed; the handler must agree and never throw.
import { AdminCreateUserCommand, CognitoIdentityProviderClient, TooManyRequestsException } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readReplicatorConfig } from "../shared/env";
import { asImage, DR_POOL_ID, DR_REGION, streamEvent, streamRecord, userRecord } from "../../test/support/events";
import { fixedClock, recordingMetrics, testLogger } from "../../test/support/fakes";
import { installPiiGuard } from "../../test/support/pii-guard";
import { makeHandler } from "./handler";

installPiiGuard();
const cognito = mockClient(CognitoIdentityProviderClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBClient);

const USERS = ["u0", "u1", "u2", "u3"] as const;
const emailOf = (u: string) => `${u}@example.com`;

type Kind =
  | { t: "valid"; u: string; v: number; name: string }
  | { t: "remove"; u: string }
  | { t: "local"; u: string; v: number }
  | { t: "truncated"; u: string; drop: string[] }
  | { t: "wrongType"; u: string; value: AttributeValue }
  | { t: "oversized"; u: string; length: number }
  | { t: "missingEmail"; u: string; v: number }
  | { t: "unknownAttr"; u: string; v: number; attr: string }
  | { t: "garbage"; image: Record<string, AttributeValue> | undefined };

const user: fc.Arbitrary<string> = fc.constantFrom<string>(...USERS);
const version = fc.integer({ min: 1, max: 6 });
const FIELDS = ["schemaVersion", "canonicalId", "username", "attributes", "enabled", "groups", "originRegion", "originPoolId", "version", "confirmedAt", "expiresAt"];

const kind: fc.Arbitrary<Kind> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("valid" as const), u: user, v: version, name: fc.string({ unit: "grapheme", maxLength: 40 }) }) },
  fc.record({ t: fc.constant("remove" as const), u: user }),
  fc.record({ t: fc.constant("local" as const), u: user, v: version }),
  fc.record({ t: fc.constant("truncated" as const), u: user, drop: fc.subarray(FIELDS, { minLength: 1 }) }),
  fc.record({
    t: fc.constant("wrongType" as const),
    u: user,
    value: fc.constantFrom<AttributeValue>({ N: "42" }, { BOOL: true }, { NULL: true }, { L: [] }, { SS: ["a"] }),
  }),
  fc.record({ t: fc.constant("oversized" as const), u: user, length: fc.integer({ min: 2049, max: 4000 }) }),
  fc.record({ t: fc.constant("missingEmail" as const), u: user, v: version }),
  fc.record({ t: fc.constant("unknownAttr" as const), u: user, v: version, attr: fc.constantFrom("nickname", "custom:unlisted", "website") }),
  fc.record({
    t: fc.constant("garbage" as const),
    image: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.constantFrom<AttributeValue>({ S: "x" }, { N: "nan" }, { B: "AA==" }, { M: {} }), { maxKeys: 4 }), {
      nil: undefined,
    }),
  }),
);

function base(u: string, v: number, name = "N") {
  return userRecord({ canonicalId: u, username: u, version: v, confirmedAt: 1, attributes: { email: emailOf(u), name, "custom:tier": String(v) } });
}

function toStream(k: Kind, seq: string): DynamoDBRecord {
  const o = { sequenceNumber: seq, eventID: `ev-${seq}` };
  switch (k.t) {
    case "valid":
      return streamRecord(base(k.u, k.v, k.name), o);
    case "remove":
      return streamRecord(base(k.u, 1), { ...o, eventName: "REMOVE" });
    case "local":
      return streamRecord({ ...base(k.u, k.v), originRegion: DR_REGION }, o);
    case "truncated": {
      const image = asImage(base(k.u, 1));
      for (const f of k.drop) delete image[f];
      return streamRecord(undefined, { ...o, newImage: image, keys: { canonicalId: { S: k.u } } });
    }
    case "wrongType": {
      const image = asImage(base(k.u, 1));
      image.attributes = { M: { email: k.value } };
      return streamRecord(undefined, { ...o, newImage: image, keys: { canonicalId: { S: k.u } } });
    }
    case "oversized":
      return streamRecord({ ...base(k.u, 1), attributes: { email: emailOf(k.u), name: "é".repeat(k.length) } }, o);
    case "missingEmail":
      return streamRecord({ ...base(k.u, k.v), attributes: { name: "no email" } }, o);
    case "unknownAttr":
      return streamRecord({ ...base(k.u, k.v), attributes: { email: emailOf(k.u), [k.attr]: "x" } }, o);
    case "garbage":
      return streamRecord(undefined, { ...o, newImage: k.image ?? null, keys: null });
  }
}

type Outcome = "applied" | "skipped" | "failed" | `parked:${string}`;

/** The rules, restated: order per user, blocking after a failure, stale skip, parking. */
function model(kinds: Kind[], throttled: Set<string>): { outcomes: Outcome[]; appliedVersions: Map<string, number[]> } {
  const last = new Map<string, number>();
  const blocked = new Set<string>();
  const appliedVersions = new Map<string, number[]>();
  const outcomes = kinds.map((k): Outcome => {
    if (k.t === "garbage") return "parked:INVALID_RECORD";
    if (blocked.has(k.u)) return "failed";
    if (k.t === "remove") return "skipped";
    if (k.t === "truncated" || k.t === "wrongType" || k.t === "oversized") return "parked:INVALID_RECORD";
    if (k.t === "local") return "skipped";
    if ((last.get(k.u) ?? 0) >= k.v) return "skipped";
    if (k.t === "missingEmail") return "parked:MISSING_REQUIRED_ATTRIBUTE";
    if (k.t === "unknownAttr") return "parked:ATTRIBUTE_REJECTED";
    if (throttled.has(k.u)) {
      blocked.add(k.u);
      return "failed";
    }
    last.set(k.u, k.v);
    appliedVersions.set(k.u, [...(appliedVersions.get(k.u) ?? []), k.v]);
    return "applied";
  });
  return { outcomes, appliedVersions };
}

describe("replicate-user under arbitrary batches", () => {
  it("reports exactly the right failures and parks, and applies everything else in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kind, { minLength: 1, maxLength: 20 }), fc.subarray<string>([...USERS]), fc.integer({ min: 1, max: 4 }), async (kinds, throttledList, concurrency) => {
        cognito.reset();
        sqs.reset();
        const throttled = new Set(throttledList);
        cognito.on(AdminCreateUserCommand).callsFake(async (input: { Username: string }) => {
          await new Promise((r) => setTimeout(r, 0));
          if (throttled.has(input.Username.split("@")[0])) throw new TooManyRequestsException({ message: "slow", $metadata: {} });
          return { User: { Username: input.Username } };
        });
        sqs.on(SendMessageCommand).resolves({ MessageId: "p" });
        ddb.reset();
        ddb.on(GetItemCommand).resolves({});
        ddb.on(PutItemCommand).resolves({});
        const metrics = recordingMetrics();
        const handler = makeHandler({
          cognito: new CognitoIdentityProviderClient({ region: DR_REGION }),
          sqs: new SQSClient({ region: DR_REGION }),
          ddb: new DynamoDBClient({ region: DR_REGION }),
          config: readReplicatorConfig({
            AWS_REGION: DR_REGION,
            TABLE_NAME: "cdr-test-users",
            TARGET_USER_POOL_ID: DR_POOL_ID,
            PARK_QUEUE_URL: "https://sqs.example/park",
            REPLICATED_CUSTOM_ATTRIBUTES: "tier",
            MAX_CONCURRENCY: String(concurrency),
          }),
          logger: testLogger(),
          metrics,
          now: fixedClock(),
        });
        const seqs = kinds.map((_, i) => String(1000 + i).padStart(21, "0"));
        const out = await handler(streamEvent(...kinds.map((k, i) => toStream(k, seqs[i]))));
        const { outcomes, appliedVersions } = model(kinds, throttled);

        const expectedFailed = seqs.filter((_, i) => outcomes[i] === "failed");
        expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(expectedFailed);

        const parked = sqs.commandCalls(SendMessageCommand).map((c) => {
          const body = JSON.parse(c.args[0].input.MessageBody!);
          expect(c.args[0].input.MessageAttributes?.reason?.StringValue).toBe(body.reason);
          return `${body.sequenceNumber}:${body.reason}`;
        });
        const expectedParked = seqs.flatMap((s, i) => (outcomes[i].startsWith("parked:") ? [`${s}:${outcomes[i].slice(7)}`] : []));
        expect(parked.sort()).toEqual(expectedParked);

        for (const u of USERS) {
          if (throttled.has(u)) continue;
          const created = cognito
            .commandCalls(AdminCreateUserCommand)
            .filter((c) => c.args[0].input.Username === emailOf(u))
            .map((c) => Number(c.args[0].input.UserAttributes!.find((a) => a.Name === "custom:tier")!.Value));
          expect(created).toEqual(appliedVersions.get(u) ?? []);
        }
        const n = (o: (x: Outcome) => boolean) => outcomes.filter(o).length;
        expect(metrics.total("Replicated")).toBe(n((o) => o === "applied"));
        expect(metrics.total("Skipped")).toBe(n((o) => o === "skipped"));
        expect(metrics.total("Parked")).toBe(n((o) => o.startsWith("parked")));
        expect(metrics.total("Failed")).toBe(n((o) => o === "failed"));
      }),
      { numRuns: 60 },
    );
  });
});
