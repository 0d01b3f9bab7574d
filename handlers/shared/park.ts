// Parking: a record that can never succeed is moved to the park queue with its
// reason, so the stream moves on and an operator (or the redrive tool, which groups
// by the reason attribute) can fix and replay it.
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { PARK_REASON_ATTRIBUTE } from "../contract";
import type { ReasonCode } from "./errors";

export interface ParkedMessage {
  reason: ReasonCode;
  message: string;
  /** The parsed record, or the raw stream image when it did not parse. */
  record: unknown;
  eventID?: string;
  sequenceNumber?: string;
  /** Epoch ms. */
  parkedAt: number;
}

export function parkCommand(queueUrl: string, parked: ParkedMessage): SendMessageCommand {
  return new SendMessageCommand({
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify(parked),
    MessageAttributes: { [PARK_REASON_ATTRIBUTE]: { DataType: "String", StringValue: parked.reason } },
  });
}

export async function park(sqs: Pick<SQSClient, "send">, queueUrl: string, parked: ParkedMessage): Promise<string | undefined> {
  const out = await sqs.send(parkCommand(queueUrl, parked));
  return out.MessageId;
}
