// The KMS permissions a call implies on the key of an encrypted table, queue or topic: the service
// calls KMS with the caller's own credentials (a forward access session), so the caller's policies
// and the key policy decide, with the context keys AWS sets on such a request.

import { parseArn } from "../aws";
import { keyArnFor, managedKeyService } from "./managed-keys";
import type { PolicyStore } from "./policies";
import type { Check } from "./requests";

/**
 * The request context of a call a service makes to KMS for the caller (IAM User Guide, "AWS global
 * condition context keys" and "Forward access sessions"):
 * - `aws:ViaAWSService` is true: the request is a forward access session, made for the caller.
 * - `aws:CalledVia` / `aws:CalledViaFirst` / `aws:CalledViaLast` name the service that called, but
 *   only for the services the IAM User Guide lists as supporting the key (among them DynamoDB,
 *   CloudFormation, Athena, KMS; not SQS nor SNS): `calledVia` says whether this one is listed.
 * - `kms:ViaService` and `kms:CallerAccount` (KMS developer guide, "AWS KMS condition keys").
 */
export function forwardAccessContext(service: "dynamodb" | "sqs" | "sns" | "s3", region: string, account: string, calledVia: boolean): Record<string, string | string[]> {
  const principal = `${service}.amazonaws.com`;
  return {
    "kms:ViaService": `${service}.${region}.amazonaws.com`,
    "kms:CallerAccount": account,
    "aws:ViaAWSService": "true",
    ...(calledVia ? { "aws:CalledVia": [principal], "aws:CalledViaFirst": principal, "aws:CalledViaLast": principal } : {}),
  };
}

/**
 * A table's customer managed key: the caller's kms:Decrypt through DynamoDB (DynamoDB developer
 * guide, encryption.usagenotes.html: "When you first access an encrypted table, DynamoDB sends a
 * request to AWS KMS to use the KMS key to decrypt the table key", made as "the principal in your
 * AWS account who is accessing the table"). Only Decrypt is the caller's: GenerateDataKey (the
 * table key) is DynamoDB's own, under its grant. DynamoDB is a service that sets aws:CalledVia.
 */
export async function tableKeyChecks(store: PolicyStore, region: string, account: string, table: string, impliedBy: string): Promise<Check[]> {
  const key = await store.tableKey(region, table).catch(() => undefined);
  if (!key) return [];
  const aliases = await store.keyAliases(key).catch(() => [] as string[]);
  return [
    {
      action: "kms:Decrypt",
      resource: key,
      resourcePolicy: "kms-key",
      impliedBy,
      context: {
        ...forwardAccessContext("dynamodb", region, account, true),
        "kms:EncryptionContext:aws:dynamodb:tableName": table,
        "kms:EncryptionContext:aws:dynamodb:subscriberId": account,
        ...(aliases.length ? { "kms:ResourceAliases": aliases } : {}),
      },
    },
  ];
}

/**
 * A queue with SSE-KMS (SQS developer guide, "Key management", sqs-key-management.html): producers
 * need kms:GenerateDataKey and kms:Decrypt on the queue's key, consumers kms:Decrypt.
 */
export function queueKeyChecks(keyArn: string, send: boolean, region: string, account: string, impliedBy: string): Check[] {
  const actions = send ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:Decrypt"];
  return actions.map((action) => ({ action, resource: keyArn, resourcePolicy: "kms-key" as const, impliedBy, context: forwardAccessContext("sqs", region, account, false) }));
}

/**
 * A topic with SSE (SNS developer guide, "Key management", sns-key-management.html, "Allow a user
 * to send messages to a topic with SSE": the publisher needs kms:GenerateDataKey* and kms:Decrypt
 * on the topic's key). SNS calls GenerateDataKey, which the `kms:GenerateDataKey*` grants match.
 * An `alias/aws/sns` key is AWS managed: its fixed policy stands in (managed-keys.ts), and it
 * allows the account's principals through SNS.
 */
export async function topicKeyChecks(store: PolicyStore, topicArn: string, account: string, impliedBy: string): Promise<Check[]> {
  const topic = await store.topic(topicArn).catch(() => undefined);
  if (!topic?.keyRef) return [];
  const { region } = parseArn(topicArn);
  const key = managedKeyService(topic.keyRef) ? keyArnFor(topic.keyRef, region, account) : await store.keyArn(region, topic.keyRef);
  return ["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({ action, resource: key, resourcePolicy: "kms-key" as const, impliedBy, context: forwardAccessContext("sns", region, account, false) }));
}

/**
 * An object written to or read from a bucket whose default encryption is SSE-KMS (S3 User Guide,
 * "Using server-side encryption with AWS KMS keys (SSE-KMS)", "Permissions": "To upload an object
 * encrypted with an AWS KMS key to Amazon S3, you need kms:GenerateDataKey permissions on the key. To
 * download an object encrypted with an AWS KMS key, you need kms:Decrypt permissions"). S3 asks KMS
 * as the caller; the encryption context is the object's ARN, or the bucket's with the S3 Bucket Key
 * ("Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys": "the bucket ARN is used as the
 * encryption context"). Assumed (sandbox/README.md): an object read was written under the bucket's
 * current default key (the objects' own key is not tracked); S3 is not among the services that set
 * aws:CalledVia.
 */
export async function bucketKeyChecks(store: PolicyStore, bucket: string, object: string, write: boolean, region: string, account: string, impliedBy: string): Promise<Check[]> {
  const name = bucket.split(":::")[1] ?? bucket;
  const key = await store.bucketKey(name, region).catch(() => undefined);
  if (!key) return [];
  const context = { ...forwardAccessContext("s3", region, account, false), "kms:EncryptionContext:aws:s3:arn": key.bucketKey ? bucket : object };
  return [{ action: write ? "kms:GenerateDataKey" : "kms:Decrypt", resource: key.keyArn, resourcePolicy: "kms-key" as const, impliedBy, context }];
}
