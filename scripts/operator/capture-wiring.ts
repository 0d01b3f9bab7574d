// Is change capture able to see a pool's changes? The primary's always; in two-way mode the DR
// pool's too (stacks/change-capture.ts, region role "dr"). Nothing fails in that region when it is
// not (a stopped trail, a disabled rule or mapping): changes just stop reaching the other region
// until reconcile notices, and in two-way mode a DR change lost that way is lost silently by the
// failback. The smoke checks (after each deploy, before failover and failback) ask the three things
// the path depends on, read-only, in the role's own region:
//  - a trail logs management write events of that region and is logging (EventBridge receives
//    "AWS API Call via CloudTrail" events only while one does: EventBridge User Guide, "AWS service
//    events delivered via AWS CloudTrail"): the stack's own (`names().trail`, one per region) or the
//    configured one (`changeCapture.trail` / `changeCapture.drTrail`), which may be a multi-Region
//    trail homed in another region;
//  - the region's capture rule is ENABLED;
//  - the region's change-capture function reads its capture queue through an Enabled mapping.
import { GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand, type CloudTrailClient, type GetEventSelectorsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { DescribeRuleCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ListEventSourceMappingsCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { Environment } from "../../stacks/environments";
import { names, type Role } from "../../stacks/names";

type Send<T extends { send: unknown }> = Pick<T, "send">;

/**
 * The trail `role`'s change capture depends on: the stack's own (by name: the same name in each
 * region) or the configured one (by ARN: `trail` for the primary, `drTrail` for DR).
 */
export function captureTrail(env: Pick<Environment, "prefix" | "name" | "changeCapture">, role: Role = "primary"): string {
  const t = role === "primary" ? env.changeCapture.trail : env.changeCapture.drTrail;
  return t.kind === "own" ? names(env).trail : t.arn;
}

/** Whether the trail's selectors log management write events (basic or advanced selectors). */
export function logsManagementWrites(sel: Pick<GetEventSelectorsCommandOutput, "EventSelectors" | "AdvancedEventSelectors">): boolean {
  // No selectors at all: a trail's default, which logs every management event.
  if (!sel.EventSelectors?.length && !sel.AdvancedEventSelectors?.length) return true;
  const basic = (sel.EventSelectors ?? []).some((s) => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? "All") !== "ReadOnly");
  const advanced = (sel.AdvancedEventSelectors ?? []).some((a) => {
    const field = (name: string) => a.FieldSelectors?.find((f) => f.Field === name);
    const management = field("eventCategory")?.Equals?.includes("Management") ?? false;
    const readOnly = field("readOnly")?.Equals;
    // eventSource NotEquals may exclude other services (KMS, RDS Data API); one that excludes
    // Cognito, or an Equals list without it, drops the events capture needs.
    const source = field("eventSource");
    const cognito = "cognito-idp.amazonaws.com";
    const keepsCognito = !source || (!(source.NotEquals ?? []).includes(cognito) && (!source.Equals || source.Equals.includes(cognito)));
    return management && !(readOnly && readOnly.length === 1 && readOnly[0] === "true") && keepsCognito;
  });
  return basic || advanced;
}

/**
 * Checks `role`'s change-capture wiring. `clients` are that role's region's (the DR check calls
 * nothing in the primary region, so the failover can run it with the primary region down; an
 * existing trail homed elsewhere is asked by its ARN there, as its shadow trail).
 */
export async function checkCaptureWiring(
  env: Pick<Environment, "prefix" | "name" | "primaryRegion" | "drRegion" | "changeCapture">,
  clients: { cloudtrail: Send<CloudTrailClient>; events: Send<EventBridgeClient>; lambda: Send<LambdaClient> },
  role: Role = "primary",
): Promise<string> {
  const n = names(env);
  const region = role === "primary" ? env.primaryRegion : env.drRegion;
  const problems: string[] = [];
  const trail = captureTrail(env, role);
  const described = (await clients.cloudtrail.send(new GetTrailCommand({ Name: trail }))).Trail;
  if (!described) problems.push(`trail ${trail} not found`);
  // A multi-Region trail logs every region wherever it is homed; a single-Region one only its home.
  else if (!described.IsMultiRegionTrail && described.HomeRegion !== region) problems.push(`trail ${trail} logs ${described.HomeRegion} only, not ${region}`);
  const status = await clients.cloudtrail.send(new GetTrailStatusCommand({ Name: trail }));
  if (!status.IsLogging) problems.push(`trail ${trail} is not logging (StartLogging resumes it; reconcile repairs what was missed)`);
  if (!logsManagementWrites(await clients.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: trail })))) problems.push(`trail ${trail} does not log management write events`);
  const rule = await clients.events.send(new DescribeRuleCommand({ Name: n.captureRule }));
  if (rule.State !== "ENABLED") problems.push(`rule ${n.captureRule} is ${rule.State}`);
  const mappings = (await clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: n.fn("change-capture") }))).EventSourceMappings ?? [];
  const mapping = mappings.find((m) => m.EventSourceArn?.endsWith(`:${n.captureQueue}`));
  if (!mapping) problems.push(`no mapping from ${n.captureQueue} to ${n.fn("change-capture")}`);
  else if (mapping.State !== "Enabled") problems.push(`the mapping ${mapping.UUID} from ${n.captureQueue} is ${mapping.State}`);
  if (problems.length) throw new Error(problems.join("; "));
  return `trail ${described?.Name ?? trail} logging, rule ENABLED, mapping ${mapping?.UUID} Enabled`;
}
