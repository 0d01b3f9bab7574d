// KMS's control plane as a role session calls it (terraform managing the table keys and their
// multi-Region replica), with what KMS checks beyond the call itself. KMS API Reference, each
// operation's "Required permissions", and the KMS developer guide:
// - CreateKey: kms:CreateKey in an IAM policy (no key exists yet: resource `*`); with Tags also
//   kms:TagResource in an IAM policy ("Including this permission in the key policy of the new KMS
//   key isn't sufficient", "Permissions for AWS KMS keys" / tagging on create); the policy lockout
//   safety check: "The key policy must allow the calling principal to make a subsequent
//   PutKeyPolicy request on the KMS key" unless BypassPolicyLockoutSafetyCheck, else
//   MalformedPolicyDocumentException; a multi-Region primary needs iam:CreateServiceLinkedRole for
//   mrk.kms.amazonaws.com every time ("Controlling access to multi-Region keys": "If the role
//   exists, AWS KMS recreates it").
// - ReplicateKey: kms:ReplicateKey on the primary key (its key policy, in the primary's region,
//   condition kms:ReplicaRegion), kms:CreateKey in an IAM policy in the replica Region, and
//   kms:TagResource there for Tags; the replica's policy gets the same lockout check.
// - CreateAlias / UpdateAlias / DeleteAlias: the action on the alias (IAM policy) and on the key(s)
//   (key policy).
// How the lockout check sees the new key's tags is not documented; the sandbox evaluates it with
// the request's tags as the key's `aws:ResourceTag/*` (the key has them once created), see
// sandbox/README.md.

import type { Check } from "../requests";
import { serviceLinkedRoleCheck, SERVICE_LINKED_ROLES } from "./iam";
import { arnOf, params, requestTagContext, tagMap, type CallContext, type CallMapper } from "./common";

/** A key not created yet: policies name keys by ARN pattern, so any id stands for it. */
const NEW_KEY_ID = "sandbox-key-being-created";

const LOCKOUT = "The new key policy will not allow you to update the key policy in the future.";

