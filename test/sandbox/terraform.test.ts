// terraform against the sandbox: a multi-Region KMS key + replica + aliases, a DynamoDB table with
// a `replica` block (stream, TTL, PITR, SSE with the key) and an ESSENTIALS Cognito pool with an
// EMAIL_OTP sign-in policy must apply, plan empty right after, and destroy. Here rather than in
// sandbox/ because it needs the project's terraform tooling (scripts/lib/tools.ts).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CognitoIdentityProviderClient, DescribeUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "@cognito-dr/sandbox";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { findProviderMirror, findTerraform, PROVIDER_MIRROR_MISSING, requireTool, TERRAFORM_MISSING } from "../../scripts/lib/tools";
import { motoMissing } from "./support";

/** Provider `endpoints` service keys this configuration needs. */
export const TERRAFORM_ENDPOINT_KEYS = ["dynamodb", "kms", "cognitoidp"] as const;

const terraform = findTerraform();
const mirror = findProviderMirror();
const skip = motoMissing() ?? requireTool(terraform !== undefined, TERRAFORM_MISSING) ?? requireTool(mirror !== undefined, PROVIDER_MIRROR_MISSING);

function providerBlock(endpoint: string, region: string, alias?: string): string {
  return `
provider "aws" {
  ${alias ? `alias = "${alias}"` : ""}
  region                      = "${region}"
  access_key                  = "sandbox"
  secret_key                  = "sandbox"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
${TERRAFORM_ENDPOINT_KEYS.map((k) => `    ${k} = "${endpoint}"`).join("\n")}
  }
}`;
}

function config(endpoint: string): string {
  return `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
${providerBlock(endpoint, "us-east-1")}
${providerBlock(endpoint, "us-west-2", "dr")}

resource "aws_kms_key" "primary" {
  description             = "sandbox test key"
  multi_region            = true
  deletion_window_in_days = 7
}
resource "aws_kms_alias" "primary" {
  name          = "alias/sbx-test"
  target_key_id = aws_kms_key.primary.key_id
}
resource "aws_kms_replica_key" "dr" {
  provider                = aws.dr
  primary_key_arn         = aws_kms_key.primary.arn
  deletion_window_in_days = 7
  description             = "sandbox test replica"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Root"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = { app = "sbx" }
}
resource "aws_kms_alias" "dr" {
  provider      = aws.dr
  name          = "alias/sbx-test"
  target_key_id = aws_kms_replica_key.dr.key_id
}

resource "aws_dynamodb_table" "users" {
  name             = "sbx-users"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "pk"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
  attribute {
    name = "pk"
    type = "S"
  }
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }
  point_in_time_recovery { enabled = true }
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.primary.arn
  }
  replica {
    region_name            = "us-west-2"
    kms_key_arn            = aws_kms_replica_key.dr.arn
    point_in_time_recovery = true
    propagate_tags         = true
  }
  tags = { app = "sbx" }
}

resource "aws_cognito_user_pool" "users" {
  name                     = "sbx-users"
  user_pool_tier           = "ESSENTIALS"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  sign_in_policy {
    allowed_first_auth_factors = ["PASSWORD", "EMAIL_OTP"]
  }
  schema {
    name                = "canonical_id"
    attribute_data_type = "String"
    mutable             = true
    string_attribute_constraints {
      min_length = 1
      max_length = 64
    }
  }
}

output "pool_id" { value = aws_cognito_user_pool.users.id }
output "replica_key_arn" { value = aws_kms_replica_key.dr.arn }
`;
}

function tf(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(terraform!, args, {
      cwd: dir,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", TF_LOG: "", TF_CLI_CONFIG_FILE: join(dir, "cli.tfrc") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

describe.skipIf(skip)("terraform against the sandbox", () => {
  let sb: Sandbox;
  let dir: string;

  beforeAll(async () => {
    sb = await startLocalAws({ lambda: false });
    dir = mkdtempSync(join(tmpdir(), "sbx-tf-"));
    writeFileSync(join(dir, "main.tf"), config(sb.endpoint));
    // Offline: the provider comes from the local mirror only.
    writeFileSync(join(dir, "cli.tfrc"), `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
  });
  afterAll(async () => {
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("applies, plans empty right after, and destroys", { timeout: 420_000 }, async () => {
    const init = await tf(dir, ["init", "-no-color", "-input=false", `-plugin-dir=${mirror}`]);
    expect(init.code, init.out).toBe(0);

    const apply = await tf(dir, ["apply", "-no-color", "-input=false", "-auto-approve"]);
    expect(apply.code, apply.out).toBe(0);

    // What terraform created is there, in both regions.
    const creds = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
    const west = await new DynamoDBClient({ endpoint: sb.endpoint, region: "us-west-2", credentials: creds }).send(new DescribeTableCommand({ TableName: "sbx-users" }));
    expect(west.Table?.Replicas).toMatchObject([{ RegionName: "us-east-1", ReplicaStatus: "ACTIVE" }]);
    expect(west.Table?.SSEDescription?.KMSMasterKeyArn).toMatch(/^arn:aws:kms:us-west-2:/);
    const poolId = /pool_id = "([^"]+)"/.exec(apply.out)?.[1];
    expect(poolId).toBeTruthy();
    const pool = await new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region: "us-east-1", credentials: creds }).send(
      new DescribeUserPoolCommand({ UserPoolId: poolId }),
    );
    expect(pool.UserPool?.UserPoolTier).toBe("ESSENTIALS");

    const plan = await tf(dir, ["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    expect(plan.code, plan.out).toBe(0);

    const destroy = await tf(dir, ["destroy", "-no-color", "-input=false", "-auto-approve"]);
    expect(destroy.code, destroy.out).toBe(0);
    for (const region of ["us-east-1", "us-west-2"]) {
      const tables = await new DynamoDBClient({ endpoint: sb.motoEndpoint, region, credentials: creds }).send(new ListTablesCommand({}));
      expect(tables.TableNames, region).toEqual([]);
    }
  });
});
