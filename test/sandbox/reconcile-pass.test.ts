// The scheduled reconcile's pass across invocations against the sandbox (no deploy): the handler's
// makeHandler with real Cognito, DynamoDB and S3 clients, two pools of a few hundred users with
// drift of several kinds, and a time budget so small that one pass takes several invocations. Its
// one report must be what one run of the reconcile core (the CLI's) says of the same pools.
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolCommand,
  type AttributeType,
} from "@aws-sdk/client-cognito-identity-provider";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { Sandbox } from "@cognito-dr/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE_KEY } from "../../handlers/contract";
import { DriftRemainsError, makeHandler, type ReconcileConfig } from "../../handlers/reconcile/handler";
import { s3Store, StoreConflict } from "../../handlers/reconcile/store";
import { reconcilePools } from "../../handlers/replication/reconcile";
import { replicationConfig } from "../../handlers/replication/replication-config";
import { createLogger } from "../../handlers/shared/logger";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { logLines } from "../support/logs";
import { captureOutput } from "../support/pii-guard";
import { recordingMetrics } from "../support/fakes";
import { motoMissing } from "./support";

const skip = motoMissing();
const EAST = "us-east-1";
const WEST = "us-west-2";
const creds = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
const USERS = 240;

describe.skipIf(skip)("scheduled reconcile: one pass over several invocations (sandbox)", () => {
  let sb: Sandbox;
  let primaryPoolId: string;
  let drPoolId: string;
  const idp = (region: string) => new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region, credentials: creds, maxAttempts: 3 });
  const bucket = "cdr-test-reconcile-123456789012-us-west-2";
  const table = "cdr-test-replicated-users";

  beforeAll(async () => {
    sb = await startLocalAws({ lambda: false, authorization: false });
    const pool = async (region: string, name: string) =>
      (
        await idp(region).send(
          new CreateUserPoolCommand({
            PoolName: name,
            UserPoolTier: "ESSENTIALS",
            AutoVerifiedAttributes: ["email"],
            Policies: { SignInPolicy: { AllowedFirstAuthFactors: ["PASSWORD", "EMAIL_OTP"] } },
            Schema: [{ Name: "canonical_id", AttributeDataType: "String", Mutable: true }],
          }),
        )
      ).UserPool!.Id!;
    primaryPoolId = await pool(EAST, "cdr-test-users-primary");
    drPoolId = await pool(WEST, "cdr-test-users-dr");
    await new DynamoDBClient({ endpoint: sb.endpoint, region: WEST, credentials: creds }).send(
      new CreateTableCommand({ TableName: table, BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: TABLE_KEY, AttributeType: "S" }], KeySchema: [{ AttributeName: TABLE_KEY, KeyType: "HASH" }] }),
    );
    await new S3Client({ endpoint: sb.endpoint, region: WEST, credentials: creds, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: WEST } }));
    for (const [region, poolId] of [[EAST, primaryPoolId], [WEST, drPoolId]] as const) await idp(region).send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: "admins" }));

    const attrs = (i: number, extra: AttributeType[] = []): AttributeType[] => [
      { Name: "email", Value: `user${i}@example.com` },
      { Name: "email_verified", Value: "true" },
      { Name: "given_name", Value: `Given${i}` },
      ...extra,
    ];
    const create = (region: string, poolId: string, username: string, attributes: AttributeType[]) =>
      idp(region).send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: username, MessageAction: "SUPPRESS", UserAttributes: attributes }));
    // Drift: 8 missing in DR, 4 with another given_name, 3 disabled in DR only, 2 in a group in
    // the primary only, 3 DR users whose canonical id no primary user has.
    for (let i = 0; i < USERS; i++) {
      const u = (await create(EAST, primaryPoolId, `p${i}`, attrs(i))).User!;
      const sub = u.Attributes!.find((a) => a.Name === "sub")!.Value!;
      if (i < 8) continue;
      const changed = i < 12 ? [{ Name: "given_name", Value: `Other${i}` }] : [];
      const base = attrs(i).filter((a) => !changed.some((c) => c.Name === a.Name));
      await create(WEST, drPoolId, `d${i}`, [...base, ...changed, { Name: "custom:canonical_id", Value: sub }]);
      if (i >= 12 && i < 15) await idp(WEST).send(new AdminDisableUserCommand({ UserPoolId: drPoolId, Username: `d${i}` }));
      if (i >= 15 && i < 17) await idp(EAST).send(new AdminAddUserToGroupCommand({ UserPoolId: primaryPoolId, Username: `p${i}`, GroupName: "admins" }));
    }
    for (let i = 0; i < 3; i++) await create(WEST, drPoolId, `gone${i}`, [...attrs(1000 + i), { Name: "custom:canonical_id", Value: `0000000${i}-dead-4bad-8bad-000000000000` }]);
  }, 180_000);

  afterAll(async () => {
    await sb?.stop();
  });

  it("needs three invocations or more, reports once, and reports what one run of the core reports", { timeout: 180_000 }, async () => {
    const config: ReconcileConfig = {
      primaryRegion: EAST,
      primaryPoolName: "cdr-test-users-primary",
      drRegion: WEST,
      targetPoolId: drPoolId,
      tableName: table,
      apply: false,
      allowDelete: false,
      quotaShare: 1,
      ttlDays: 30,
      replication: replicationConfig(),
      passIntervalMinutes: 60,
      // A few ListUsers pages per invocation: the pass's 34 units need several.
      timeBudgetSeconds: 0.25,
    };
    const output = captureOutput();
    const metrics = recordingMetrics();
    const statuses: string[] = [];
    try {
      const handler = makeHandler({
        config,
        primary: idp(EAST),
        dr: idp(WEST),
        ddb: new DynamoDBClient({ endpoint: sb.endpoint, region: WEST, credentials: creds }),
        store: s3Store(new S3Client({ endpoint: sb.endpoint, region: WEST, credentials: creds, forcePathStyle: true }), bucket),
        logger: createLogger({ logLevel: "INFO" }),
        metrics,
      });
      for (let i = 0; i < 60 && statuses.at(-1) !== "completed"; i++) {
        // A context with plenty of time left: the configured budget is what limits each invocation.
        const out = await handler({}, { getRemainingTimeInMillis: () => 600_000 }).catch((err: unknown) => {
          if (err instanceof DriftRemainsError) return { status: "completed" };
          throw err;
        });
        statuses.push(out.status);
      }
    } finally {
      output.restore();
    }
    expect(statuses.at(-1)).toBe("completed");
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(statuses.slice(0, -1).every((s) => s === "in-progress")).toBe(true);
    const finished = logLines(output.lines).filter((l) => l.message === "reconcile finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]!.invocations).toBe(statuses.length);
    expect(metrics.entries.filter((e) => e.name === "ReconcileDrift")).toEqual([expect.objectContaining({ value: 20 })]);

    // One run of the core over the same pools, listing them itself (what `npm run reconcile` runs).
    const once = await reconcilePools({ primary: idp(EAST), dr: idp(WEST), primaryPoolId, drPoolId, primaryRegion: EAST, config: replicationConfig(), ttlDays: 30 });
    expect(once.counts).toMatchObject({ primaryUsers: USERS, drUsers: USERS - 8 + 3, missing_in_dr: 8, attributes: 4, enabled: 3, groups: 2, extra_in_dr: 3 });
    expect(finished[0]!.counts).toEqual(once.counts);
    const items = (drift: Array<{ kind: string; canonicalId?: string; detail: string }>) => drift.map((d) => `${d.kind} ${d.canonicalId} ${d.detail}`).sort();
    expect(items(finished[0]!.sample as never)).toEqual(items(once.drift));
  });

  it("keeps the checkpoint's conditional writes: a second first write, or a write on a version read before another's, is refused", async () => {
    const store = s3Store(new S3Client({ endpoint: sb.endpoint, region: WEST, credentials: creds, forcePathStyle: true }), bucket);
    const key = "reconcile/conditional-test.json";
    const v1 = await store.putIf(key, '{"n":1}', undefined);
    await expect(store.putIf(key, '{"n":1}', undefined)).rejects.toThrow(StoreConflict);
    const read = await store.getVersioned(key);
    expect(read).toEqual({ body: '{"n":1}', version: v1 });
    await store.putIf(key, '{"n":2}', v1);
    await expect(store.putIf(key, '{"n":3}', v1)).rejects.toThrow(StoreConflict);
    expect(await store.get(key)).toBe('{"n":2}');
    await store.delete(key);
  });
});
