// Native mode on the real `local` stacks (sandbox, authorization enforced): the stacks applied as
// the pipeline's roles with the deploy step after each (scripts/lib/native-replica/deploy.ts), then
// what the mode promises and what AWS documents it refuses:
// - the replica ACTIVE in the DR Region, its per-Region trigger the DR stack's function, the pool's
//   key the stacks' multi-Region key and the updated issuer; a plan after the deploy is empty;
// - a user who signed up in the primary signs in at the DR Region with the same sub, the DR
//   trigger putting the canonical id (the sub) in the token;
// - a sign-up or an administrator's create at the secondary fails with OperationNotEnabledException;
// - the pipeline's smoke checks pass as each deploy role, and `npm run drift` as the operator role
//   and as the plan role (the verify job) finds nothing after the deploy;
// - a later terraform update of the primary pool (which resets the key and issuer) is reported by
//   drift and repaired by the next step, and a re-run takes no step.
import { regionalEndpoint } from "@cognito-dr/sandbox";
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  DescribeUserPoolCommand,
  ListUserPoolReplicasCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxCredentials } from "../../scripts/lib/clients";
import { nativeReplicaStep } from "../../scripts/lib/native-replica/deploy";
import { pipelineSession } from "../../scripts/lib/pipeline-session";
import { signInWithEmailOtp, triggerCanonicalIdOf } from "../../scripts/drills/gameday-run";
import { drift } from "../../scripts/operator/drift";
import { runSmoke } from "../../scripts/operator/smoke-checks";
import { missingTools, operatorSession, startWorld, type World } from "./harness";

const skip = missingTools();
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

