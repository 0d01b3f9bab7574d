/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON and forms are untyped here; shapes are checked where used. */
// What every control-plane mapper shares: the call being decided, its parameters whatever the
// protocol (JSON body, query form, REST body), tag parameters in each service's spelling, and the
// condition keys a request's tags set (IAM User Guide, "Controlling access to AWS resources using
// tags": `aws:RequestTag/<key>` and `aws:TagKeys` describe the tags in the request).

import type { AwsRequest } from "../../types";
import type { PolicyStore } from "../policies";
import type { RolePrincipal } from "../principal";
import type { Check } from "../requests";

export interface CallContext {
  req: AwsRequest;
  caller: RolePrincipal;
  store: PolicyStore;
}

/** A service's mapper: the checks for a call it knows, or undefined to leave the call to the next one. */
export type CallMapper = (c: CallContext) => Promise<Check[] | undefined>;

/** JSON body, or the query protocol's form (body, then query string). */
export function params(req: AwsRequest): Record<string, any> {
  if (req.json !== undefined && req.json !== null && typeof req.json === "object") return req.json as Record<string, any>;
  const out: Record<string, string> = {};
  if (req.body.length > 0 && req.body.length < 1_000_000 && (req.headers["content-type"] ?? "").includes("form")) {
    for (const [k, v] of new URLSearchParams(req.body.toString("utf8"))) out[k] = v;
  }
  for (const [k, v] of req.query) out[k] ??= v;
  return out;
}

/** A query-protocol list of structures: `Tags.member.1.Key=...` → [{Key: ...}]. */
export function memberList(p: Record<string, any>, name: string): Array<Record<string, string>> {
  if (Array.isArray(p[name])) return p[name];
  const out: Array<Record<string, string>> = [];
  for (const [k, v] of Object.entries(p)) {
    const m = new RegExp(`^${name}\\.member\\.(\\d+)\\.(\\w+)$`).exec(k);
    if (m) (out[Number(m[1]) - 1] ??= {})[m[2]!] = String(v);
  }
  return out.filter(Boolean);
}

/** A list of strings, as a JSON array or the query protocol's `Name.member.N`. */
export function stringList(p: Record<string, any>, name: string): string[] {
  if (Array.isArray(p[name])) return (p[name] as unknown[]).map(String);
  return Object.entries(p)
    .filter(([k]) => new RegExp(`^${name}\\.member\\.\\d+$`).test(k))
    .sort(([a], [b]) => Number(a.split(".").pop()) - Number(b.split(".").pop()))
    .map(([, v]) => String(v));
}

/** Tags from `[{Key, Value}]`, `[{TagKey, TagValue}]` or a plain map. */
export function tagMap(v: unknown): Record<string, string> {
  if (!v) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((t: any) => [String(t.Key ?? t.TagKey ?? t.key), String(t.Value ?? t.TagValue ?? t.value ?? "")]));
  if (typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  return {};
}

/** The condition keys a request's tags set; none when it carries no tags. */
export function requestTagContext(tags: Record<string, string>): Record<string, string | string[]> {
  const keys = Object.keys(tags);
  if (keys.length === 0) return {};
  return { ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, tags[k]!])), "aws:TagKeys": keys };
}

export function arnOf(c: CallContext, service: string, resource: string, region: string = c.req.region): string {
  return `arn:${c.caller.partition}:${service}:${region}:${c.caller.accountId}:${resource}`;
}

/** The global services' ARNs (IAM, Route 53) have no region. */
export function globalArn(c: CallContext, service: string, resource: string, account = c.caller.accountId): string {
  return `arn:${c.caller.partition}:${service}::${account}:${resource}`;
}

/**
 * The context AWS sets when a service calls another with the caller's credentials ("forward access
 * sessions"): IAM User Guide, global condition keys `aws:ViaAWSService` ("true when a service uses
 * the credentials of an IAM principal to make a request on behalf of the principal") and
 * `aws:CalledVia`/`aws:CalledViaFirst`/`aws:CalledViaLast`; and KMS's `kms:ViaService`.
 */
export function viaService(service: string, region: string, account: string): Record<string, string | string[]> {
  return {
    "kms:ViaService": `${service}.${region}.amazonaws.com`,
    "kms:CallerAccount": account,
    "aws:ViaAWSService": "true",
    "aws:CalledVia": [`${service}.amazonaws.com`],
    "aws:CalledViaFirst": `${service}.amazonaws.com`,
    "aws:CalledViaLast": `${service}.amazonaws.com`,
  };
}
