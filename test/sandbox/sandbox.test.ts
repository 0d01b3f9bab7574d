/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// End-to-end tests of the sandbox through the AWS SDK: global tables, passwordless users,
// Cognito triggers, quotas and faults. One sandbox (moto + gateway) for the file, started as the
// project starts it (with the core's Cognito quota table); here rather than in sandbox/ because it
// checks the sandbox against the documented AWS shapes in test/support/aws and against
// Cognito's real quota categories, which the sandbox workspace may not import. One file over 300
// lines on purpose: its four groups share the one started sandbox and its clients.

import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  DeleteItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as aws from "../support/aws";
import type { LambdaInvoker, Sandbox } from "@cognito-dr/sandbox";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { motoMissing } from "./support";

const EAST = "us-east-1";
const WEST = "us-west-2";
const skip = motoMissing();

/** A LambdaInvoker double: records events, answers with `behaviour`. */
class FakeInvoker implements LambdaInvoker {
  calls: Array<{ fn: string; region: string; event: any; timeoutMs?: number }> = [];
  behaviour: "ok" | "throw" | "hang" = "ok";
  async invoke(fn: string, region: string, event: unknown, opts?: { timeoutMs?: number }): Promise<unknown> {
    this.calls.push({ fn, region, event, timeoutMs: opts?.timeoutMs });
    if (this.behaviour === "throw") {
      const e = new Error("boom from the handler");
      e.name = "FunctionError";
      throw e;
    }
    if (this.behaviour === "hang") {
      // Like the Lambda runtime: the handler runs past timeoutMs and the invoke fails with TimeoutError.
      await new Promise((r) => setTimeout(r, opts?.timeoutMs ?? 3000));
      const e = new Error(`Task timed out after ${((opts?.timeoutMs ?? 3000) / 1000).toFixed(2)} seconds`);
      e.name = "TimeoutError";
      throw e;
    }
    return event;
  }
}