/** KMS's default key policy (KMS developer guide, "Default key policy"): the account, through IAM. */
export function defaultKeyPolicy(c: CallContext): unknown {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:${c.caller.partition}:iam::${c.caller.accountId}:root` }, Action: "kms:*", Resource: "*" }],
  };
}

function parsePolicy(c: CallContext, text: unknown): unknown {
  if (typeof text !== "string" || !text) return defaultKeyPolicy(c);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function lockoutCheck(c: CallContext, keyArn: string, policy: unknown, tags: Record<string, string>, impliedBy: string, region: string): Check {
  return {
    action: "kms:PutKeyPolicy",
    resource: keyArn,
    resourcePolicy: "kms-key",
    resourcePolicyDocument: policy,
    resourceTags: tags,
    impliedBy,
    context: { "kms:CallerAccount": c.caller.accountId, "aws:RequestedRegion": region },
    denial: { status: 400, code: "MalformedPolicyDocumentException", message: LOCKOUT },
  };
}

function createKeyChecks(c: CallContext, region: string, p: Record<string, unknown>, kind: "PRIMARY" | "REPLICA" | undefined, keyArn: string, impliedBy?: string): Check[] {
  const tags = tagMap(p.Tags);
  const multiRegion = kind !== undefined;
  const keyContext: Record<string, string> = {
    "kms:CallerAccount": c.caller.accountId,
    "kms:MultiRegion": String(multiRegion),
    ...(kind ? { "kms:MultiRegionKeyType": kind } : {}),
    ...(typeof p.KeySpec === "string" ? { "kms:KeySpec": p.KeySpec } : {}),
    ...(typeof p.KeyUsage === "string" ? { "kms:KeyUsage": p.KeyUsage } : {}),
    "kms:KeyOrigin": typeof p.Origin === "string" ? p.Origin : "AWS_KMS",
    "kms:BypassPolicyLockoutSafetyCheck": String(p.BypassPolicyLockoutSafetyCheck === true),
    "aws:RequestedRegion": region,
  };
  const by = impliedBy ?? "kms:CreateKey";
  const checks: Check[] = [{ action: "kms:CreateKey", resource: "*", impliedBy, context: { ...keyContext, ...requestTagContext(tags) } }];
  const policy = parsePolicy(c, p.Policy);
  if (policy === undefined) return [...checks, { action: "kms:CreateKey", resource: "*", impliedBy: by, denial: { status: 400, code: "MalformedPolicyDocumentException", message: "The key policy is not valid JSON" } }];
  // The IAM policy must allow tagging; the new key's policy is the key policy KMS consults (the
  // sandbox's reading: an IAM grant counts only where a key policy lets IAM decide).
  if (Object.keys(tags).length) {
    checks.push({ action: "kms:TagResource", resource: keyArn, impliedBy: by, resourcePolicy: "kms-key", resourcePolicyDocument: policy, resourceTags: {}, context: { "kms:CallerAccount": c.caller.accountId, "aws:RequestedRegion": region, ...requestTagContext(tags) } });
  }
  if (p.BypassPolicyLockoutSafetyCheck !== true) checks.push(lockoutCheck(c, keyArn, policy, tags, by, region));
  return checks;
}

export const kms: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  const region = c.req.region;
  const keyPolicy = { resourcePolicy: "kms-key" as const };
  const caller = { "kms:CallerAccount": c.caller.accountId };
  // kms:ResourceAliases on an operation on an existing key (KMS developer guide, "kms:ResourceAliases").
  const onKey = async (key: string) => {
    const aliases = await c.store.keyAliases(key).catch(() => [] as string[]);
    return { ...caller, ...(aliases.length ? { "kms:ResourceAliases": aliases } : {}) };
  };
  switch (op) {
    case "ListAliases":
    case "ListKeys":
      // Wildcard-only actions (Service Authorization Reference), whatever KeyId filters the list.
      return [{ action: `kms:${op}`, resource: "*" }];
    case "CreateKey": {
      const checks = createKeyChecks(c, region, p, p.MultiRegion === true ? "PRIMARY" : undefined, arnOf(c, "kms", `key/${p.MultiRegion === true ? "mrk-" : ""}${NEW_KEY_ID}`));
      const mrk = "mrk.kms.amazonaws.com";
      if (p.MultiRegion === true) checks.push(serviceLinkedRoleCheck(c, mrk, SERVICE_LINKED_ROLES[mrk]!, "kms:CreateKey"));
      return checks;
    }
    case "ReplicateKey": {
      const primary = await c.store.keyArn(region, String(p.KeyId));
      const replicaRegion = String(p.ReplicaRegion ?? "");
      const replicaArn = arnOf(c, "kms", `key/${primary.split("/").pop()}`, replicaRegion);
      return [
        { action: "kms:ReplicateKey", resource: primary, ...keyPolicy, context: { ...(await onKey(primary)), "kms:ReplicaRegion": replicaRegion } },
        ...createKeyChecks(c, replicaRegion, p, "REPLICA", replicaArn, "kms:ReplicateKey"),
      ];
    }
    case "CreateAlias":
    case "UpdateAlias":
    case "DeleteAlias": {
      const alias = String(p.AliasName ?? "");
      const checks: Check[] = [{ action: `kms:${op}`, resource: arnOf(c, "kms", alias), context: caller }];
      const current = op === "CreateAlias" ? undefined : await c.store.keyArn(region, alias).catch(() => undefined);
      if (current) checks.push({ action: `kms:${op}`, resource: current, ...keyPolicy, context: await onKey(current) });
      if (typeof p.TargetKeyId === "string") {
        const target = await c.store.keyArn(region, p.TargetKeyId);
        checks.push({ action: `kms:${op}`, resource: target, ...keyPolicy, context: await onKey(target) });
      }
      return checks;
    }
    case "DescribeKey": {
      // `kms:RequestAlias`: the alias the request named the key by (KMS developer guide, "kms:RequestAlias").
      const ref = String(p.KeyId ?? "");
      const alias = ref.includes("alias/") ? `alias/${ref.split("alias/")[1]}` : undefined;
      const key = await c.store.keyArn(region, ref);
      return [{ action: "kms:DescribeKey", resource: key, ...keyPolicy, context: { ...(await onKey(key)), ...(alias ? { "kms:RequestAlias": alias } : {}) } }];
    }
    case "TagResource": {
      const key = await c.store.keyArn(region, String(p.KeyId));
      return [{ action: "kms:TagResource", resource: key, ...keyPolicy, context: { ...(await onKey(key)), ...requestTagContext(tagMap(p.Tags)) } }];
    }
    case "PutKeyPolicy": {
      const key = await c.store.keyArn(region, String(p.KeyId));
      const checks: Check[] = [{ action: "kms:PutKeyPolicy", resource: key, ...keyPolicy, context: { ...(await onKey(key)), "kms:BypassPolicyLockoutSafetyCheck": String(p.BypassPolicyLockoutSafetyCheck === true) } }];
      const policy = parsePolicy(c, p.Policy);
      if (p.BypassPolicyLockoutSafetyCheck !== true && policy !== undefined) checks.push({ ...lockoutCheck(c, key, policy, {}, "kms:PutKeyPolicy", region), resourceTags: undefined });
      return checks;
    }
    default:
      return undefined;
  }
};
