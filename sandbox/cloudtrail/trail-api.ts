/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// The CloudTrail API as terraform calls it, where moto falls short (after the authorizer, so a
// call the caller may not make is refused first, as AWS refuses it):
// - StartLogging, StopLogging and DeleteTrail name the trail by its ARN (the provider uses the ARN
//   as the resource id, internal/service/cloudtrail/trail.go); moto's StartLogging fails with a
//   server error on an ARN and its DeleteTrail silently keeps the trail. The ARN is passed to moto
//   as the trail's name; an ARN of a trail created in another region answers
//   InvalidHomeRegionException (API reference, StartLogging `Name`: a multi-Region trail's logging
//   "must be called from the Region in which the trail was created"), one of no trail
//   TrailNotFoundException;
// - CreateTrail and UpdateTrail check the bucket policy (bucket-policy.ts);
// - any change tells the recorder to re-read which trails cover which region.

import { awsError, motoJson, parseArn } from "../aws";
import type { SandboxPlugin } from "../gateway";
import type { Authority, AwsRequest, AwsResponse, Next } from "../types";
import { bucketPolicyProblem } from "./bucket-policy";

/**
 * GetTrail's Trail.HomeRegion (API reference, Trail: "The Region in which the trail was created"),
 * which moto leaves out: the region of the trail's ARN.
 */
function withHomeRegion(res: AwsResponse): AwsResponse {
  let body: any;
  try {
    body = JSON.parse(res.body.toString("utf8"));
  } catch {
    return res;
  }
  const trail = body?.Trail;
  if (!trail || trail.HomeRegion || typeof trail.TrailARN !== "string") return res;
  trail.HomeRegion = parseArn(trail.TrailARN).region;
  const headers = { ...res.headers };
  for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-length") delete headers[k];
  return { ...res, headers, body: Buffer.from(JSON.stringify(body)) };
}

const BY_NAME = new Set(["StartLogging", "StopLogging", "DeleteTrail"]);

export interface TrailApiOptions {
  motoEndpoint: string;
  authority?: Authority;
  account: string;
  /** Called after a call that may have changed a trail. */
  onChange: () => void;
}

export class TrailApiPlugin implements SandboxPlugin {
  readonly name = "cloudtrail-api";

  constructor(private readonly opts: TrailApiOptions) {}

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "cloudtrail") return next(req);
    const op = req.operation ?? "";
    const body = (req.json ?? {}) as any;
    let forwarded = req;
    if (BY_NAME.has(op) && typeof body.Name === "string" && body.Name.startsWith("arn:")) {
      const byName = await this.nameOf(req, body.Name);
      if ("error" in byName) return byName.error;
      const json = { ...body, Name: byName.name };
      forwarded = { ...req, json, body: Buffer.from(JSON.stringify(json)) };
    }
    if ((op === "CreateTrail" || op === "UpdateTrail") && typeof body.S3BucketName === "string" && this.opts.authority) {
      const name = String(body.Name ?? "");
      const trailArn = name.startsWith("arn:") ? name : `arn:aws:cloudtrail:${req.region}:${this.opts.account}:trail/${name}`;
      const problem = await bucketPolicyProblem(
        { motoEndpoint: this.opts.motoEndpoint, authority: this.opts.authority },
        { region: req.region, account: this.opts.account, trailArn, bucket: body.S3BucketName, prefix: body.S3KeyPrefix },
      );
      if (problem) return awsError(req, 400, "InsufficientS3BucketPolicyException", problem);
    }
    const res = await next(forwarded);
    if (res.status < 300 && !/^(Get|Describe|List|Lookup)/.test(op)) this.opts.onChange();
    if (op === "GetTrail" && res.status < 300) return withHomeRegion(res);
    return res;
  }

  /** A trail's ARN → its name, for moto (or the error CloudTrail answers). */
  private async nameOf(req: AwsRequest, arn: string): Promise<{ name: string } | { error: AwsResponse }> {
    const a = parseArn(arn);
    const trails = async (shadows: boolean): Promise<any[]> =>
      (await motoJson(this.opts.motoEndpoint, "cloudtrail", req.region, "DescribeTrails", { includeShadowTrails: shadows }).catch(() => ({ trailList: [] }))).trailList ?? [];
    if ((await trails(false)).some((t) => t.TrailARN === arn)) return { name: a.resource.replace(/^trail\//, "") };
    if ((await trails(true)).some((t) => t.TrailARN === arn)) {
      return { error: awsError(req, 400, "InvalidHomeRegionException", `This operation must be called from the Region in which the trail was created: ${a.region}`) };
    }
    return { error: awsError(req, 400, "TrailNotFoundException", `Unknown trail: ${arn} for the user: ${a.account || this.opts.account}`) };
  }
}
