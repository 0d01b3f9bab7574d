import { CloudTrailClient, GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { environment } from "../../stacks/environments";
import { captureTrail, checkCaptureWiring, logsManagementWrites } from "./capture-wiring";

const env = environment("dev", {});
const cloudtrail = mockClient(CloudTrailClient);
const events = mockClient(EventBridgeClient);
const lambda = mockClient(LambdaClient);
const clients = { cloudtrail: new CloudTrailClient({}), events: new EventBridgeClient({}), lambda: new LambdaClient({}) };

function healthy(): void {
  cloudtrail.reset();
  events.reset();
  lambda.reset();
  cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "cdr-dev-trail", HomeRegion: env.primaryRegion, IsMultiRegionTrail: false } });
  cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  cloudtrail.on(GetEventSelectorsCommand).resolves({ EventSelectors: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true }] });
  events.on(DescribeRuleCommand).resolves({ State: "ENABLED" });
  lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: "m-1", State: "Enabled", EventSourceArn: `arn:aws:sqs:${env.primaryRegion}:111122223333:cdr-dev-change-capture` }] });
}

describe("change capture's wiring (smoke check)", () => {
  beforeEach(healthy);

  it("passes when the trail logs, the rule is enabled and the mapping reads the capture queue", async () => {
    await expect(checkCaptureWiring(env, clients)).resolves.toMatch(/trail cdr-dev-trail logging, rule ENABLED, mapping m-1 Enabled/);
    expect(cloudtrail.commandCalls(GetTrailStatusCommand)[0]!.args[0].input).toEqual({ Name: "cdr-dev-trail" });
  });

  it("names every broken part at once: a stopped trail, a disabled rule, a disabled mapping", async () => {
    cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    events.on(DescribeRuleCommand).resolves({ State: "DISABLED" });
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: "m-1", State: "Disabled", EventSourceArn: `arn:aws:sqs:${env.primaryRegion}:1:cdr-dev-change-capture` }] });
    await expect(checkCaptureWiring(env, clients)).rejects.toThrow(/trail cdr-dev-trail is not logging.*rule cdr-dev-change-capture is DISABLED.*mapping m-1 from cdr-dev-change-capture is Disabled/);
  });

  it("a trail of another region, or one that logs only reads, does not count", async () => {
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "cdr-dev-trail", HomeRegion: "eu-west-1", IsMultiRegionTrail: false } });
    cloudtrail.on(GetEventSelectorsCommand).resolves({ EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }] });
    await expect(checkCaptureWiring(env, clients)).rejects.toThrow(/logs eu-west-1 only.*does not log management write events/);
  });

  it("asks the configured trail by ARN when the environment uses an existing one", async () => {
    const arn = "arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail";
    await checkCaptureWiring(environment("dev", { DEV_CLOUDTRAIL_TRAIL_ARN: arn }), clients);
    expect(cloudtrail.commandCalls(GetTrailStatusCommand)[0]!.args[0].input).toEqual({ Name: arn });
  });
});

