/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Which trails record the management events of a region, read from moto's CloudTrail as terraform
// left it. "To record events with a detail-type value of AWS API Call via CloudTrail, a CloudTrail
// trail with logging enabled is required" (EventBridge user guide, "Events from AWS services",
// eb-service-event.html). A trail covers a region when it is
// - a single-Region trail created in that region, or
// - a multi-Region trail created anywhere in the account ("a trail that applies to all Regions ...
//   logs events from all Regions in the AWS partition": Cognito developer guide,
//   logging-using-cloudtrail.html, and CloudTrail user guide, "Working with CloudTrail trails"), or
// - an organization trail (logs the member accounts' events in its regions; the sandbox has one
//   account, which plays both the management and the member account),
// and only while its logging is on (GetTrailStatus IsLogging: CreateTrail leaves it off,
// StartLogging turns it on). *Assumed*: a trail whose event selectors log no management events, or
// only read (write) ones, records no management events, or only those: the CloudTrail user guide's
// "Logging management events" describes the selectors; whether EventBridge still receives the
// excluded ones is not documented, and the sandbox takes the stricter reading.

import { motoJson } from "../aws";

export interface TrailCoverage {
  name: string;
  arn: string;
  homeRegion: string;
  multiRegion: boolean;
  organization: boolean;
  logging: boolean;
  /** Management events the trail records: read-only ones, and write ones. */
  management: { read: boolean; write: boolean };
}

type Selectors = { EventSelectors?: any[]; AdvancedEventSelectors?: any[] };

/** The management events a trail's selectors record (CloudTrail user guide, "Logging management events"). */
export function managementEvents(s: Selectors): { read: boolean; write: boolean } {
  const basic = s.EventSelectors ?? [];
  const advanced = s.AdvancedEventSelectors ?? [];
  // No selectors at all: the default, which logs every management event.
  if (basic.length === 0 && advanced.length === 0) return { read: true, write: true };
  const out = { read: false, write: false };
  for (const sel of basic) {
    if (sel.IncludeManagementEvents === false) continue;
    const rw = sel.ReadWriteType ?? "All";
    if (rw === "All" || rw === "ReadOnly") out.read = true;
    if (rw === "All" || rw === "WriteOnly") out.write = true;
  }
  for (const sel of advanced) {
    const fields: any[] = sel.FieldSelectors ?? [];
    const category = fields.find((f) => f.Field === "eventCategory");
    if (!category?.Equals?.includes("Management")) continue;
    const readOnly = fields.find((f) => f.Field === "readOnly");
    const only: string[] | undefined = readOnly?.Equals;
    if (!only || only.includes("true")) out.read = true;
    if (!only || only.includes("false")) out.write = true;
  }
  return out;
}

/** Every trail whose events include `region`'s, with its status and selectors (a trail moto cannot describe is skipped). */
export async function trailsCovering(motoEndpoint: string, region: string): Promise<TrailCoverage[]> {
  const call = (r: string, op: string, body: unknown) => motoJson(motoEndpoint, "cloudtrail", r, op, body);
  const listed = await call(region, "DescribeTrails", { includeShadowTrails: true });
  const out: TrailCoverage[] = [];
  for (const t of (listed.trailList ?? []) as any[]) {
    const home = String(t.HomeRegion ?? region);
    if (home !== region && !t.IsMultiRegionTrail) continue;
    const status = await call(home, "GetTrailStatus", { Name: t.TrailARN }).catch(() => undefined);
    const selectors = await call(home, "GetEventSelectors", { TrailName: t.TrailARN }).catch(() => ({}));
    if (!status) continue;
    out.push({
      name: t.Name,
      arn: t.TrailARN,
      homeRegion: home,
      multiRegion: !!t.IsMultiRegionTrail,
      organization: !!t.IsOrganizationTrail,
      logging: status.IsLogging === true,
      management: managementEvents(selectors),
    });
  }
  return out;
}

/** Whether some logging trail records this region's management event of this kind. */
export function records(trails: TrailCoverage[], readOnly: boolean): TrailCoverage | undefined {
  return trails.find((t) => t.logging && (readOnly ? t.management.read : t.management.write));
}
