// CloudTrail for the Cognito calls the gateway serves, on top of moto's CloudTrail (which stores
// trails, their logging status and selectors, and records nothing). The plugin
// - records every Cognito user-pools API call as a CloudTrail management event (Cognito developer
//   guide, logging-using-cloudtrail.html: "Amazon Cognito supports logging for all of the actions
//   listed on the User pool actions page"), failed calls included with their errorCode, as
//   CloudTrail records them (CloudTrail user guide, "CloudTrail record contents": errorCode and
//   errorMessage "if the request returns an error"), shaped by record.ts;
// - only while a trail with logging on covers the call's region (trails.ts): no trail, no event;
// - hands each record to the EventBridge plugin (the default event bus of the call's region).
// It sits before the authorizer, so that a denied call is recorded with its error; the CloudTrail
// API itself (moto's gaps, the bucket policy check) is trail-api.ts, after the authorizer.
// Admin: `GET /cloudtrail/events`, `DELETE /cloudtrail/events`, `GET /cloudtrail/trails?region=`.

import type { Principal } from "../authz/principal";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { cloudTrailRecord, isReadOnly, type CloudTrailRecord } from "./record";
import { subjectAfter, subjectBefore } from "./subject";
import { records, trailsCovering, type TrailCoverage } from "./trails";

export type { CloudTrailRecord } from "./record";
export type { TrailCoverage } from "./trails";
export { TrailApiPlugin } from "./trail-api";

export interface CloudTrailOptions {
  motoEndpoint: string;
  /** Who made a request (the authorizer's identities: a role session or the administrator). */
  identify: (req: AwsRequest) => Principal;
  /** The pool of an app client, for unsigned calls that name only the client. */
  poolOfClient?: (clientId: string, region: string) => Promise<string | undefined>;
  /** The account of every sandbox resource. */
  account: string;
}

const KEPT = 1000;
/** Coverage is re-read after this long even if no CloudTrail call passed through the gateway. */
const COVERAGE_TTL_MS = 5_000;

/** The access key a request was signed with, whatever its spelling (the sandbox's own is `sandbox`); undefined when unsigned. */
function signingKey(req: AwsRequest): string | undefined {
  const m = /Credential=([^/,\s]+)\//.exec(req.headers["authorization"] ?? "");
  return m?.[1] ?? req.query.get("X-Amz-Credential")?.split("/")[0] ?? undefined;
}

export class CloudTrailPlugin implements SandboxPlugin {
  readonly name = "cloudtrail";
  private readonly events: CloudTrailRecord[] = [];
  private readonly coverage = new Map<string, { at: number; trails: Promise<TrailCoverage[]> }>();
  /** Cognito calls seen while no trail recorded their region's events. */
  private unrecorded = 0;
  private sink?: (r: CloudTrailRecord) => void;

  constructor(private readonly opts: CloudTrailOptions) {}

  /** Where records go (the EventBridge plugin, once the gateway runs). */
  deliverTo(sink: (r: CloudTrailRecord) => void): void {
    this.sink = sink;
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service !== "cognito-idp" || !req.operation) return next(req);
    const trail = records(await this.trails(req.region), isReadOnly(req.operation));
    if (!trail) {
      this.unrecorded++;
      return next(req);
    }
    const before = await subjectBefore(this.opts, req);
    const res = await next(req);
    const subject = subjectAfter(before, req, res);
    const principal = this.opts.identify(req);
    const record = cloudTrailRecord({
      req,
      res,
      principal,
      accessKeyId: signingKey(req),
      account: principal.kind === "role" ? principal.accountId : this.opts.account,
      sub: subject.sub,
      userPoolId: subject.poolNamed ? undefined : subject.userPoolId,
    });
    this.events.push(record);
    if (this.events.length > KEPT) this.events.shift();
    this.sink?.(record);
    return res;
  }

  /** Forget which trails cover which region (a trail changed). */
  trailsChanged(): void {
    this.coverage.clear();
  }

  /** The trails that cover `region` (cached briefly; any CloudTrail change through the gateway clears it). */
  trails(region: string): Promise<TrailCoverage[]> {
    const hit = this.coverage.get(region);
    if (hit && Date.now() - hit.at < COVERAGE_TTL_MS) return hit.trails;
    // A CloudTrail that cannot be read records nothing (and says so in GET /cloudtrail/trails).
    const trails = trailsCovering(this.opts.motoEndpoint, region).catch(() => [] as TrailCoverage[]);
    this.coverage.set(region, { at: Date.now(), trails });
    return trails;
  }

  list(filter: { region?: string; eventName?: string } = {}): CloudTrailRecord[] {
    return this.events.filter((e) => (!filter.region || e.awsRegion === filter.region) && (!filter.eventName || e.eventName === filter.eventName));
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    if (req.path === "/cloudtrail/events" && req.method === "GET") {
      const events = this.list({ region: req.query.get("region") ?? undefined, eventName: req.query.get("eventName") ?? undefined });
      return { body: { events, unrecorded: this.unrecorded } };
    }
    if (req.path === "/cloudtrail/events" && req.method === "DELETE") {
      this.events.length = 0;
      this.unrecorded = 0;
      return { body: { ok: true } };
    }
    if (req.path === "/cloudtrail/trails" && req.method === "GET") {
      const region = req.query.get("region");
      if (!region) return { status: 400, body: { error: "query `region` is required" } };
      this.coverage.delete(region);
      return { body: { trails: await this.trails(region) } };
    }
    return undefined;
  }
}
