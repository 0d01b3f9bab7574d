// SQS gaps for terraform: moto returns RedrivePolicy / RedriveAllowPolicy as Python-formatted JSON
// (`{"deadLetterTargetArn": "...", "maxReceiveCount": 5}`, spaces after separators). AWS returns
// compact JSON, and terraform's plan right after apply showed `redrive_policy` changing
// ("whitespace changes"). GetQueueAttributes answers are normalised to compact JSON here.
//
// moto's SetQueueAttributes also clears a queue's Policy whenever the call does not carry one
// (moto 5.2 `Queue._set_attributes`: `self.policy = attributes.get("Policy")`); AWS changes only
// the attributes given (SQS API Reference, SetQueueAttributes). terraform changing a queue's
// visibility timeout dropped the EventBridge rule's permission to send (aws_sqs_queue_policy).
// The current Policy is carried into such a call here (JSON protocol, as SDK v3 and the provider send).

import { motoJson, parseJson, responseWithJson } from "./aws";
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

  constructor(private readonly motoEndpoint?: string) {}

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service === "sqs" && req.operation === "SetQueueAttributes") return next(await this.keepPolicy(req));
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

  private async keepPolicy(req: AwsRequest): Promise<AwsRequest> {
    const json = req.json as { QueueUrl?: string; Attributes?: Record<string, string> } | undefined;
    if (!this.motoEndpoint || !json?.QueueUrl || !json.Attributes || "Policy" in json.Attributes) return req;
    const current = await motoJson<{ Attributes?: Record<string, string> }>(this.motoEndpoint, "sqs", req.region, "GetQueueAttributes", { QueueUrl: json.QueueUrl, AttributeNames: ["Policy"] }).catch(() => undefined);
    const policy = current?.Attributes?.Policy;
    if (!policy) return req;
    const kept = { ...json, Attributes: { ...json.Attributes, Policy: policy } };
    return { ...req, json: kept, body: Buffer.from(JSON.stringify(kept)) };
  }
}