describe("change capture's wiring in DR (two-way mode's DR pool, region role dr)", () => {
  const drQueue = `arn:aws:sqs:${env.drRegion}:111122223333:cdr-dev-change-capture`;
  beforeEach(() => {
    healthy();
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "cdr-dev-trail", HomeRegion: env.drRegion, IsMultiRegionTrail: false } });
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: "m-dr", State: "Enabled", EventSourceArn: drQueue }] });
  });

  it("asks the DR stack's own trail (same name, the DR region's), the DR rule and the DR function's mapping", async () => {
    await expect(checkCaptureWiring(env, clients, "dr")).resolves.toMatch(/trail cdr-dev-trail logging, rule ENABLED, mapping m-dr Enabled/);
    expect(cloudtrail.commandCalls(GetTrailCommand)[0]!.args[0].input).toEqual({ Name: "cdr-dev-trail" });
    expect(cloudtrail.commandCalls(GetEventSelectorsCommand)[0]!.args[0].input).toEqual({ TrailName: "cdr-dev-trail" });
    expect(events.commandCalls(DescribeRuleCommand)[0]!.args[0].input).toEqual({ Name: "cdr-dev-change-capture" });
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)[0]!.args[0].input).toEqual({ FunctionName: "cdr-dev-change-capture" });
  });

  it("a single-Region trail of the primary region does not log DR", async () => {
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "cdr-dev-trail", HomeRegion: env.primaryRegion, IsMultiRegionTrail: false } });
    await expect(checkCaptureWiring(env, clients, "dr")).rejects.toThrow(new RegExp(`trail cdr-dev-trail logs ${env.primaryRegion} only, not ${env.drRegion}`));
  });

  it("names every broken part of the DR side at once", async () => {
    cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    events.on(DescribeRuleCommand).resolves({ State: "DISABLED" });
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [] });
    await expect(checkCaptureWiring(env, clients, "dr")).rejects.toThrow(/trail cdr-dev-trail is not logging.*rule cdr-dev-change-capture is DISABLED.*no mapping from cdr-dev-change-capture to cdr-dev-change-capture/);
  });

  it("asks the configured DR trail by ARN (not the primary's); a multi-Region trail homed elsewhere counts", async () => {
    const primaryArn = "arn:aws:cloudtrail:us-east-1:444455556666:trail/primary-org-trail";
    const drArn = `arn:aws:cloudtrail:${env.primaryRegion}:444455556666:trail/org-trail`;
    const configured = environment("dev", { DEV_CLOUDTRAIL_TRAIL_ARN: primaryArn, DEV_DR_CLOUDTRAIL_TRAIL_ARN: drArn });
    expect(captureTrail(configured, "dr")).toBe(drArn);
    expect(captureTrail(configured, "primary")).toBe(primaryArn);
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "org-trail", HomeRegion: env.primaryRegion, IsMultiRegionTrail: true } });
    await expect(checkCaptureWiring(configured, clients, "dr")).resolves.toMatch(/trail org-trail logging/);
    for (const c of [GetTrailCommand, GetTrailStatusCommand]) expect(cloudtrail.commandCalls(c)[0]!.args[0].input).toEqual({ Name: drArn });
    expect(cloudtrail.commandCalls(GetEventSelectorsCommand)[0]!.args[0].input).toEqual({ TrailName: drArn });
  });

  it("the same existing trail, single-Region and homed in the primary region, does not count for DR", async () => {
    const drArn = `arn:aws:cloudtrail:${env.primaryRegion}:444455556666:trail/org-trail`;
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "org-trail", HomeRegion: env.primaryRegion, IsMultiRegionTrail: false } });
    await expect(checkCaptureWiring(environment("dev", { DEV_DR_CLOUDTRAIL_TRAIL_ARN: drArn }), clients, "dr")).rejects.toThrow(new RegExp(`logs ${env.primaryRegion} only, not ${env.drRegion}`));
  });
});

describe("logsManagementWrites", () => {
  it.each([
    ["basic, all", { EventSelectors: [{ ReadWriteType: "All" as const }] }, true],
    ["basic, management excluded", { EventSelectors: [{ ReadWriteType: "All" as const, IncludeManagementEvents: false }] }, false],
    ["advanced, management", { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] }] }, true],
    ["advanced, read-only", { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, { Field: "readOnly", Equals: ["true"] }] }] }, false],
    ["advanced, Cognito excluded", { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, { Field: "eventSource", NotEquals: ["cognito-idp.amazonaws.com"] }] }] }, false],
    ["advanced, KMS excluded", { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, { Field: "eventSource", NotEquals: ["kms.amazonaws.com"] }] }] }, true],
    ["advanced, data events only", { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Data"] }] }] }, false],
    ["none (a trail's default: every management event)", {}, true],
  ])("%s", (_name, sel, expected) => {
    expect(logsManagementWrites(sel)).toBe(expected);
  });
});
