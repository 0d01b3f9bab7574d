// Synth tests for the "one identity in both regions" modules: the multi-pool API
// authorizer (in a test-only stack: no production stack deploys an API) and the
// optional DNS failover (opted in per environment, DR stack).
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { App, Testing, TerraformStack } from "cdktf";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Construct } from "constructs";
import { describe, expect, it } from "vitest";
import { MultiPoolAuthorizer, poolArnsByName } from "../../modules/api-authorizer";
import { DrStack } from "../../stacks/dr-stack";
import { environment, type Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import { provider } from "../../stacks/regional";
import { findTerraform, terraformEnv } from "../../scripts/lib/tools";
import { only, refTo, resources, synthAll, type TfJson } from "./synth";

/** What an application stack does: a REST API in one region whose authorizer trusts both pools. */
class ApiStack extends TerraformStack {
  constructor(scope: Construct, id: string, env: Environment, region: string) {
    super(scope, id);
    const n = names(env);
    provider(this, "aws", env, region);
    const primary = provider(this, "aws-primary", env, env.primaryRegion, "primary");
    const dr = provider(this, "aws-dr", env, env.drRegion, "dr");
    const api = new ApiGatewayRestApi(this, "api", { name: `${env.prefix}-api` });
    new MultiPoolAuthorizer(this, "users", {
      restApiId: api.id,
      name: `${env.prefix}-either-pool`,
      userPoolArns: [poolArnsByName(this, "primary-pool", n.userPool("primary"), primary), poolArnsByName(this, "dr-pool", n.userPool("dr"), dr)],
    });
  }
}

describe("multi-pool API authorizer", () => {
  const env = environment("dev", {});
  const app = Testing.app();
  const perRegion = [env.primaryRegion, env.drRegion].map((region) => JSON.parse(Testing.synth(new ApiStack(app, `api-${region}`, env, region))) as TfJson);

  it.each([0, 1])("in each region (#%i) is a COGNITO_USER_POOLS authorizer over both pools, found by name in their regions", (i) => {
    const stack = perRegion[i];
    const auth = only(stack, "aws_api_gateway_authorizer");
    expect(auth).toMatchObject({
      type: "COGNITO_USER_POOLS",
      identity_source: "method.request.header.Authorization",
      rest_api_id: refTo(stack, "aws_api_gateway_rest_api", "id")[0],
    });
    const pools = Object.entries(stack.data?.aws_cognito_user_pools ?? {}).map(([k, d]) => [k, d.name, d.provider])
      .sort();
    expect(pools).toEqual([
      ["dr-pool", names(env).userPool("dr"), "aws.dr"],
      ["primary-pool", names(env).userPool("primary"), "aws.primary"],
    ]);
    expect(auth.provider_arns).toBe("${concat(data.aws_cognito_user_pools.primary-pool.arns, data.aws_cognito_user_pools.dr-pool.arns)}");
  });

  it("takes plain ARNs too, and refuses a single pool", () => {
    const s = new TerraformStack(Testing.app(), "plain");
    provider(s, "aws", env, env.primaryRegion);
    const arns = ["arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_A", "arn:aws:cognito-idp:us-west-2:111122223333:userpool/us-west-2_B"];
    new MultiPoolAuthorizer(s, "a", { restApiId: "abc123", name: "either", userPoolArns: arns });
    expect(only(JSON.parse(Testing.synth(s)), "aws_api_gateway_authorizer").provider_arns).toEqual(arns);
    expect(() => new MultiPoolAuthorizer(s, "b", { restApiId: "abc123", name: "one", userPoolArns: [arns[0]] })).toThrow(/both pools/);
  });
});

describe("DNS failover", () => {
  it("is off by default in every environment", () => {
    for (const { env, primary, dr } of synthAll()) {
      expect(env.dnsFailover, env.name).toBeUndefined();
      for (const s of [primary, dr]) {
        expect(s.resource.aws_route53_record).toBeUndefined();
        expect(s.resource.aws_route53_health_check).toBeUndefined();
      }
    }
  });

  const vars = {
    PROD_DNS_ZONE_ID: "Z0123456789ABCDEFGHIJ",
    PROD_AUTH_HOSTNAME: "auth.example.com",
    PROD_PRIMARY_AUTH_TARGET: "auth-use1.example.com",
    PROD_DR_AUTH_TARGET: "auth-usw2.example.com",
  };

  it("when opted in, the DR stack gets a health check per region and PRIMARY/SECONDARY records with TTL 60", () => {
    const env = environment("prod", vars);
    const dr = JSON.parse(Testing.synth(new DrStack(Testing.app(), "dr", env))) as TfJson;
    const checks = resources(dr, "aws_route53_health_check").map(([name, c]) => [name, c] as const);
    expect(checks.map(([, c]) => [c.type, c.fqdn, c.port, c.resource_path, c.failure_threshold, c.request_interval])).toEqual([
      ["HTTPS", "auth-use1.example.com", 443, "/health", 3, 30],
      ["HTTPS", "auth-usw2.example.com", 443, "/health", 3, 30],
    ]);
    const records = resources(dr, "aws_route53_record").map(([, r]) => r);
    expect(records).toHaveLength(2);
    const byRole = Object.fromEntries(records.map((r) => [(r.failover_routing_policy as { type: string }).type, r]));
    expect(Object.keys(byRole).sort()).toEqual(["PRIMARY", "SECONDARY"]);
    for (const [role, target, check] of [["PRIMARY", "auth-use1.example.com", checks[0][0]], ["SECONDARY", "auth-usw2.example.com", checks[1][0]]] as const) {
      expect(byRole[role]).toMatchObject({
        zone_id: vars.PROD_DNS_ZONE_ID,
        name: "auth.example.com",
        type: "CNAME",
        ttl: 60,
        records: [target],
        health_check_id: `\${aws_route53_health_check.${check}.id}`,
      });
    }
    expect(new Set(records.map((r) => r.set_identifier)).size).toBe(2);
  });

  it("names the missing variable when half configured", () => {
    expect(() => environment("prod", { PROD_DNS_ZONE_ID: "Z1", PROD_AUTH_HOSTNAME: "auth.example.com" })).toThrow(/PROD_PRIMARY_AUTH_TARGET must be set/);
    expect(() => environment("prod", { PROD_AUTH_HOSTNAME: "auth.example.com" })).toThrow(/PROD_DNS_ZONE_ID/);
  });
});

// The synth tests above check the JSON; terraform itself checks it against the
// provider schema (the default stacks do not carry these resources, so
// `npm run validate` never sees them).
const terraform = findTerraform();
if (!terraform && process.env.CI === "true") throw new Error("terraform is required when CI=true (TERRAFORM_BIN or PATH)");
describe.skipIf(!terraform)("terraform validate", () => {
  it("accepts the authorizer stack and a DR stack with DNS failover", { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "cdr-identity-validate-"));
    try {
      const env = environment("prod", {
        PROD_DNS_ZONE_ID: "Z0123456789ABCDEFGHIJ",
        PROD_AUTH_HOSTNAME: "auth.example.com",
        PROD_PRIMARY_AUTH_TARGET: "auth-use1.example.com",
        PROD_DR_AUTH_TARGET: "auth-usw2.example.com",
      });
      const app = new App({ outdir: join(dir, "out") });
      new ApiStack(app, "api", env, env.primaryRegion);
      new DrStack(app, "dr", env);
      app.synth();
      const tfEnv = terraformEnv(join(dir, "tf"));
      for (const stack of ["api", "dr"]) {
        const cwd = join(dir, "out", "stacks", stack);
        execFileSync(terraform!, ["init", "-backend=false", "-input=false", "-no-color"], { cwd, env: tfEnv, stdio: "pipe" });
        const out = execFileSync(terraform!, ["validate", "-no-color"], { cwd, env: tfEnv, encoding: "utf8" });
        expect(out, stack).toMatch(/Success/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
