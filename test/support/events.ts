// Builders for the events the handlers receive, shared by unit, property and
// sandbox tests. Every builder takes overrides; defaults are a plausible user.
import type { AttributeValue as StreamAttributeValue, DynamoDBRecord, DynamoDBStreamEvent, PostConfirmationTriggerEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { toItem, type ReplicatedUser } from "../../handlers/replication/record";

export const PRIMARY_REGION = "us-east-1";
export const DR_REGION = "us-west-2";
export const PRIMARY_POOL_ID = "us-east-1_Primary1";
export const DR_POOL_ID = "us-west-2_DrPool01";
export const FIXED_NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

export interface PostConfirmationOptions {
  sub?: string;
  userName?: string;
  email?: string;
  triggerSource?: PostConfirmationTriggerEvent["triggerSource"];
  userAttributes?: Record<string, string>;
  region?: string;
  userPoolId?: string;
}

export function postConfirmationEvent(o: PostConfirmationOptions = {}): PostConfirmationTriggerEvent {
  const sub = o.sub ?? "6a7b8c9d-0000-4000-8000-000000000001";
  return {
    version: "1",
    region: o.region ?? PRIMARY_REGION,
    userPoolId: o.userPoolId ?? PRIMARY_POOL_ID,
    userName: o.userName ?? sub,
    callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: "client123" },
    triggerSource: o.triggerSource ?? "PostConfirmation_ConfirmSignUp",
    request: {
      userAttributes: o.userAttributes ?? {
        sub,
        email: o.email ?? "alice@example.com",
        email_verified: "true",
        "cognito:user_status": "CONFIRMED",
        "cognito:email_alias": o.email ?? "alice@example.com",
        name: "Alice Example",
      },
    },
    response: {},
  };
}

export function userRecord(overrides: Partial<ReplicatedUser> = {}): ReplicatedUser {
  return {
    schemaVersion: 1,
    canonicalId: "6a7b8c9d-0000-4000-8000-000000000001",
    username: "6a7b8c9d-0000-4000-8000-000000000001",
    attributes: { email: "alice@example.com", email_verified: "true", name: "Alice Example" },
    enabled: true,
    groups: [],
    originRegion: PRIMARY_REGION,
    originPoolId: PRIMARY_POOL_ID,
    version: FIXED_NOW - 1_500,
    confirmedAt: FIXED_NOW - 1_500,
    expiresAt: Math.floor(FIXED_NOW / 1000) + 30 * 86_400,
    ...overrides,
  };
}

let sequence = 100;

export interface StreamRecordOptions {
  eventName?: "INSERT" | "MODIFY" | "REMOVE";
  newImage?: Record<string, StreamAttributeValue> | null;
  oldImage?: Record<string, StreamAttributeValue>;
  keys?: Record<string, StreamAttributeValue> | null;
  sequenceNumber?: string;
  eventID?: string;
}

export const asImage = (record: ReplicatedUser): Record<string, StreamAttributeValue> => toItem(record) as Record<string, StreamAttributeValue>;

/** A stream record for `record` (an INSERT of its image unless told otherwise). */
export function streamRecord(record: ReplicatedUser | undefined, o: StreamRecordOptions = {}): DynamoDBRecord {
  const seq = o.sequenceNumber ?? String(++sequence).padStart(21, "0");
  const newImage = o.newImage === null ? undefined : (o.newImage ?? (record ? asImage(record) : undefined));
  const keys = o.keys === null ? undefined : (o.keys ?? (record ? { canonicalId: { S: record.canonicalId } } : undefined));
  return {
    eventID: o.eventID ?? `event-${seq}`,
    eventName: o.eventName ?? "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: DR_REGION,
    dynamodb: {
      ApproximateCreationDateTime: FIXED_NOW / 1000,
      Keys: keys,
      NewImage: o.eventName === "REMOVE" ? undefined : newImage,
      OldImage: o.eventName === "REMOVE" ? (o.oldImage ?? (record ? asImage(record) : undefined)) : o.oldImage,
      SequenceNumber: seq,
      SizeBytes: 512,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
    eventSourceARN: `arn:aws:dynamodb:${DR_REGION}:123456789012:table/cdr-test-users/stream/2026-11-21T00:00:00.000`,
  };
}

export const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

let messageCounter = 0;

export function sqsRecord(body: string, messageId = `msg-${++messageCounter}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(FIXED_NOW),
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: String(FIXED_NOW),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${PRIMARY_REGION}:123456789012:cdr-test-fallback`,
    awsRegion: PRIMARY_REGION,
  };
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
