// Native mode's stacks: Cognito replicates the pool, so the stacks hold only what it does not: the
// pool's multi-Region key (each Region's copy usable by Cognito for this pool only), the triggers
// in each Region, the alarms; none of the custom engine's table, capture, queues or replicator.
import { describe, expect, it } from "vitest";
import { environment } from "../../stacks/environments";
import { only, resources, synthAll } from "./synth";

const envs = synthAll("native");

describe("native mode stacks", () => {
  it("are chosen by <ENV>_REPLICATION_MODE=native, one-way by AWS's design", () => {
    expect(environment("dev", { DEV_REPLICATION_MODE: "native" }).replication).toMatchObject({ engine: "native", mode: "one-way" });
    expect(environment("dev", {}).replication).toMatchObject({ engine: "custom", mode: "one-way" });
    expect(() => environment("dev", { DEV_REPLICATION_MODE: "managed" })).toThrow(/DEV_REPLICATION_MODE must be one of one-way, two-way, native \(got "managed"\)/);
  });

  it.each(envs.map((e) => [e.env.name, e] as const))("%s: no table, capture, queue or replicator in either Region", (_name, { primary, dr }) => {
    for (const stack of [primary, dr]) {
      for (const type of ["aws_dynamodb_table", "aws_sqs_queue", "aws_lambda_event_source_mapping", "aws_cloudtrail", "aws_cloudwatch_event_rule"]) expect(resources(stack, type), type).toEqual([]);
      expect(Object.keys(stack.resource.aws_lambda_function ?? {}).map((k) => k.split("_")[0])).toEqual(["pre-token"]);
    }
    expect(resources(dr, "aws_cognito_user_pool")).toEqual([]);
  });

  it.each(envs.map((e) => [e.env.name, e] as const))("%s: the pool key is multi-Region, with a DR replica; each Region's policy names that Region's pool ARN", (_name, { env, primary }) => {
    // (The other key is the alarm topic's.)
    const keys = resources(primary, "aws_kms_key").filter(([name]) => name.startsWith("pool-key_"));
    expect(keys).toHaveLength(1);
    const key = keys[0]![1] as { multi_region: boolean; policy: string; enable_key_rotation: boolean };
    const replica = only(primary, "aws_kms_replica_key") as { policy: string; provider: string };
    expect(key).toMatchObject({ multi_region: true, enable_key_rotation: true });
    expect(replica.provider).toBe("aws.dr");
    const poolArn = (region: string) => `:cognito-idp:${region}:\${data.aws_caller_identity.account.account_id}:userpool/\${aws_cognito_user_pool.`;
    expect(key.policy).toContain(poolArn(env.primaryRegion));
    expect(key.policy).not.toContain(`cognito-idp:${env.drRegion}`);
    expect(replica.policy).toContain(poolArn(env.drRegion));
    expect(replica.policy).toContain(`cognito-idp.${env.drRegion}.amazonaws.com`);
    expect(replica.policy).not.toContain(`cognito-idp:${env.primaryRegion}`);
    const aliases = resources(primary, "aws_kms_alias").filter(([name]) => name.startsWith("pool-key_")).map(([, a]) => a.name);
    expect(aliases).toEqual([`alias/${env.prefix}-user-pool`, `alias/${env.prefix}-user-pool`]);
    expect((only(primary, "aws_cognito_user_pool") as { user_pool_tier: string }).user_pool_tier).toBe("ESSENTIALS");
  });

  it.each(envs.map((e) => [e.env.name, e] as const))("%s: the DR pre-token trigger is invocable by the secondary found by the primary's pool name, and trusts no copied attribute", (_name, { env, primary, dr }) => {
    const lookup = dr.data?.aws_cognito_user_pools?.["secondary-pool"] as { name: string };
    expect(lookup.name).toBe(`${env.prefix}-users-primary`);
    expect((only(dr, "aws_lambda_permission") as { source_arn: string }).source_arn).toBe(`arn:\${data.aws_partition.partition.partition}:cognito-idp:${env.drRegion}:\${data.aws_caller_identity.account.account_id}:userpool/\${one(data.aws_cognito_user_pools.secondary-pool.ids)}`);
    for (const stack of [primary, dr]) {
      const fn = only(stack, "aws_lambda_function") as { environment: { variables: Record<string, string> } };
      expect(fn.environment.variables.TRUST_CANONICAL_ID_ATTRIBUTE).toBe("false");
    }
    expect(Object.keys(dr.output ?? {})).toEqual(expect.arrayContaining(["user_pool_id", "pre_token_function_arn", "pool_key_arn"]));
    expect(Object.keys(primary.output ?? {})).toEqual(expect.arrayContaining(["user_pool_id", "app_client_id", "pool_key_arn"]));
  });
});
