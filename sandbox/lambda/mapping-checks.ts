// What Lambda checks when an event source mapping is created: that the source exists, and that
// the function's execution role may read it.

import { AwsCallError, awsJson, parseArn } from "../aws";
import type { Authority } from "../types";
import type { MappingConfig } from "./esm";
import type { FnEntry } from "./functions";

/** Refuses a mapping whose stream or queue does not exist (asked of moto directly). */
export async function validateSource(motoEndpoint: string, m: MappingConfig): Promise<void> {
  const a = parseArn(m.EventSourceArn);
  try {
    if (m.kind === "dynamodb") {
      await awsJson({ endpoint: motoEndpoint, region: a.region, service: "streams", operation: "DescribeStream", body: { StreamArn: m.EventSourceArn }, timeoutMs: 10_000 });
    } else {
      await awsJson({ endpoint: motoEndpoint, region: a.region, service: "sqs", operation: "GetQueueUrl", body: { QueueName: a.resource, QueueOwnerAWSAccountId: a.account }, timeoutMs: 10_000 });
    }
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (/NotFound|NonExistent|DoesNotExist/i.test(code) || /not found|does not exist/i.test((e as Error).message)) {
      throw new AwsCallError("InvalidParameterValueException", `Cannot access event source ${m.EventSourceArn}: it does not exist`, 400);
    }
    // Anything else (e.g. moto unreachable) is not the caller's fault: accept the mapping.
  }
}

/**
 * Lambda checks the execution role when a mapping is created, and answers with these messages
 * (Lambda guide, "Execution role permissions" on the DynamoDB and SQS event source pages list
 * the actions; the messages are Lambda's InvalidParameterValueException texts).
 */
export async function validateRole(authority: Authority | undefined, entry: FnEntry | undefined, m: MappingConfig): Promise<void> {
  if (!authority || !entry?.cfg.role) return;
  const role = entry.cfg.role;
  const session = `${entry.cfg.name}.event-source-mapping`;
  const needs: Array<[string, string]> =
    m.kind === "dynamodb"
      ? [["dynamodb:DescribeStream", m.EventSourceArn], ["dynamodb:GetRecords", m.EventSourceArn], ["dynamodb:GetShardIterator", m.EventSourceArn], ["dynamodb:ListStreams", "*"]]
      : [["sqs:ReceiveMessage", m.EventSourceArn], ["sqs:DeleteMessage", m.EventSourceArn], ["sqs:GetQueueAttributes", m.EventSourceArn]];
  for (const [action, resource] of needs) {
    // ListStreams has no resource ("*"): the mapping's region is where it is called.
    const region = { "aws:RequestedRegion": parseArn(m.FunctionArn).region };
    const r = await authority.roleMay(role, session, { action, resource, context: region, ...(m.kind === "sqs" ? { resourcePolicy: "sqs-queue" as const } : {}) });
    if (r.allowed) continue;
    throw new AwsCallError(
      "InvalidParameterValueException",
      m.kind === "dynamodb"
        ? `Cannot access stream ${m.EventSourceArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`
        : `The provided execution role does not have permissions to call ${action.split(":")[1]} on SQS`,
      400,
    );
  }
}