describe.skipIf(skip)("sandbox (SDK end-to-end)", () => {
  let sb: Sandbox;
  const invoker = new FakeInvoker();
  const creds = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
  const ddb = (region: string) => new DynamoDBClient({ endpoint: sb.endpoint, region, credentials: creds, maxAttempts: 1 });
  const idp = (region: string) => new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region, credentials: creds, maxAttempts: 1 });
  /** Reads a table straight from moto (works while the gateway reports an outage). */
  const motoGet = (region: string, table: string, pk: string) =>
    new DynamoDBClient({ endpoint: sb.motoEndpoint, region, credentials: creds, maxAttempts: 1 }).send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } })).then((r) => r.Item);

  /** A DynamoDB Streams call through the gateway (no streams SDK client is installed). */
  const gatewayJson = async (region: string, op: string, body: unknown): Promise<any> => {
    const res = await fetch(sb.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `DynamoDBStreams_20120810.${op}`,
        authorization: `AWS4-HMAC-SHA256 Credential=AK/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=x`,
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    // A fake invoker stands in for Lambda here, so no function exists to hold the resource policy
    // Cognito's invocation is authorized against: authorization is tested with real functions in
    // sandbox/triggers-lambda.test.ts and sandbox/authz/.
    sb = await startLocalAws({ lambda: false, lambdaInvoker: invoker, cognitoTriggerTimeoutMs: 300, authorization: false });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  describe("global tables", () => {
    const table = "users-gt";
    it("creates the replica, reports it ACTIVE in both regions and replicates items both ways without ping-pong", async () => {
      await ddb(EAST).send(
        new CreateTableCommand({
          TableName: table,
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
          StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
        }),
      );
      await ddb(EAST).send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" } }));
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "before" }, v: { N: "0" } } }));
      const kms = "arn:aws:kms:us-west-2:123456789012:key/mrk-replica";
      const up = await ddb(EAST).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Create: { RegionName: WEST, KMSMasterKeyId: kms } }] }));
      expect(up.TableDescription?.Replicas).toEqual([{ RegionName: WEST, ReplicaStatus: "ACTIVE", KMSMasterKeyId: kms }]);

      const east = (await ddb(EAST).send(new DescribeTableCommand({ TableName: table }))).Table!;
      expect(east.Replicas?.[0]).toMatchObject({ RegionName: WEST, ReplicaStatus: "ACTIVE", KMSMasterKeyId: kms });
      const west = (await ddb(WEST).send(new DescribeTableCommand({ TableName: table }))).Table!;
      expect(west.Replicas?.map((r) => r.RegionName)).toEqual([EAST]);
      expect(west.KeySchema).toEqual(east.KeySchema);
      expect(west.StreamSpecification?.StreamViewType).toBe("NEW_AND_OLD_IMAGES");
      expect(west.SSEDescription?.KMSMasterKeyArn).toBe(kms);
      // Existing items are copied to the new replica.
      expect((await ddb(WEST).send(new GetItemCommand({ TableName: table, Key: { pk: { S: "before" } } }))).Item?.v).toEqual({ N: "0" });

      const before = await sb.admin.replication();
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "a" }, v: { N: "1" } } }));
      await ddb(WEST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "b" }, v: { N: "2" } } }));
      const after = await sb.admin.flushReplication();
      expect(after.drained).toBe(true);
      expect((await ddb(WEST).send(new GetItemCommand({ TableName: table, Key: { pk: { S: "a" } } }))).Item?.v).toEqual({ N: "1" });
      expect((await ddb(EAST).send(new GetItemCommand({ TableName: table, Key: { pk: { S: "b" } } }))).Item?.v).toEqual({ N: "2" });
      // Exactly one apply per change, and each applied change seen once coming back (not re-sent).
      expect(after.counters.applied - before.counters.applied).toBe(2);
      expect(after.counters.echoesSkipped - before.counters.echoesSkipped).toBe(2);
      await new Promise((r) => setTimeout(r, 300));
      expect((await sb.admin.replication()).counters.applied).toBe(after.counters.applied);

      await ddb(WEST).send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "a" } } }));
      await sb.admin.flushReplication();
      expect(await motoGet(EAST, table, "a")).toBeUndefined();
    });

    it("honours the configured delay", async () => {
      await sb.admin.setReplicationDelay(400);
      try {
        await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "slow" } } }));
        await new Promise((r) => setTimeout(r, 200));
        expect(await motoGet(WEST, table, "slow")).toBeUndefined();
        await sb.admin.flushReplication();
        expect(await motoGet(WEST, table, "slow")).toBeDefined();
      } finally {
        await sb.admin.setReplicationDelay(0);
      }
    });

    it("last writer wins when both regions write the same item", async () => {
      await sb.admin.setReplicationDelay(300);
      try {
        await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "lww" }, v: { S: "east-first" } } }));
        await new Promise((r) => setTimeout(r, 20));
        await ddb(WEST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "lww" }, v: { S: "west-later" } } }));
        await sb.admin.flushReplication();
      } finally {
        await sb.admin.setReplicationDelay(0);
      }
      expect((await motoGet(EAST, table, "lww"))?.v).toEqual({ S: "west-later" });
      expect((await motoGet(WEST, table, "lww"))?.v).toEqual({ S: "west-later" });
    });

    it("pauses during a region outage and drains the backlog on restore", async () => {
      const f = await sb.admin.regionOutage(WEST);
      try {
        await expect(ddb(WEST).send(new GetItemCommand({ TableName: table, Key: { pk: { S: "x" } } }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
        for (let i = 0; i < 5; i++) await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: `out-${i}` } } }));
        const st = await sb.admin.flushReplication(2000);
        expect(st.drained).toBe(false);
        expect(st.pending[WEST]).toBe(5);
        expect(await motoGet(WEST, table, "out-0")).toBeUndefined();
      } finally {
        await sb.admin.clearFaults(f.id);
      }
      expect((await sb.admin.flushReplication()).drained).toBe(true);
      for (let i = 0; i < 5; i++) expect(await motoGet(WEST, table, `out-${i}`)).toBeDefined();
    });

    it("ttl-sweep deletes expired items and the deletion replicates", async () => {
      const past = Math.floor(Date.now() / 1000) - 60;
      const future = past + 3600;
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "old" }, expiresAt: { N: String(past) } } }));
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { pk: { S: "new" }, expiresAt: { N: String(future) } } }));
      await sb.admin.flushReplication();
      expect(await motoGet(WEST, table, "old")).toBeDefined();
      const r = await sb.admin.ttlSweep(EAST, table);
      expect(r).toEqual({ deleted: 1, attribute: "expiresAt" });
      await sb.admin.flushReplication();
      expect(await motoGet(EAST, table, "old")).toBeUndefined();
      expect(await motoGet(WEST, table, "old")).toBeUndefined();
      expect(await motoGet(WEST, table, "new")).toBeDefined();

      // Read through the gateway (as Lambda's pollers do): the TTL deletion carries DynamoDB's
      // service identity in the region where TTL deleted it, and none where it was replicated to.
      const removes = async (region: string) => {
        const arn = (await ddb(region).send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!;
        const d = await gatewayJson(region, "DescribeStream", { StreamArn: arn });
        const it = await gatewayJson(region, "GetShardIterator", { StreamArn: arn, ShardId: d.StreamDescription.Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON" });
        const recs = await gatewayJson(region, "GetRecords", { ShardIterator: it.ShardIterator, Limit: 1000 });
        return (recs.Records as any[]).filter((r) => r.eventName === "REMOVE" && r.dynamodb.Keys.pk.S === "old");
      };
      const east = await removes(EAST);
      expect(east).toHaveLength(1);
      expect(east[0].userIdentity).toEqual(aws.ttlUserIdentity());
      // The Streams API's record is AWS's, field for field (Lambda adds eventSourceARN when it invokes).
      expect([...Object.keys(east[0]), "eventSourceARN"].sort()).toEqual(Object.keys(aws.streamRecord("TTL_REMOVE")).sort());
      const west = await removes(WEST);
      expect(west).toHaveLength(1);
      expect(west[0].userIdentity).toBeUndefined();
      expect([...Object.keys(west[0]), "eventSourceARN"].sort()).toEqual(Object.keys(aws.streamRecord("REMOVE")).sort());
    });

    it("writes no stream record for a write that changes nothing, and replicates nothing for it", async () => {
      /** The records of `table`'s stream after sequence number `after`, read through the gateway (as Lambda and the tools read them). */
      const recordsAfter = async (region: string, after?: string): Promise<any[]> => {
        const arn = (await ddb(region).send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!;
        const d = await gatewayJson(region, "DescribeStream", { StreamArn: arn });
        const position = after ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after } : { ShardIteratorType: "TRIM_HORIZON" };
        let it = (await gatewayJson(region, "GetShardIterator", { StreamArn: arn, ShardId: d.StreamDescription.Shards[0].ShardId, ...position })).ShardIterator;
        const out: any[] = [];
        while (it) {
          const page = await gatewayJson(region, "GetRecords", { ShardIterator: it, Limit: 1000 });
          out.push(...page.Records);
          it = page.Records.length > 0 ? page.NextShardIterator : undefined;
        }
        return out;
      };
      const item = { pk: { S: "same" }, tags: { SS: ["a", "b"] }, v: { N: "1" } };
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: item }));
      await sb.admin.flushReplication();
      const tail = { [EAST]: (await recordsAfter(EAST)).at(-1)?.dynamodb.SequenceNumber, [WEST]: (await recordsAfter(WEST)).at(-1)?.dynamodb.SequenceNumber };
      const before = await sb.admin.replication();

      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: item }));
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { ...item, tags: { SS: ["b", "a"] } } })); // the same set
      await ddb(EAST).send(new UpdateItemCommand({ TableName: table, Key: { pk: item.pk }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": { N: "1" } } }));
      const after = await sb.admin.flushReplication();
      expect(await recordsAfter(EAST, tail[EAST])).toEqual([]);
      expect(await recordsAfter(WEST, tail[WEST])).toEqual([]);
      expect(after.counters.applied).toBe(before.counters.applied);

      // A write that changes the item is one MODIFY, replicated once.
      await ddb(EAST).send(new PutItemCommand({ TableName: table, Item: { ...item, v: { N: "2" } } }));
      await sb.admin.flushReplication();
      const changes = (records: any[]) => records.map((r) => [r.eventName, r.dynamodb.OldImage?.v, r.dynamodb.NewImage?.v]);
      expect(changes(await recordsAfter(EAST, tail[EAST]))).toEqual([["MODIFY", { N: "1" }, { N: "2" }]]);
      expect(changes(await recordsAfter(WEST, tail[WEST]))).toEqual([["MODIFY", { N: "1" }, { N: "2" }]]);
    });

    it("deleting the replica removes it from both regions' descriptions", async () => {
      await ddb(EAST).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Delete: { RegionName: WEST } }] }));
      expect((await ddb(EAST).send(new DescribeTableCommand({ TableName: table }))).Table?.Replicas).toBeUndefined();
      await expect(ddb(WEST).send(new DescribeTableCommand({ TableName: table }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    });
  });

  describe("cognito", () => {
    let passwordless: string;
    let classic: string;
    let clientId: string;
    const fn = "arn:aws:lambda:us-east-1:123456789012:function:post-confirmation";
    const pre = "arn:aws:lambda:us-east-1:123456789012:function:pre-token";

    beforeAll(async () => {
      const p = await idp(EAST).send(
        new CreateUserPoolCommand({
          PoolName: "passwordless",
          UserPoolTier: "ESSENTIALS",
          UsernameAttributes: ["email"],
          AutoVerifiedAttributes: ["email"],
          Policies: { SignInPolicy: { AllowedFirstAuthFactors: ["PASSWORD", "EMAIL_OTP"] } },
          LambdaConfig: { PostConfirmation: fn, PreTokenGenerationConfig: { LambdaVersion: "V2_0", LambdaArn: pre } },
          Schema: [{ Name: "canonical_id", AttributeDataType: "String", Mutable: true }],
        }),
      );
      passwordless = p.UserPool!.Id!;
      const c = await idp(EAST).send(
        new CreateUserPoolClientCommand({ UserPoolId: passwordless, ClientName: "app", ExplicitAuthFlows: ["ALLOW_USER_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }),
      );
      clientId = c.UserPoolClient!.ClientId!;
      classic = (await idp(EAST).send(new CreateUserPoolCommand({ PoolName: "classic", UsernameAttributes: ["email"] }))).UserPool!.Id!;
    });

    it("echoes the tier and sign-in policy", async () => {
      const d = await idp(EAST).send(new DescribeUserPoolCommand({ UserPoolId: passwordless }));
      expect(d.UserPool?.UserPoolTier).toBe("ESSENTIALS");
      expect(d.UserPool?.Policies?.SignInPolicy?.AllowedFirstAuthFactors).toEqual(["PASSWORD", "EMAIL_OTP"]);
    });

    it("AdminCreateUser without a password in a passwordless pool yields a CONFIRMED user, without invitation", async () => {
      await sb.admin.resetStats();
      const out = await idp(EAST).send(
        new AdminCreateUserCommand({
          UserPoolId: passwordless,
          Username: "pw-less@example.com",
          MessageAction: "SUPPRESS",
          UserAttributes: [
            { Name: "email", Value: "pw-less@example.com" },
            { Name: "email_verified", Value: "true" },
          ],
        }),
      );
      expect(out.User?.UserStatus).toBe(aws.passwordlessCreateResponse().User.UserStatus);
      // AdminCreateUser's documented response fields (its syntax also lists MFAOptions).
      const documented = Object.keys(aws.passwordlessCreateResponse().User);
      expect([...documented, "MFAOptions"]).toEqual(expect.arrayContaining(Object.keys(out.User!)));
      expect(Object.keys(out.User!)).toEqual(expect.arrayContaining(documented));
      const got = await idp(EAST).send(new AdminGetUserCommand({ UserPoolId: passwordless, Username: "pw-less@example.com" }));
      expect(got.UserStatus).toBe("CONFIRMED");
      const stats = await sb.admin.stats();
      expect(stats.regions[EAST]?.adminCreateUser).toEqual({ suppressed: 1, notSuppressed: 0, invitationsSent: 0 });
      expect(stats.regions[EAST]?.categories.UserCreation).toEqual({ accepted: 1, throttled: 0 });

      const classicUser = await idp(EAST).send(
        new AdminCreateUserCommand({ UserPoolId: classic, Username: "c@example.com", MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: "c@example.com" }] }),
      );
      expect(classicUser.User?.UserStatus).toBe("FORCE_CHANGE_PASSWORD");
    });

    it("invokes PostConfirmation with Cognito's event after ConfirmSignUp", async () => {
      invoker.calls = [];
      invoker.behaviour = "ok";
      await idp(EAST).send(
        new SignUpCommand({ ClientId: clientId, Username: "new@example.com", Password: "Passw0rd!Passw0rd", UserAttributes: [{ Name: "email", Value: "new@example.com" }] }),
      );
      await idp(EAST).send(new ConfirmSignUpCommand({ ClientId: clientId, Username: "new@example.com", ConfirmationCode: "123456" }));
      expect(invoker.calls).toHaveLength(1);
      const call = invoker.calls[0]!;
      expect(call.fn).toBe(fn);
      expect(call.region).toBe(EAST);
      expect(call.timeoutMs).toBe(300);
      expect(call.event).toMatchObject({
        version: "1",
        region: EAST,
        userPoolId: passwordless,
        triggerSource: "PostConfirmation_ConfirmSignUp",
        callerContext: { clientId },
        request: { userAttributes: { email: "new@example.com", email_verified: "true", "cognito:user_status": "CONFIRMED" } },
        response: {},
      });
      expect(call.event.request.userAttributes.sub).toMatch(/^[0-9a-f-]{36}$/);
      expect(call.event.userName).toBe(call.event.request.userAttributes.sub);
      expect(call.event.callerContext.awsSdkVersion).toMatch(/^aws-sdk-/);
      // Cognito's event, field for field (clientMetadata only when the caller sent some).
      const documented = aws.postConfirmationEvent();
      expect(Object.keys(call.event).sort()).toEqual(Object.keys(documented).sort());
      expect(Object.keys(call.event.callerContext).sort()).toEqual(Object.keys(documented.callerContext).sort());
      expect(Object.keys(documented.request)).toEqual(expect.arrayContaining(Object.keys(call.event.request)));
      for (const v of Object.values(call.event.request.userAttributes)) expect(typeof v).toBe("string");
    });

    it("turns a failing trigger into UserLambdaValidationException and a hanging one into UnexpectedLambdaException", async () => {
      invoker.behaviour = "throw";
      await idp(EAST).send(new SignUpCommand({ ClientId: clientId, Username: "f@example.com", Password: "Passw0rd!Passw0rd", UserAttributes: [{ Name: "email", Value: "f@example.com" }] }));
      await expect(idp(EAST).send(new AdminConfirmSignUpCommand({ UserPoolId: passwordless, Username: "f@example.com" }))).rejects.toMatchObject({
        name: "UserLambdaValidationException",
        message: "PostConfirmation failed with error boom from the handler.",
      });
      invoker.behaviour = "hang";
      await idp(EAST).send(new SignUpCommand({ ClientId: clientId, Username: "h@example.com", Password: "Passw0rd!Passw0rd", UserAttributes: [{ Name: "email", Value: "h@example.com" }] }));
      await expect(idp(EAST).send(new ConfirmSignUpCommand({ ClientId: clientId, Username: "h@example.com", ConfirmationCode: "1" }))).rejects.toMatchObject({
        name: "UnexpectedLambdaException",
      });
      invoker.behaviour = "ok";
      const adminConfirm = invoker.calls.at(-2)!.event;
      expect(adminConfirm.callerContext.clientId).toBe("CLIENT_ID_NOT_APPLICABLE");
    });

    it("invokes PostConfirmation with PostConfirmation_ConfirmForgotPassword after ConfirmForgotPassword", async () => {
      invoker.calls = [];
      await idp(EAST).send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: "new@example.com", ConfirmationCode: "123456", Password: "N3w!Passw0rd!x" }));
      expect(invoker.calls).toHaveLength(1);
      expect(invoker.calls[0]!.event).toMatchObject({ triggerSource: "PostConfirmation_ConfirmForgotPassword", callerContext: { clientId } });
    });

    it("invokes PreTokenGeneration (V2) on sign-in and records it", async () => {
      await sb.admin.clearTriggers();
      await idp(EAST).send(new AdminSetUserPasswordCommand({ UserPoolId: passwordless, Username: "new@example.com", Password: "Passw0rd!Passw0rd", Permanent: true }));
      const auth = await idp(EAST).send(
        new AdminInitiateAuthCommand({
          UserPoolId: passwordless,
          ClientId: clientId,
          AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: "new@example.com", PASSWORD: "Passw0rd!Passw0rd" },
        }),
      );
      expect(auth.AuthenticationResult?.IdToken).toBeTruthy();
      const log = await sb.admin.triggers();
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ trigger: "PreTokenGeneration", triggerSource: "TokenGeneration_Authentication", functionArn: pre });
      const documented = aws.preTokenV2Event();
      expect(Object.keys(log[0]!.event as object).sort()).toEqual(Object.keys(documented).sort());
      const event = log[0]!.event as { request: object };
      expect(Object.keys(documented.request)).toEqual(expect.arrayContaining(Object.keys(event.request)));
      expect(log[0]!.event).toMatchObject({ version: documented.version, request: { userAttributes: { email: "new@example.com" }, groupConfiguration: { groupsToOverride: [] } } });
      expect(log[0]!.result).toBeDefined();
    });
  });

  describe("passwordless sign-in (USER_AUTH + EMAIL_OTP)", () => {
    let pool: string;
    let client: string;
    beforeAll(async () => {
      pool = (
        await idp(WEST).send(
          new CreateUserPoolCommand({
            PoolName: "dr",
            UserPoolTier: "ESSENTIALS",
            UsernameAttributes: ["email"],
            Policies: { SignInPolicy: { AllowedFirstAuthFactors: ["PASSWORD", "EMAIL_OTP"] } },
          }),
        )
      ).UserPool!.Id!;
      client = (await idp(WEST).send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: "app", ExplicitAuthFlows: ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] })))
        .UserPoolClient!.ClientId!;
      await idp(WEST).send(
        new AdminCreateUserCommand({
          UserPoolId: pool,
          Username: "otp@example.com",
          MessageAction: "SUPPRESS",
          UserAttributes: [
            { Name: "email", Value: "otp@example.com" },
            { Name: "email_verified", Value: "true" },
          ],
        }),
      );
    });

    it("signs a replicated (password-less) user in with an emailed code", async () => {
      const start = await idp(WEST).send(
        new InitiateAuthCommand({ ClientId: client, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "otp@example.com", PREFERRED_CHALLENGE: "EMAIL_OTP" } }),
      );
      expect(start.ChallengeName).toBe("EMAIL_OTP");
      expect(start.ChallengeParameters?.CODE_DELIVERY_DELIVERY_MEDIUM).toBe("EMAIL");
      const [msg] = (await sb.admin.outbox("otp@example.com")).slice(-1);
      expect(msg!.code).toMatch(/^\d{8}$/);
      await expect(
        idp(WEST).send(new RespondToAuthChallengeCommand({ ClientId: client, ChallengeName: "EMAIL_OTP", Session: start.Session, ChallengeResponses: { USERNAME: "otp@example.com", EMAIL_OTP_CODE: "00000000" === msg!.code ? "11111111" : "00000000" } })),
      ).rejects.toMatchObject({ name: "CodeMismatchException" });
      const done = await idp(WEST).send(
        new RespondToAuthChallengeCommand({ ClientId: client, ChallengeName: "EMAIL_OTP", Session: start.Session, ChallengeResponses: { USERNAME: "otp@example.com", EMAIL_OTP_CODE: msg!.code } }),
      );
      expect(done.AuthenticationResult?.AccessToken).toBeTruthy();
      const me = await idp(WEST).send(new GetUserCommand({ AccessToken: done.AuthenticationResult!.AccessToken }));
      expect(me.UserAttributes?.find((a) => a.Name === "email")?.Value).toBe("otp@example.com");
    });

    it("offers SELECT_CHALLENGE without a preference, and keeps a known password working", async () => {
      await idp(WEST).send(new SignUpCommand({ ClientId: client, Username: "both@example.com", Password: "Passw0rd!Passw0rd", UserAttributes: [{ Name: "email", Value: "both@example.com" }] }));
      await idp(WEST).send(new AdminConfirmSignUpCommand({ UserPoolId: pool, Username: "both@example.com" }));
      const sel = await idp(WEST).send(new InitiateAuthCommand({ ClientId: client, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "both@example.com" } }));
      expect(sel.ChallengeName).toBe("SELECT_CHALLENGE");
      expect(sel.AvailableChallenges).toEqual(["EMAIL_OTP", "PASSWORD", "PASSWORD_SRP"]);
      const otp = await idp(WEST).send(new RespondToAuthChallengeCommand({ ClientId: client, ChallengeName: "SELECT_CHALLENGE", Session: sel.Session, ChallengeResponses: { USERNAME: "both@example.com", ANSWER: "EMAIL_OTP" } }));
      expect(otp.ChallengeName).toBe("EMAIL_OTP");
      const code = (await sb.admin.outbox("both@example.com")).at(-1)!.code;
      const tokens = await idp(WEST).send(new RespondToAuthChallengeCommand({ ClientId: client, ChallengeName: "EMAIL_OTP", Session: otp.Session, ChallengeResponses: { USERNAME: "both@example.com", EMAIL_OTP_CODE: code } }));
      expect(tokens.AuthenticationResult?.IdToken).toBeTruthy();
      // The user's own password still works after the OTP sign-in.
      const pw = await idp(WEST).send(
        new InitiateAuthCommand({ ClientId: client, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "both@example.com", PREFERRED_CHALLENGE: "PASSWORD", PASSWORD: "Passw0rd!Passw0rd" } }),
      );
      expect(pw.AuthenticationResult?.AccessToken).toBeTruthy();
      await expect(
        idp(WEST).send(new InitiateAuthCommand({ ClientId: client, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "nobody@example.com", PREFERRED_CHALLENGE: "EMAIL_OTP" } })),
      ).rejects.toMatchObject({ name: "UserNotFoundException" });
    });
  });

  it("SQS answers RedrivePolicy as compact JSON, like AWS (terraform plans it empty)", async () => {
    const sqs = new SQSClient({ endpoint: sb.endpoint, region: EAST, credentials: creds, maxAttempts: 1 });
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: "sbx-dlq" }));
    expect(dlq.QueueUrl).toBe(`${sb.endpoint}/123456789012/sbx-dlq`);
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const policy = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 });
    const q = await sqs.send(new CreateQueueCommand({ QueueName: "sbx-q", Attributes: { RedrivePolicy: policy } }));
    const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ["All"] }));
    expect(got.Attributes?.RedrivePolicy).toBe(policy);
  });

  describe("quotas and faults", () => {
    it("throttles over-quota calls exactly like Cognito and counts them", async () => {
      const pool = (await idp(WEST).send(new CreateUserPoolCommand({ PoolName: "quota" }))).UserPool!.Id!;
      await sb.admin.resetStats();
      // A bucket of 5 that barely refills: deterministic however slow this machine is right now.
      await sb.admin.setQuota({ region: WEST, category: "UserCreation", ratePerSecond: 0.01, burst: 5 });
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 15 }, (_, i) =>
            idp(WEST).send(new AdminCreateUserCommand({ UserPoolId: pool, Username: `q${i}`, MessageAction: "SUPPRESS" })),
          ),
        );
        const rejected = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
        expect(rejected.length).toBe(10);
        expect(rejected[0]!.reason).toMatchObject({ name: "TooManyRequestsException", message: "Too many requests", $metadata: { httpStatusCode: 400 } });
        const stats = await sb.admin.stats();
        expect(stats.regions[WEST]!.categories.UserCreation!.throttled).toBe(rejected.length);
        expect(stats.regions[WEST]!.categories.UserCreation!.accepted).toBe(15 - rejected.length);

        // The raw answer: status, header and body as Cognito sends them.
        const raw = await fetch(sb.endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "AWSCognitoIdentityProviderService.AdminCreateUser",
            authorization: "AWS4-HMAC-SHA256 Credential=AK/20260101/us-west-2/cognito-idp/aws4_request, SignedHeaders=host, Signature=x",
          },
          body: JSON.stringify({ UserPoolId: pool, Username: "raw" }),
        });
        const documented = aws.cognitoError("TooManyRequestsException");
        expect(raw.status).toBe(documented.status);
        expect(raw.headers.get("x-amzn-errortype")).toBe(documented.body.__type);
        expect(await raw.json()).toEqual({ ...documented.body, message: "Too many requests" });
        // Other regions keep the default quota.
        const eastPool = (await idp(EAST).send(new CreateUserPoolCommand({ PoolName: "quota-east" }))).UserPool!.Id!;
        const east = await Promise.allSettled(
          Array.from({ length: 15 }, (_, i) => idp(EAST).send(new AdminCreateUserCommand({ UserPoolId: eastPool, Username: `e${i}`, MessageAction: "SUPPRESS" }))),
        );
        expect(east.every((r) => r.status === "fulfilled")).toBe(true);
      } finally {
        await sb.admin.resetQuotas();
      }
    });

    it("enforces per-user quotas when turned on", async () => {
      const pool = (await idp(EAST).send(new CreateUserPoolCommand({ PoolName: "per-user" }))).UserPool!.Id!;
      for (const u of ["hot", "cold"]) await idp(EAST).send(new AdminCreateUserCommand({ UserPoolId: pool, Username: u, MessageAction: "SUPPRESS" }));
      await sb.admin.setQuota({ category: "UserReadPerUser", ratePerSecond: 0.01, burst: 10 });
      try {
        const hot = await Promise.allSettled(Array.from({ length: 20 }, () => idp(EAST).send(new AdminGetUserCommand({ UserPoolId: pool, Username: "hot" }))));
        const throttledHot = hot.filter((r) => r.status === "rejected");
        expect(throttledHot.length).toBe(10);
        expect((throttledHot[0] as PromiseRejectedResult).reason).toMatchObject({ name: "TooManyRequestsException" });
        // Another user is not affected.
        await idp(EAST).send(new AdminGetUserCommand({ UserPoolId: pool, Username: "cold" }));
      } finally {
        await sb.admin.resetQuotas();
      }
    });

    it("injects service errors, latency and outages per service and region", async () => {
      const errors = await sb.admin.injectFault({ service: "dynamodb", region: EAST, errorRate: 1 });
      try {
        await expect(ddb(EAST).send(new DescribeTableCommand({ TableName: "users-gt" }))).rejects.toMatchObject({
          name: "InternalServerError",
          $metadata: { httpStatusCode: 500 },
        });
        // Other region, other service: untouched.
        await expect(ddb(WEST).send(new DescribeTableCommand({ TableName: "nope" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
        await idp(EAST).send(new DescribeUserPoolCommand({ UserPoolId: (await idp(EAST).send(new CreateUserPoolCommand({ PoolName: "f" }))).UserPool!.Id! }));
      } finally {
        await sb.admin.clearFaults(errors.id);
      }
      const cog = await sb.admin.injectFault({ service: "cognito-idp", region: WEST, errorRate: 1, operations: ["ListUserPools"] });
      await expect(idp(WEST).send(new (await import("@aws-sdk/client-cognito-identity-provider")).ListUserPoolsCommand({ MaxResults: 1 }))).rejects.toMatchObject({
        name: "InternalErrorException",
        $metadata: { httpStatusCode: 500 },
      });
      await sb.admin.clearFaults(cog.id);

      await sb.admin.injectFault({ service: "dynamodb", region: WEST, latencyMs: 300 });
      const t0 = Date.now();
      await ddb(WEST).send(new DescribeTableCommand({ TableName: "nope" })).catch(() => undefined);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      await sb.admin.clearFaults();

      await sb.admin.regionOutage(EAST);
      await expect(idp(EAST).send(new CreateUserPoolCommand({ PoolName: "down" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
      await expect(ddb(EAST).send(new DescribeTableCommand({ TableName: "users-gt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
      await sb.admin.clearFaults();
      await ddb(EAST).send(new DescribeTableCommand({ TableName: "users-gt" }));
      expect(await sb.admin.listFaults()).toEqual([]);
    });
  });
});
