/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// KMS gaps for terraform's aws_kms_key (multi_region = true) + aws_kms_replica_key + aliases.
//
// moto's ReplicateKey stores a shallow copy of the primary key object in the replica region, so
// the two regions share the key's alias table and its MultiRegionConfiguration dict. Seen through
// terraform:
// - DescribeKey of the replica marks the shared configuration REPLICA, after which the primary
//   also reads as a replica ("not a multi-Region primary key" when terraform reads or destroys it,
//   and destroying the replica key fails). Fixed here: every KeyMetadata answer gets its
//   MultiRegionKeyType from whether the key's own ARN is the primary's ARN, and its ReplicaKeys
//   without itself.
// - An alias created in one region exists in the other (CreateAlias of the same name in the replica
//   region fails with AlreadyExistsException; DeleteAlias in one region removes both). Fixed here:
//   the plugin keeps which region has which alias of a multi-Region key, answers CreateAlias of
//   such an alias in the second region itself, forwards DeleteAlias only for the last region, and
//   shows each region only its own aliases (ListAliases, DescribeKey by alias).

import { awsError, motoJson, parseJson, responseWithJson, jsonResponse } from "./aws";
import type { SandboxPlugin } from "./gateway";
import type { AwsRequest, AwsResponse, Next } from "./types";

export interface KmsPluginOptions {
  motoEndpoint: string;
}

function keyIdOf(ref: string): string {
  const i = ref.indexOf(":key/");
  return i >= 0 ? ref.slice(i + 5) : ref;
}

function regionOfArn(arn: unknown): string | undefined {
  return typeof arn === "string" ? arn.split(":")[3] : undefined;
}

export class KmsPlugin implements SandboxPlugin {
  readonly name = "kms";
  /** Aliases of multi-Region keys per region: region -> alias name -> key id. */
  private aliases = new Map<string, Map<string, string>>();

  constructor(readonly opts: KmsPluginOptions) {}

  private regionAliases(region: string): Map<string, string> {
    let m = this.aliases.get(region);
    if (!m) {
      m = new Map();
      this.aliases.set(region, m);
    }
    return m;
  }

  private aliasElsewhere(name: string, region: string): boolean {
    for (const [r, m] of this.aliases) if (r !== region && m.has(name)) return true;
    return false;
  }

