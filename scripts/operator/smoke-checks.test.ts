// Which smoke checks run per replication mode: one-way exactly as before two-way mode existed (the
// pipeline and the runbook count them), two-way adding the DR pool's PostConfirmation trigger and
// its change capture, each asked in the DR region only (the failover smokes DR with the primary
// region down).
import { CloudTrailClient, GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { CognitoIdentityProviderClient, DescribeUserPoolCommand, ListUserPoolReplicasCommand, ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetFunctionCommand, LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { environment, type Environment } from "../../stacks/environments";
import { checksFor, runSmoke, type SmokeClients } from "./smoke-checks";

const oneWay = environment("dev", {});
const twoWay = environment("dev", { DEV_REPLICATION_MODE: "two-way" });
const { primaryRegion, drRegion } = oneWay;

// checksFor only builds the list; nothing is called.
const unused = { regions: {}, lambda: {}, capture: {} } as SmokeClients;
const list = (env: Environment) => checksFor(env, unused).map((c) => `[${c.role}] ${c.what}`);

const ONE_WAY = [
  `[primary] user pool cdr-dev-users-primary exists in ${primaryRegion}`,
  "[primary] PostConfirmation trigger of the primary pool is cdr-dev-post-confirmation",
  `[primary] table cdr-dev-replicated-users is ACTIVE with a stream and an ACTIVE replica in ${drRegion}`,
  "[primary] change capture sees the primary pool's changes (trail cdr-dev-trail, rule cdr-dev-change-capture, cdr-dev-change-capture)",
  `[dr] user pool cdr-dev-users-dr exists in ${drRegion}`,
  `[dr] replica of cdr-dev-replicated-users in ${drRegion} has a stream`,
  "[dr] cdr-dev-replicate-user reads the replica's stream through an Enabled event source mapping",
];

describe("the smoke checks per replication mode", () => {
  it("one-way: the same seven checks as before two-way mode (four of the primary, three of DR)", () => {
    expect(oneWay.replication.mode).toBe("one-way");
    expect(list(oneWay)).toEqual(ONE_WAY);
  });

  it("two-way: the primary's unchanged, and DR's PostConfirmation trigger and change capture added", () => {
    expect(list(twoWay)).toEqual([
      ...ONE_WAY.slice(0, 5),
      "[dr] PostConfirmation trigger of the DR pool is cdr-dev-post-confirmation",
      ...ONE_WAY.slice(5),
      `[dr] change capture sees the DR pool's changes (trail cdr-dev-trail in ${drRegion}, rule cdr-dev-change-capture, cdr-dev-change-capture)`,
    ]);
  });

  it("two-way with an existing DR trail names that trail, not the primary's", () => {
    const drArn = `arn:aws:cloudtrail:${primaryRegion}:444455556666:trail/org-trail`;
    const env = environment("dev", { DEV_REPLICATION_MODE: "two-way", DEV_DR_CLOUDTRAIL_TRAIL_ARN: drArn });
    const [primary, dr] = checksFor(env, unused).filter((c) => c.what.startsWith("change capture"));
    expect(primary!.what).toContain("trail cdr-dev-trail,");
    expect(dr!.what).toContain(`trail ${drArn} in ${drRegion}`);
  });
});

describe("runSmoke against the regions (mocked)", () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  const dynamodb = mockClient(DynamoDBClient);
  const lambda = mockClient(LambdaClient);
  const cloudtrail = mockClient(CloudTrailClient);
  const events = mockClient(EventBridgeClient);
  const mocks = [cognito, dynamodb, lambda, cloudtrail, events];
  const stream = `arn:aws:dynamodb:${drRegion}:111122223333:table/cdr-dev-replicated-users/stream/2026`;
  const postConfirmation = "arn:aws:lambda:any:111122223333:function:cdr-dev-post-confirmation";

  beforeEach(() => {
    for (const m of mocks) m.reset();
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.stubEnv("GITHUB_STEP_SUMMARY", "");
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Name: "cdr-dev-users-primary", Id: "p-1" }, { Name: "cdr-dev-users-dr", Id: "d-1" }] });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { LambdaConfig: { PostConfirmation: postConfirmation } } });
    dynamodb.on(DescribeTableCommand).resolves({
      Table: { TableStatus: "ACTIVE", StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" }, LatestStreamArn: stream, Replicas: [{ RegionName: drRegion, ReplicaStatus: "ACTIVE" }] },
    });
    lambda.on(GetFunctionCommand).resolves({ Configuration: { FunctionArn: postConfirmation } });
    lambda.on(ListEventSourceMappingsCommand, { FunctionName: "cdr-dev-replicate-user" }).resolves({ EventSourceMappings: [{ UUID: "r-1", State: "Enabled", EventSourceArn: stream }] });
    lambda.on(ListEventSourceMappingsCommand, { FunctionName: "cdr-dev-change-capture" }).resolves({ EventSourceMappings: [{ UUID: "c-1", State: "Enabled", EventSourceArn: "arn:aws:sqs:any:111122223333:cdr-dev-change-capture" }] });
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { Name: "cdr-dev-trail", HomeRegion: "elsewhere", IsMultiRegionTrail: true } });
    cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    cloudtrail.on(GetEventSelectorsCommand).resolves({});
    events.on(DescribeRuleCommand).resolves({ State: "ENABLED" });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  /** The region of every call the run made (the clients' configured region). */
  async function regionsCalled(): Promise<Set<string>> {
    type Client = { config: { region: () => Promise<string> } };
    const clients: Client[] = mocks.flatMap((m) => m.calls().map((c: { thisValue: unknown }) => c.thisValue as Client));
    const regions = await Promise.all(clients.map((c) => c.config.region()));
    return new Set(regions);
  }

  it("one-way: seven checks in both regions, as before", async () => {
    await expect(runSmoke(oneWay, ["primary", "dr"])).resolves.toEqual({ failed: [], total: 7 });
    expect(cloudtrail.commandCalls(GetTrailCommand)).toHaveLength(1);
  });

  it("one-way, DR side only (the failover's): three checks, none of change capture", async () => {
    await expect(runSmoke(oneWay, ["dr"])).resolves.toEqual({ failed: [], total: 3 });
    expect(cloudtrail.calls()).toHaveLength(0);
    expect(events.calls()).toHaveLength(0);
  });

  it("two-way: nine checks in both regions; each region's capture asked once", async () => {
    await expect(runSmoke(twoWay, ["primary", "dr"])).resolves.toEqual({ failed: [], total: 9 });
    expect(cloudtrail.commandCalls(GetTrailCommand)).toHaveLength(2);
    expect(events.commandCalls(DescribeRuleCommand)).toHaveLength(2);
  });

  it("two-way, DR side only (the failover's): five checks, every call in the DR region", async () => {
    await expect(runSmoke(twoWay, ["dr"])).resolves.toEqual({ failed: [], total: 5 });
    expect(cloudtrail.commandCalls(GetTrailStatusCommand)[0]!.args[0].input).toEqual({ Name: "cdr-dev-trail" });
    expect(events.commandCalls(DescribeRuleCommand)[0]!.args[0].input).toEqual({ Name: "cdr-dev-change-capture" });
    expect([...(await regionsCalled())]).toEqual([drRegion]);
  });

  it("two-way: a DR pool without its PostConfirmation trigger and a stopped DR trail fail the DR side", async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { LambdaConfig: {} } });
    cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    const r = await runSmoke(twoWay, ["dr"]);
    expect(r.total).toBe(5);
    expect(r.failed).toEqual([
      "[dr] PostConfirmation trigger of the DR pool is cdr-dev-post-confirmation: the DR pool has no PostConfirmation trigger",
      expect.stringMatching(/^\[dr\] change capture sees the DR pool's changes .*: trail cdr-dev-trail is not logging/),
    ]);
  });
  describe("native mode", () => {
    const native = environment("dev", { DEV_REPLICATION_MODE: "native" });
    const trigger = `arn:aws:lambda:${drRegion}:111122223333:function:cdr-dev-pre-token`;
    beforeEach(() => {
      cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Name: "cdr-dev-users-primary", Id: "us-east-1_p1" }] });
      cognito.on(ListUserPoolReplicasCommand).resolves({ UserPoolReplicas: [{ Role: "PRIMARY", RegionName: primaryRegion, Status: "ACTIVE" }, { Role: "SECONDARY", RegionName: drRegion, Status: "ACTIVE" }] });
      cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { KeyConfiguration: { KeyType: "CUSTOMER_MANAGED_KEY" }, IssuerConfiguration: { Type: "UPDATED" }, LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: trigger, LambdaVersion: "V2_0" } } } });
    });

    it("two checks: the primary's key, issuer and replica; the secondary ACTIVE with the DR Region's trigger, asked in the DR Region only", async () => {
      expect(list(native)).toEqual([
        `[primary] user pool cdr-dev-users-primary in ${primaryRegion} has a customer managed key, the updated issuer and a replica in ${drRegion}`,
        `[dr] the replica of cdr-dev-users-primary in ${drRegion} is ACTIVE with its pre-token trigger cdr-dev-pre-token in ${drRegion}`,
      ]);
      await expect(runSmoke(native, ["primary", "dr"])).resolves.toEqual({ failed: [], total: 2 });
      cognito.resetHistory();
      await expect(runSmoke(native, ["dr"])).resolves.toEqual({ failed: [], total: 1 });
      expect([...(await regionsCalled())]).toEqual([drRegion]);
      expect(dynamodb.calls()).toHaveLength(0);
    });

    it("names what a terraform update reset, an inactive replica and the primary's trigger in DR, with the command that repairs them", async () => {
      cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: trigger.replace(drRegion, primaryRegion), LambdaVersion: "V2_0" } } } });
      cognito.on(ListUserPoolReplicasCommand).resolves({ UserPoolReplicas: [{ Role: "SECONDARY", RegionName: drRegion, Status: "INACTIVE" }] });
      const r = await runSmoke(native, ["primary", "dr"]);
      expect(r.failed).toEqual([
        expect.stringMatching(/^\[primary\] .*: an AWS owned key; issuer ORIGINAL \(npm run native-replica -- --env dev --stack primary repairs it\)$/),
        expect.stringMatching(/^\[dr\] .*: replica INACTIVE; pre-token trigger arn:aws:lambda:us-east-1:.* \(npm run native-replica -- --env dev --stack dr repairs it\)$/),
      ]);
    });
  });
});
