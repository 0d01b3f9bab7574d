// Event and response shapes taken from AWS's documentation, one JSON file each with the page it
// comes from ("source") and what was changed or assembled ("notes"). Handler tests and the
// sandbox's tests both use them, so the emulator is held to AWS's shapes instead of its own.
// Every accessor returns a fresh copy.
import type { AttributeValue, DynamoDBRecord, PostConfirmationTriggerEvent, PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import cloudTrailAdminCallJson from "./cloudtrail-cognito-admin-call.json";
import cloudTrailConfirmPost from "./cloudtrail-cognito-confirm-post.json";
import cloudTrailSignupPost from "./cloudtrail-cognito-signup-post.json";
import cognitoErrors from "./cognito-errors.json";
import passwordlessCreate from "./cognito-passwordless-create.json";
import streamEvent from "./dynamodb-stream-event.json";
import streamRemove from "./dynamodb-stream-remove.json";
import eventBridgeEvent from "./eventbridge-event.json";
import ttlIdentity from "./dynamodb-stream-ttl-identity.json";
import postConfirmation from "./post-confirmation-event.json";
import preTokenV2 from "./pre-token-v2-event.json";

interface Fixture<T> {
  source: string | string[];
  title: string;
  notes?: string;
  value: T;
}

const copy = <T>(f: Fixture<unknown>): T => structuredClone(f.value) as T;

/** Every fixture, by file name: the README's table and the citation test read this. */
export const ALL: Record<string, Fixture<unknown>> = {
  "cloudtrail-cognito-admin-call.json": cloudTrailAdminCallJson,
  "cloudtrail-cognito-confirm-post.json": cloudTrailConfirmPost,
  "cloudtrail-cognito-signup-post.json": cloudTrailSignupPost,
  "cognito-errors.json": cognitoErrors,
  "cognito-passwordless-create.json": passwordlessCreate,
  "dynamodb-stream-event.json": streamEvent,
  "dynamodb-stream-remove.json": streamRemove,
  "dynamodb-stream-ttl-identity.json": ttlIdentity,
  "eventbridge-event.json": eventBridgeEvent,
  "post-confirmation-event.json": postConfirmation,
  "pre-token-v2-event.json": preTokenV2,
};

export const postConfirmationEvent = (): PostConfirmationTriggerEvent => copy(postConfirmation);
/** As published: `preferredRole` is an array and the response an empty array, unlike the schema. */
export const preTokenV2Event = (): PreTokenGenerationV2TriggerEvent => copy(preTokenV2);

export type StreamKind = "INSERT" | "MODIFY" | "REMOVE" | "TTL_REMOVE";

/** The documented record for `kind` (its own item: `Id` / `Message`). */
export function streamRecord(kind: StreamKind): DynamoDBRecord {
  const [insert, modify] = copy<{ Records: DynamoDBRecord[] }>(streamEvent).Records;
  if (kind === "INSERT") return insert;
  if (kind === "MODIFY") return modify;
  const remove = copy<DynamoDBRecord>(streamRemove);
  return kind === "TTL_REMOVE" ? { ...remove, userIdentity: copy(ttlIdentity) } : remove;
}

/** A documented record of `kind` carrying our item: AWS's envelope, our keys and images. */
export function streamRecordOf(kind: StreamKind, item: { keys: Record<string, AttributeValue>; newImage?: Record<string, AttributeValue>; oldImage?: Record<string, AttributeValue> }): DynamoDBRecord {
  const r = streamRecord(kind);
  const { Keys: _keys, NewImage: _new, OldImage: _old, ...rest } = r.dynamodb!;
  r.dynamodb = { ...rest, Keys: item.keys };
  if (kind === "INSERT" || kind === "MODIFY") r.dynamodb.NewImage = item.newImage;
  if (kind !== "INSERT") r.dynamodb.OldImage = item.oldImage;
  return r;
}

/** `{ type, principalId }` of a record written by TTL. */
export const ttlUserIdentity = (): { type: string; principalId: string } => copy(ttlIdentity);

export type CognitoErrorName = keyof typeof cognitoErrors.value;
/** A Cognito error as it is on the wire (AWS JSON 1.1): HTTP status and `{ __type, message }` body. */
export const cognitoError = (name: CognitoErrorName): { status: number; body: { __type: string; message: string } } => structuredClone(cognitoErrors.value[name]);

/** AdminCreateUser's response for a user created without a password in a passwordless pool. */
export const passwordlessCreateResponse = (): typeof passwordlessCreate.value => copy(passwordlessCreate);

export const cloudTrailManagedLoginSignup = (): typeof cloudTrailSignupPost.value => copy(cloudTrailSignupPost);

/** Managed login's confirmation (Confirm_POST), as published: the sub in additionalEventData.requestParameters.sub. */
export const cloudTrailManagedLoginConfirm = (): typeof cloudTrailConfirmPost.value => copy(cloudTrailConfirmPost);

/** A user-pools API call (AdminDisableUser) by an assumed role, assembled from the documented parts (see its notes). */
export const cloudTrailAdminCall = (): CloudTrailRecord => copy(cloudTrailAdminCallJson);

/** A CloudTrail record, loosely: tests change and remove fields to make the shapes the parser must survive. */
export type CloudTrailRecord = Record<string, unknown> & { eventName: string; userIdentity: Record<string, unknown> };

/** What Cognito writes in CloudTrail in place of a private value. */
export const HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";

/**
 * A redacted variant of a documented record: each dotted path (e.g. `additionalEventData.sub`)
 * set to HIDDEN, as Cognito obscures private fields; parents are created where missing.
 */
export function withHidden<T>(record: T, ...paths: string[]): T {
  const out = structuredClone(record) as Record<string, unknown>;
  for (const path of paths) {
    const keys = path.split(".");
    let node = out;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    const last = keys.at(-1)!;
    node[last] = Array.isArray(node[last]) ? [HIDDEN] : HIDDEN;
  }
  return out as T;
}

/** The documented EventBridge envelope around a CloudTrail record of Cognito user pools, as an SQS target receives it. */
export function eventBridgeCloudTrailEvent(detail: unknown): Record<string, unknown> {
  const envelope = copy<Record<string, unknown>>(eventBridgeEvent);
  const record = detail as { eventTime?: string; awsRegion?: string; recipientAccountId?: string };
  return {
    ...envelope,
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.cognito-idp",
    account: record.recipientAccountId ?? envelope.account,
    time: record.eventTime ?? envelope.time,
    region: record.awsRegion ?? envelope.region,
    resources: [],
    detail,
  };
}

/**
 * DynamoDB Developer Guide, "Change data capture for DynamoDB Streams"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html): "If you perform a
 * PutItem or UpdateItem operation that does not change any data in an item, DynamoDB Streams does
 * not write a stream record for that operation."
 */
export const NO_RECORD_FOR_UNCHANGED_WRITE = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html";