describe.skipIf(skip)("native replication mode (sandbox, real stacks, authorization enforced)", () => {
  let w: World;
  const steps: string[] = [];
  beforeAll(async () => {
    w = await startWorld({ mode: "native" });
  }, 900_000);
  afterAll(async () => {
    await w?.stop();
  }, 600_000);

  /** Runs `fn` with a role session's credentials in the environment, as a tool run by that role would (native `local`). */
  async function asRole<T>(session: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, fn: () => Promise<T>): Promise<T> {
    const keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "SANDBOX_ENDPOINT", "LOCAL_REPLICATION_MODE"] as const;
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: session.accessKeyId, AWS_SECRET_ACCESS_KEY: session.secretAccessKey, AWS_SESSION_TOKEN: session.sessionToken ?? "", SANDBOX_ENDPOINT: w.sandbox.endpoint, LOCAL_REPLICATION_MODE: "native" });
    try {
      return await fn();
    } finally {
      for (const k of keys) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  }

  /** `npm run drift -- --env local --json` as the operator role (npm run operator-policy), or as the plan role (the verify job, drift.yml). */
  async function driftAs(who: "operator" | "plan"): Promise<{ code: number; json: { differences: unknown[]; replica: Array<{ check: string }> }; err: string }> {
    const io = { out: "", err: "", isTTY: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    const { env } = w.deployment;
    const session = who === "operator" ? await operatorSession(w) : (await pipelineSession(env, "plan", env.primaryRegion))!;
    const code = await asRole(session, () => drift.run(["--env", "local", "--json"], io));
    return { code, json: io.out ? JSON.parse(io.out) : undefined, err: io.err };
  }

  const regional = (region: string) => new CognitoIdentityProviderClient({ region, endpoint: regionalEndpoint(w.sandbox.endpoint, region), credentials: sandboxCredentials({}) });

  it("deploys the replica ACTIVE with the DR Region's trigger, the pool key and the updated issuer; a plan after is empty", { timeout: 300_000 }, async () => {
    const { env, primary, dr } = w.deployment;
    const poolId = primary.user_pool_id!;
    expect(dr.user_pool_id).toBe(poolId);
    const replicas = (await w.primary.cognito.send(new ListUserPoolReplicasCommand({ UserPoolId: poolId }))).UserPoolReplicas ?? [];
    expect(replicas.find((r) => r.Role === "SECONDARY")).toMatchObject({ RegionName: env.drRegion, Status: "ACTIVE" });
    const main = (await w.primary.cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    expect(main.KeyConfiguration).toMatchObject({ KeyType: "CUSTOMER_MANAGED_KEY", KmsKeyArn: primary.pool_key_arn });
    expect(main.IssuerConfiguration?.Type).toBe("UPDATED");
    const secondary = (await w.dr.cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    expect(secondary.LambdaConfig?.PreTokenGenerationConfig?.LambdaArn).toBe(dr.pre_token_function_arn);
    expect(secondary.KeyConfiguration?.KmsKeyArn).toBe(dr.pool_key_arn);
    expect(secondary.UserPoolTags).toMatchObject({ env: "local" });
    expect(await w.deployment.planChanges()).toBe(false);
    // The smoke checks the pipeline runs after each apply, as that stack's deploy role.
    const { env: e } = w.deployment;
    for (const role of ["primary", "dr"] as const) {
      const session = (await pipelineSession(e, role, role === "primary" ? e.primaryRegion : e.drRegion))!;
      expect(await asRole(session, () => runSmoke(e, [role])), role).toEqual({ failed: [], total: 1 });
    }
    // Drift, as the operator role and as the plan role: the two Regions' pools and pre-token functions equal, the replica, key and issuer right.
    for (const who of ["operator", "plan"] as const) {
      const clean = await driftAs(who);
      expect(clean.err, who).toBe("");
      expect([clean.code, clean.json.differences, clean.json.replica], who).toEqual([0, [], []]);
    }
  });

  it("a user who signed up in the primary signs in at DR with the same sub and the DR trigger's canonical id; sign-up and admin create there fail as AWS documents", { timeout: 120_000 }, async () => {
    const { env, primary } = w.deployment;
    const clientId = primary.app_client_id!;
    const email = `native-${Date.now()}@example.com`;
    const atPrimary = regional(env.primaryRegion);
    const atDr = regional(env.drRegion);
    const { UserSub } = await atPrimary.send(new SignUpCommand({ ClientId: clientId, Username: email, Password: "Native-Passw0rd!", UserAttributes: [{ Name: "email", Value: email }] }));
    await atPrimary.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: "000000" }));
    await w.sandbox.admin.flushCognitoReplicas();

    const tokens = await signInWithEmailOtp(atDr, w.sandbox, clientId, email).catch(async (e: Error) => {
      const last = (await w.sandbox.admin.triggers()).filter((t) => t.error).at(-1);
      throw new Error(`${e.name}: ${e.message}; last trigger error: ${JSON.stringify(last && { region: last.region, pool: last.userPoolId, fn: last.functionArn, error: last.error })}`);
    });
    const id = claims(tokens.IdToken!);
    expect(id.sub).toBe(UserSub);
    // The sandbox does not rewrite claims: what the DR trigger answered is checked instead.
    expect(id.iss).toBe(`https://issuer-cognito-idp.${env.primaryRegion}.amazonaws.com/${primary.user_pool_id}`);
    const trigger = (await w.sandbox.admin.triggers()).filter((t) => t.trigger === "PreTokenGeneration" && t.region === env.drRegion).at(-1);
    expect([trigger?.functionArn, trigger?.userPoolId]).toEqual([w.deployment.dr.pre_token_function_arn, primary.user_pool_id]);
    expect(await triggerCanonicalIdOf(w.sandbox, primary.user_pool_id!, email, env.drRegion)).toBe(UserSub);

    const other = `native-dr-${Date.now()}@example.com`;
    await expect(atDr.send(new SignUpCommand({ ClientId: clientId, Username: other, Password: "Native-Passw0rd!", UserAttributes: [{ Name: "email", Value: other }] }))).rejects.toMatchObject({ name: "OperationNotEnabledException" });
    await expect(w.dr.cognito.send(new AdminCreateUserCommand({ UserPoolId: primary.user_pool_id, Username: other, MessageAction: "SUPPRESS" }))).rejects.toMatchObject({ name: "OperationNotEnabledException" });
    atPrimary.destroy();
    atDr.destroy();
  });

  it("a terraform update of the primary pool resets its key and issuer; the next step repairs them, and a re-run takes no step", { timeout: 300_000 }, async () => {
    const { env, stackDirs } = w.deployment;
    const log = (line: string) => steps.push(line);
    // Any change terraform sends as an UpdateUserPool (here, the password policy; tags go by
    // TagResource) drops KeyConfiguration and IssuerConfiguration.
    const { readFileSync, writeFileSync } = await import("node:fs");
    const file = `${stackDirs.primary}/cdk.tf.json`;
    const original = readFileSync(file, "utf8");
    const json = JSON.parse(original);
    const [poolName] = Object.keys(json.resource.aws_cognito_user_pool);
    json.resource.aws_cognito_user_pool[poolName!].password_policy.minimum_length = 14;
    writeFileSync(file, JSON.stringify(json));
    try {
      await (await w.deployment.runnerAs("primary")).apply(stackDirs.primary);
    } finally {
      writeFileSync(file, original);
    }
    const poolId = w.deployment.primary.user_pool_id!;
    expect((await w.primary.cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool?.IssuerConfiguration?.Type ?? "ORIGINAL").toBe("ORIGINAL");
    // Drift reports both (the pool settings may differ too, until the secondary syncs the new policy).
    const drifted = await driftAs("operator");
    expect(drifted.code).toBe(1);
    expect(drifted.json.replica.map((f) => f.check)).toEqual(["key", "issuer"]);
    const credentials = await pipelineSession(env, "primary", env.primaryRegion);
    const repaired = await nativeReplicaStep(env, "primary", { primary: w.deployment.primary }, { credentials, log, pollMs: 200 });
    expect(repaired.map((s) => s.kind)).toEqual(["configure-primary"]);
    const again = await nativeReplicaStep(env, "primary", { primary: w.deployment.primary }, { credentials, log, pollMs: 200 });
    expect(again).toEqual([]);
    // The DR role's step finds nothing to do either (the secondary kept its settings).
    const drAgain = await nativeReplicaStep(env, "dr", { primary: w.deployment.primary, dr: w.deployment.dr }, { credentials: await pipelineSession(env, "dr", env.drRegion), log, pollMs: 200 });
    expect(drAgain).toEqual([]);
    await w.deployment.apply("primary");
  });
});
