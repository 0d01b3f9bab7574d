// The DR stack can be operated while the primary region is down: both stacks keep their state in
// the sandbox's S3, each in its own region, and with every primary-region endpoint answering 503
// the DR stack still plans (and finds nothing to change). The control: the same DR stack with its
// state in the primary region's bucket cannot even initialise.
import { CreateBucketCommand, S3Client, type BucketLocationConstraint } from "@aws-sdk/client-s3";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox";
import { terraformRunner } from "../../scripts/lib/terraform";
import { missingTools, startWorld, type World } from "./harness";

const skip = missingTools();

async function stateBuckets(sandbox: Sandbox): Promise<void> {
  for (const region of ["us-east-1", "us-west-2"]) {
    const s3 = new S3Client({ region, endpoint: sandbox.endpoint, forcePathStyle: true, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
    await s3.send(new CreateBucketCommand({ Bucket: `cdr-local-state-${region}`, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }) }));
  }
}

describe.skipIf(skip)("the DR stack while the primary region is down", { timeout: 300_000 }, () => {
  let w: World;
  const scratch = mkdtempSync(join(tmpdir(), "cdr-dr-outage-"));

  beforeAll(async () => {
    w = await startWorld({ state: "s3", beforeDeploy: stateBuckets });
  });
  afterAll(async () => {
    await w?.sandbox.admin.clearFaults();
    await w?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("keeps each stack's state in its own region's bucket", () => {
    const backend = (role: "primary" | "dr") =>
      (JSON.parse(readFileSync(join(w.deployment.stackDirs[role], "cdk.tf.json"), "utf8")) as { terraform: { backend: { s3: { bucket: string; region: string } } } }).terraform.backend.s3;
    expect(backend("primary")).toMatchObject({ bucket: "cdr-local-state-us-east-1", region: "us-east-1" });
    expect(backend("dr")).toMatchObject({ bucket: "cdr-local-state-us-west-2", region: "us-west-2" });
  });

  it("plans the DR stack from DR-region state with every primary-region endpoint down", async () => {
    const primary = w.deployment.env.primaryRegion;
    await w.sandbox.admin.injectFault({ service: "*", region: primary, outage: true });
    try {
      // Positive control of the outage: the primary stack cannot even refresh now.
      await expect(w.deployment.plan("primary")).rejects.toThrow(/terraform plan failed/);
      const dr = await w.deployment.plan("dr");
      expect(dr.changes).toBe(false);
      // The control: the DR stack with its state in the primary region's bucket cannot initialise.
      const misplaced = join(scratch, "dr-state-in-primary");
      cpSync(w.deployment.stackDirs.dr, misplaced, { recursive: true, filter: (src) => !src.includes(".terraform") });
      const file = join(misplaced, "cdk.tf.json");
      const json = JSON.parse(readFileSync(file, "utf8")) as { terraform: { backend: { s3: Record<string, unknown> } } };
      json.terraform.backend.s3.bucket = "cdr-local-state-us-east-1";
      json.terraform.backend.s3.region = primary;
      writeFileSync(file, JSON.stringify(json));
      const tf = terraformRunner(join(scratch, "logs"), { AWS_ENDPOINT_URL: w.sandbox.endpoint });
      await expect(tf.init(misplaced)).rejects.toThrow(/terraform init failed/);
    } finally {
      await w.sandbox.admin.clearFaults();
    }
  });
});
