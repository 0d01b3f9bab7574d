// SQS gaps for terraform: moto returns RedrivePolicy / RedriveAllowPolicy as Python-formatted JSON
// (`{"deadLetterTargetArn": "...", "maxReceiveCount": 5}`, spaces after separators). AWS returns
// compact JSON, and terraform's plan right after apply showed `redrive_policy` changing
// ("whitespace changes"). GetQueueAttributes answers are normalised to compact JSON here.

import { parseJson, responseWithJson } from "./aws";
import type { SandboxPlugin } from "./gateway";
import type { AwsRequest, AwsResponse, Next } from "./types";

const JSON_ATTRIBUTES = ["RedrivePolicy", "RedriveAllowPolicy"];

export function compactJson(value: string): string {
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    if (parsed && typeof parsed === "object" && typeof parsed.maxReceiveCount === "string" && /^\d+$/.test(parsed.maxReceiveCount)) {
      parsed.maxReceiveCount = Number(parsed.maxReceiveCount);
    }
    return JSON.stringify(parsed);
  } catch {
    return value;
  }
}

export class SqsPlugin implements SandboxPlugin {
  readonly name = "sqs";

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "sqs" || req.operation !== "GetQueueAttributes") return next(req);
    const res = await next(req);
    if (res.status >= 300) return res;
    const json = parseJson(res) as { Attributes?: Record<string, string> } | undefined;
    const attrs = json?.Attributes;
    if (!attrs) return res;
    let changed = false;
    for (const k of JSON_ATTRIBUTES) {
      const v = attrs[k];
      if (typeof v !== "string") continue;
      const c = compactJson(v);
      if (c !== v) {
        attrs[k] = c;
        changed = true;
      }
    }
    return changed ? responseWithJson(res, json) : res;
  }
}
