import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { PreSignUpTriggerEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { FAILOVER_CONTROL_KEY, TABLE_KEY } from "../contract";
import { ConfigError, readPreSignUpConfig } from "../shared/env";
import { recordingMetrics, testLogger, type RecordingMetrics } from "../../test/support/fakes";
import { makeHandler, SIGNUPS_CLOSED, SIGNUPS_UNKNOWN } from "./handler";

const ddb = mockClient(DynamoDBClient);
beforeEach(() => ddb.reset());

function event(triggerSource: PreSignUpTriggerEvent["triggerSource"]): PreSignUpTriggerEvent {
  return {
    version: "1",
    region: "us-west-2",
    userPoolId: "us-west-2_dr",
    userName: "someone",
    callerContext: { awsSdkVersion: "x", clientId: "client" },
    triggerSource,
    request: { userAttributes: { email: "someone@example.com" } },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  };
}

let metrics: RecordingMetrics = recordingMetrics();
beforeEach(() => (metrics = recordingMetrics()));
const handlerFor = (policy: string) => (e: PreSignUpTriggerEvent) =>
  makeHandler({ ddb: ddb as unknown as DynamoDBClient, config: readPreSignUpConfig({ SIGNUP_POLICY: policy, TABLE_NAME: "cdr-test-users" }), logger: testLogger(), metrics })(e);
const counted = (name: string) => metrics.total(name);
const failover = (state: string | undefined) => ddb.on(GetItemCommand).resolves(state ? { Item: { [TABLE_KEY]: { S: FAILOVER_CONTROL_KEY }, state: { S: state } } } : {});

describe("one-way mode (policy never)", () => {
  const handler = handlerFor("never");
  it("refuses self sign-ups and first federated sign-ins without reading anything", async () => {
    await expect(handler(event("PreSignUp_SignUp"))).rejects.toThrow(SIGNUPS_CLOSED);
    await expect(handler(event("PreSignUp_ExternalProvider"))).rejects.toThrow(SIGNUPS_CLOSED);
    expect(ddb.calls()).toHaveLength(0);
    // Refusals are counted, never as the alarm's metric.
    expect(counted("SignUpsRefused")).toBe(2);
    expect(counted("FailoverStateUnreadable")).toBe(0);
  });
  it("lets administrators' creates through (the replicator's AdminCreateUser)", async () => {
    const e = event("PreSignUp_AdminCreateUser");
    await expect(handler(e)).resolves.toBe(e);
  });
});

describe("two-way mode (policy while-failed-over)", () => {
  const handler = handlerFor("while-failed-over");
  it("allows self sign-ups while the failover step has marked the environment failed over", async () => {
    failover("failed-over");
    const e = event("PreSignUp_SignUp");
    await expect(handler(e)).resolves.toBe(e);
    const input = ddb.commandCalls(GetItemCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: "cdr-test-users", Key: { [TABLE_KEY]: { S: FAILOVER_CONTROL_KEY } }, ConsistentRead: true });
  });
  it("refuses them after failback (state normal) and before any failover (no item)", async () => {
    failover("normal");
    await expect(handler(event("PreSignUp_SignUp"))).rejects.toThrow(SIGNUPS_CLOSED);
    failover(undefined);
    await expect(handler(event("PreSignUp_SignUp"))).rejects.toThrow(SIGNUPS_CLOSED);
  });
  it("fails closed when the state cannot be read", async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    await expect(handler(event("PreSignUp_SignUp"))).rejects.toThrow(SIGNUPS_UNKNOWN);
    expect(counted("FailoverStateUnreadable")).toBe(1);
    expect(counted("SignUpsRefused")).toBe(0);
  });
  it("never reads for administrators' creates", async () => {
    await handler(event("PreSignUp_AdminCreateUser"));
    expect(ddb.calls()).toHaveLength(0);
  });
  it("the refusal names no user data", async () => {
    failover("normal");
    const err = await handler(event("PreSignUp_SignUp")).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toMatch(/someone/);
  });
});

describe("config", () => {
  it("requires a known policy and the table", () => {
    expect(() => readPreSignUpConfig({ TABLE_NAME: "t" })).toThrow(ConfigError);
    expect(() => readPreSignUpConfig({ SIGNUP_POLICY: "always", TABLE_NAME: "t" })).toThrow(/SIGNUP_POLICY must be one of "never", "while-failed-over"/);
    expect(() => readPreSignUpConfig({ SIGNUP_POLICY: "never" })).toThrow(/TABLE_NAME is required/);
  });
});