  private async resolveKeyId(region: string, ref: string): Promise<string> {
    if (ref.startsWith("alias/") || ref.includes(":alias/")) {
      const d = await motoJson(this.opts.motoEndpoint, "kms", region, "DescribeKey", { KeyId: ref }).catch(() => undefined);
      return d?.KeyMetadata?.KeyId ?? ref;
    }
    return keyIdOf(ref);
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "kms" || !req.operation) return next(req);
    const body = (req.json ?? {}) as Record<string, any>;
    switch (req.operation) {
      case "CreateAlias": {
        const name = String(body.AliasName ?? "");
        const target = await this.resolveKeyId(req.region, String(body.TargetKeyId ?? ""));
        const mine = this.regionAliases(req.region);
        if (target.startsWith("mrk-") && !mine.has(name) && this.aliasElsewhere(name, req.region)) {
          // moto's shared alias table already has it (from the other region's key copy).
          const list = await motoJson(this.opts.motoEndpoint, "kms", req.region, "ListAliases", { KeyId: target }).catch(() => undefined);
          if ((list?.Aliases ?? []).some((a: any) => a.AliasName === name)) {
            mine.set(name, target);
            return jsonResponse(200, {});
          }
        }
        const res = await next(req);
        if (res.status < 300 && target.startsWith("mrk-")) mine.set(name, target);
        return res;
      }
      case "DeleteAlias": {
        const name = String(body.AliasName ?? "");
        const mine = this.regionAliases(req.region);
        if (mine.has(name)) {
          mine.delete(name);
          if (this.aliasElsewhere(name, req.region)) return jsonResponse(200, {});
        }
        return next(req);
      }
      case "ListAliases": {
        const res = await next(req);
        if (res.status >= 300) return res;
        const json = parseJson(res);
        if (!Array.isArray(json?.Aliases)) return res;
        const mine = this.regionAliases(req.region);
        json.Aliases = json.Aliases.filter((a: any) => {
          const managed = typeof a.TargetKeyId === "string" && a.TargetKeyId.startsWith("mrk-") && (mine.has(a.AliasName) || this.aliasElsewhere(a.AliasName, req.region));
          return !managed || mine.has(a.AliasName);
        }).map((a: any) => (typeof a.AliasArn === "string" ? { ...a, AliasArn: a.AliasArn.replace(/^(arn:[^:]+:kms:)[^:]+:/, `$1${req.region}:`) } : a));
        return responseWithJson(res, json);
      }
      case "ReplicateKey": {
        // moto's ReplicateKey reads only KeyId and ReplicaRegion: the replica keeps the primary's
        // description and default policy and gets no tags, so terraform waits forever for them to
        // "propagate". Apply what the request asked for to the replica (description defaults to
        // empty in AWS: it is not a shared property).
        const res = await next(req);
        if (res.status >= 300) return res;
        const region = String(body.ReplicaRegion);
        const keyId = keyIdOf(String(body.KeyId));
        const call = (op: string, input: unknown) => motoJson(this.opts.motoEndpoint, "kms", region, op, input);
        const description = typeof body.Description === "string" ? body.Description : "";
        await call("UpdateKeyDescription", { KeyId: keyId, Description: description }).catch(() => undefined);
        if (typeof body.Policy === "string") await call("PutKeyPolicy", { KeyId: keyId, PolicyName: "default", Policy: body.Policy }).catch(() => undefined);
        if (Array.isArray(body.Tags) && body.Tags.length > 0) await call("TagResource", { KeyId: keyId, Tags: body.Tags }).catch(() => undefined);
        const json = parseJson(res);
        if (json?.ReplicaKeyMetadata) json.ReplicaKeyMetadata.Description = description;
        if (json && typeof body.Policy === "string") json.ReplicaPolicy = body.Policy;
        return this.fixMetadata(responseWithJson(res, json));
      }
      default: {
        const ref = typeof body.KeyId === "string" ? body.KeyId : undefined;
        if (ref && (ref.startsWith("alias/") || ref.includes(":alias/"))) {
          const name = ref.slice(ref.indexOf("alias/"));
          if (!this.regionAliases(req.region).has(name) && this.aliasElsewhere(name, req.region)) {
            return awsError(req, 400, "NotFoundException", `Alias arn:aws:kms:${req.region}:123456789012:${name} is not found.`);
          }
        }
        const res = await next(req);
        return this.fixMetadata(res);
      }
    }
  }

  /** Gives every KeyMetadata its own MultiRegionKeyType and ReplicaKeys (see the header). */
  private fixMetadata(res: AwsResponse): AwsResponse {
    if (res.status >= 300) return res;
    const json = parseJson(res);
    if (!json || typeof json !== "object") return res;
    let changed = false;
    for (const field of ["KeyMetadata", "ReplicaKeyMetadata"]) {
      const md = json[field];
      const cfg = md?.MultiRegionConfiguration;
      if (!md?.MultiRegion || !cfg?.PrimaryKey?.Arn) continue;
      const isPrimary = md.Arn === cfg.PrimaryKey.Arn;
      const replicas = (cfg.ReplicaKeys ?? []).filter((r: any) => r.Arn !== md.Arn && r.Arn !== cfg.PrimaryKey.Arn);
      md.MultiRegionConfiguration = {
        ...cfg,
        MultiRegionKeyType: isPrimary ? "PRIMARY" : "REPLICA",
        PrimaryKey: { Arn: cfg.PrimaryKey.Arn, Region: cfg.PrimaryKey.Region ?? regionOfArn(cfg.PrimaryKey.Arn) },
        ReplicaKeys: replicas,
      };
      changed = true;
    }
    return changed ? responseWithJson(res, json) : res;
  }
}
