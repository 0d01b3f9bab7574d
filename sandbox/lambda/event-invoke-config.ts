// How Lambda retries a function's asynchronous invocations: the function's event invoke config
// (PutFunctionEventInvokeConfig, kept by moto), else Lambda's defaults. Lambda developer guide,
// "Configuring error handling for asynchronous invocation" (invocation-async-error-handling.html):
// "Maximum retry attempts – The maximum number of times that Lambda retries when the function
// returns an error, between 0 and 2" (default 2); "Maximum age of event – The maximum amount of
// time Lambda retains an event in the asynchronous event queue, up to 6 hours".

import { fakeSigV4, httpCall, parseJsonObject } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import type { FunctionConfig } from "./types";

/**
 * PutFunctionEventInvokeConfig replaces the function's configuration (API reference: "If a
 * configuration already exists for a function, version, or alias, this operation overwrites it").
 * moto 5.2 appends another one and keeps answering the first, so a changed maximum event age or
 * retry count never took effect and terraform planned it again: the old one is deleted first.
 */
export async function putEventInvokeConfig(req: AwsRequest, next: Next): Promise<AwsResponse> {
  await next({ ...req, method: "DELETE", body: Buffer.alloc(0), json: undefined, headers: { ...req.headers, "content-length": "0" } }).catch(() => undefined);
  return next(req);
}

export interface AsyncRetryPolicy {
  retries: number;
  /** Drop the event once it is this old (undefined: Lambda's 6 hours, longer than any sandbox run). */
  maxAgeMs?: number;
}

/** The function's own policy from moto, or `defaults` when it has none (or moto cannot say). */
export async function asyncRetryPolicy(motoEndpoint: string, cfg: Pick<FunctionConfig, "name" | "region">, defaults: AsyncRetryPolicy): Promise<AsyncRetryPolicy> {
  const res = await httpCall(
    motoEndpoint,
    "GET",
    `/2019-09-25/functions/${encodeURIComponent(cfg.name)}/event-invoke-config`,
    { authorization: fakeSigV4({ region: cfg.region, service: "lambda" }) },
    Buffer.alloc(0),
    { timeoutMs: 5_000 },
  ).catch(() => undefined);
  const config = res && res.status < 300 ? parseJsonObject(res) : undefined;
  if (!config) return defaults;
  const retries = typeof config.MaximumRetryAttempts === "number" ? config.MaximumRetryAttempts : defaults.retries;
  const maxAgeMs = typeof config.MaximumEventAgeInSeconds === "number" ? config.MaximumEventAgeInSeconds * 1000 : defaults.maxAgeMs;
  return { retries, maxAgeMs };
}
