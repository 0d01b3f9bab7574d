// Turns the `${type.name.attr}` references cdktf writes into sample values of the right shape
// (an ARN of the referenced resource's type, an account id), so the static rules can check a
// policy's Resource against AWS's resource types before anything exists. A reference the table
// does not know is an error, not a guess.

import type { TfJson } from "./synth";

export const SAMPLE_ACCOUNT = "123456789012";

type Block = Record<string, unknown>;

/** The region a resource or data source is created in: its provider alias, else the stack's default provider. */
export function regionOf(stack: TfJson, block: Block): string {
  const alias = typeof block.provider === "string" ? block.provider.replace(/^aws\./, "") : undefined;
  const p = stack.provider.aws.find((x) => (alias ? x.alias === alias : x.alias === undefined));
  return String(p?.region ?? "us-east-1");
}

function lookup(stack: TfJson, kind: "resource" | "data", type: string, name: string): Block | undefined {
  return (kind === "resource" ? stack.resource : stack.data ?? {})[type]?.[name];
}

function sample(stack: TfJson, kind: "resource" | "data", type: string, name: string, attr: string): string | undefined {
  if (kind === "data" && type === "aws_caller_identity" && attr === "account_id") return SAMPLE_ACCOUNT;
  if (kind === "data" && type === "aws_partition" && attr === "partition") return "aws";
  const block = lookup(stack, kind, type, name);
  if (!block) return undefined;
  const region = regionOf(stack, block);
  const n = (field = "name") => resolveRefs(stack, String(block[field] ?? name));
  const arn = (service: string, resource: string, r = region) => `arn:aws:${service}:${r}:${SAMPLE_ACCOUNT}:${resource}`;
  switch (`${kind === "data" ? "data." : ""}${type}.${attr}`) {
    case "aws_dynamodb_table.arn":
    case "data.aws_dynamodb_table.arn":
      return arn("dynamodb", `table/${n()}`);
    case "aws_dynamodb_table.stream_arn":
    case "data.aws_dynamodb_table.stream_arn":
      return arn("dynamodb", `table/${n()}/stream/2026-01-01T00:00:00.000`);
    case "aws_kms_key.arn":
    case "aws_kms_replica_key.arn":
    case "data.aws_kms_alias.target_key_arn":
      return arn("kms", `key/mrk-${name.toLowerCase().replace(/[^a-z0-9]/g, "")}`);
    case "aws_sqs_queue.arn":
      return arn("sqs", n());
    case "aws_sns_topic.arn":
      return arn("sns", n());
    case "aws_cognito_user_pool.arn":
      return arn("cognito-idp", `userpool/${region}_sample`);
    case "aws_cloudwatch_log_group.arn":
      return arn("logs", `log-group:${n()}`);
    case "aws_lambda_function.arn":
      return arn("lambda", `function:${n("function_name")}`);
    case "aws_iam_role.arn":
      return `arn:aws:iam::${SAMPLE_ACCOUNT}:role/${n()}`;
    case "aws_s3_bucket.arn":
      return `arn:aws:s3:::${n("bucket")}`;
    case "aws_s3_bucket.bucket":
    case "aws_s3_bucket.id":
      return n("bucket");
    case "aws_cloudwatch_metric_alarm.arn":
      return arn("cloudwatch", `alarm:${n("alarm_name")}`);
    default:
      return undefined;
  }
}

export class UnresolvedReference extends Error {}

const REF = /\$\{(data\.)?([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g;

/** `value` with every reference replaced by a sample; throws UnresolvedReference for one it cannot. */
export function resolveRefs(stack: TfJson, value: string): string {
  return value.replace(REF, (whole, data: string | undefined, type: string, name: string, attr: string) => {
    const v = sample(stack, data ? "data" : "resource", type, name, attr);
    if (v === undefined) throw new UnresolvedReference(`cannot resolve ${whole} (add its shape to test/stacks/refs.ts)`);
    return v;
  });
}
