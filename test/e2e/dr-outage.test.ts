// The DR stack can be operated while the primary region is down: both stacks keep their state in
// the sandbox's S3, each in its own region, and with every primary-region endpoint answering 503
// the DR stack still plans from its state (and finds nothing to change) without a refresh, which
// would need IAM's control plane (in us-east-1 whatever the region). The control: the same DR stack with its
// state in the primary region's bucket cannot even initialise. Then the break-glass rehearsal: the
// failover workflow's script, run as the workflow runs it, plans and applies the DR stack from
// DR-region state, smokes the DR side and records what it did, with the primary region still down
// and without a single call to it; and once the region is back, the failback script as the failback
// workflow runs it. Every step runs as the pipeline role its workflow job assumes (sandbox STS), so
// this file is also where the deploy roles make in-place changes: a tag on every resource and a
// function setting, changed and undone. The stacks are deployed in two-way mode, the one with more
// to deploy and to fail over: the failover opens DR sign-ups (the control item), and the failback
// waits for what was made in DR to reach the primary before closing them and switching back.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "@cognito-dr/sandbox";
import { terraformRunner } from "../../scripts/lib/terraform";
import { npmRun } from "../support/npm-run";
import { AdminUpdateUserAttributesCommand } from "@aws-sdk/client-cognito-identity-provider";
import { readFailoverControl } from "../../scripts/lib/failover-state";
import { getDrUser, signUpAndConfirm } from "../../scripts/drills/population";
import { names } from "../../stacks/names";
import { missingTools, startWorld, type World } from "./harness";

const skip = missingTools();

/**
 * A variant of a synthesized stack, or the original back: one more default tag on every resource
 * (each provider's default_tags), and every kind of in-place change a deploy makes: a function's
 * memory and its code (source hash), a mapping's batch size, a queue's visibility timeout, a
 * role's trust policy, the schedule's expression and its function's event age.
 */
function variant(dir: string, original: string | undefined): string {
  const file = join(dir, "cdk.tf.json");
  const text = readFileSync(file, "utf8");
  if (original !== undefined) {
    writeFileSync(file, original);
    return text;
  }
  const json = JSON.parse(text) as { provider: { aws: Array<{ default_tags?: Array<{ tags: Record<string, string> }> }> }; resource: Record<string, Record<string, Record<string, unknown>>> };
  for (const p of json.provider.aws) {
    const tags = p.default_tags?.[0]?.tags;
    if (tags) tags["cost-center"] = "dr-drill";
  }
  const each = (type: string, change: (r: Record<string, unknown>) => void) => Object.values(json.resource[type] ?? {}).forEach(change);
  each("aws_lambda_function", (fn) => {
    fn.memory_size = Number(fn.memory_size ?? 128) + 1;
    fn.source_code_hash = `${String(fn.source_code_hash)}-changed`;
  });
  each("aws_lambda_event_source_mapping", (m) => (m.batch_size = Number(m.batch_size) - 1));
  each("aws_sqs_queue", (q) => (q.visibility_timeout_seconds = Number(q.visibility_timeout_seconds ?? 30) + 1));
  each("aws_iam_role", (r) => {
    const trust = JSON.parse(String(r.assume_role_policy)) as { Statement: Array<Record<string, unknown>> };
    trust.Statement[0]!.Sid = "ChangedInPlace";
    r.assume_role_policy = JSON.stringify(trust);
  });
  each("aws_scheduler_schedule", (sc) => (sc.schedule_expression = "rate(2 hours)"));
  each("aws_lambda_function_event_invoke_config", (c) => (c.maximum_event_age_in_seconds = Number(c.maximum_event_age_in_seconds) - 60));
  writeFileSync(file, JSON.stringify(json));
  return text;
}

/** The resource lines of every `<stack>.plan.txt` in `dir`: what each plan would change. */
function plannedChanges(dir: string): string {
  if (!existsSync(dir)) return "";
  return readdirSync(dir)
    .filter((f) => f.endsWith(".plan.txt"))
    .map((f) => `\n${f}:\n${readFileSync(join(dir, f), "utf8").split("\n").filter((l) => /^\s*# \S+ (will|must)/.test(l) || /^\s*[~+-] \S/.test(l)).slice(0, 60).join("\n")}`)
    .join("");
}

/** Calls per `service:operation` the sandbox saw in one region. */
async function callsIn(sandbox: Sandbox, region: string): Promise<Record<string, number>> {
  const ops = (await sandbox.admin.stats()).regions[region]?.operations ?? {};
  return Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, v.calls]));
}

describe.skipIf(skip)("the DR stack while the primary region is down", { timeout: 600_000 }, () => {
  let w: World;
  const scratch = mkdtempSync(join(tmpdir(), "cdr-dr-outage-"));
  const failoverState = async () => (await readFailoverControl(w.dr.dynamodb, names(w.deployment.env).table))?.state;

  beforeAll(async () => {
    // The state buckets are the account setup's (an administrator's step), as in a real account.
    w = await startWorld({ state: "s3", mode: "two-way" });
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

  it("the deploy roles change deployed resources in place: a tag on every resource and a function setting, then both undone", { timeout: 600_000 }, async () => {
    for (const role of ["primary", "dr"] as const) {
      const original = variant(w.deployment.stackDirs[role], undefined);
      try {
        await w.deployment.apply(role);
        const after = await w.deployment.plan(role);
        const changed = readFileSync(after.log, "utf8").split("\n").filter((l) => /^\s*# \S+ (will|must)/.test(l) || /^\s*[~+-] /.test(l));
        expect(after.changes, `${role}: nothing left to change after the in-place apply:\n${changed.join("\n")}`).toBe(false);
      } finally {
        variant(w.deployment.stackDirs[role], original);
        await w.deployment.apply(role); // back to the original even when the check failed
      }
    }
    expect(await w.deployment.planChanges()).toBe(false);
  });

  it("the apply jobs' smoke checks, the verify job's drift check and drift detection's plan pass as their roles", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX_ENDPOINT: w.sandbox.endpoint, LOCAL_STATE: "s3", LOCAL_STATE_DIR: join(w.workDir, "state"), DEPLOY_WORKDIR: join(scratch, "jobs-work"), LOCAL_REPLICATION_MODE: "two-way" };
    for (const k of ["DEPLOY_COMMIT", "DEPLOY_VARS", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) delete env[k];
    for (const [step, script, args] of [
      ["primary", "smoke", ["--stack", "primary"]],
      ["dr", "smoke", ["--stack", "dr"]],
      ["plan", "drift", []],
      ["plan", "plan", ["--read-only", "--no-order-check", "--fail-on-changes", "--out", join(scratch, "drift-plans")]],
    ] as const) {
      // Drift detection plans the commit that is deployed; this world was deployed by deployLocal,
      // which records none ("unrecorded"), so the plan says the same rather than this checkout's HEAD.
      const commit = script === "plan" ? { DEPLOY_COMMIT: "unrecorded" } : {};
      const r = await npmRun(script, ["--env", "local", ...args], { ...env, ...commit, PIPELINE_STEP: step });
      // What a plan found to change, when it found something (its text beside the plan file).
      const planned = script !== "plan" || r.code === 0 ? "" : plannedChanges(join(scratch, "drift-plans"));
      expect(r.code, `${script} as the ${step} role:\n${r.out}${planned}`).toBe(0);
    }
  });

  it("plans the DR stack from DR-region state with every primary-region endpoint down", async () => {
    const primary = w.deployment.env.primaryRegion;
    await w.sandbox.admin.injectFault({ service: "*", region: primary, outage: true });
    try {
      // Positive control of the outage: the primary stack cannot even be planned now (its job's
      // regional STS is down with the region, and so is everything it would refresh).
      await expect(w.deployment.plan("primary")).rejects.toThrow(/could not assume cdr-local-pipeline-primary|terraform plan failed/);
      // From the DR state alone (-refresh=false) it plans, and finds nothing to change. (A refreshing
      // plan would read every IAM role through IAM's control plane, in us-east-1 whatever the
      // region, as in AWS: the provider retries those 503s for many minutes, then fails.)
      const dr = await w.deployment.plan("dr", { refresh: false });
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

  it("break-glass rehearsal: npm run failover applies the DR stack from DR state and records it, calling nothing in the primary region", async () => {
    const primary = w.deployment.env.primaryRegion;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SANDBOX_ENDPOINT: w.sandbox.endpoint,
      LOCAL_STATE: "s3",
      LOCAL_STATE_DIR: join(w.workDir, "state"),
      DEPLOY_WORKDIR: join(scratch, "failover-work"),
      LOCAL_REPLICATION_MODE: "two-way",
    };
    for (const k of ["DEPLOY_COMMIT", "DEPLOY_VARS", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"]) delete env[k];
    // Refused without naming the DR stack.
    const unconfirmed = await npmRun("failover", ["--env", "local", "--confirm", "cdr-local-primary"], env);
    expect(unconfirmed.code, unconfirmed.out).toBe(1);
    expect(unconfirmed.out).toContain("confirm by naming the DR stack: --confirm cdr-local-dr");

    await w.sandbox.admin.injectFault({ service: "*", region: primary, outage: true });
    try {
      // Positive control: the primary region really is down.
      await expect(w.deployment.plan("primary")).rejects.toThrow(/could not assume cdr-local-pipeline-primary|terraform plan failed/);
      const before = await callsIn(w.sandbox, primary);
      const r = await npmRun("failover", ["--env", "local", "--confirm", "cdr-local-dr"], env);
      const after = await callsIn(w.sandbox, primary);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/• DR stack: changes applied from us-west-2 state \(serial \d+\)/);
      // Two-way mode: DR's three checks and its PostConfirmation trigger and change capture.
      expect(r.out).toMatch(/• DR smoke: all 5 checks passed/);
      expect(r.out).toMatch(/• sign-in: neither ARC nor DNS failover is configured/);
      // Lambda's pollers in the primary region keep knocking: the fallback and capture queues'
      // (sqs:ReceiveMessage) and, in two-way mode, the primary replicator's stream (DescribeStream,
      // GetRecords). They are the sandbox's, not the failover's, which reads no queue and no stream.
      const pollers = new Set(["sqs:ReceiveMessage", "dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"]);
      const made = Object.fromEntries(
        Object.entries(after)
          .filter(([k, n]) => n !== (before[k] ?? 0) && !pollers.has(k))
          .map(([k, n]) => [k, n - (before[k] ?? 0)]),
      );
      expect(made, "calls the failover made to the primary region").toEqual({});

      const dir = join(scratch, "failover-work", "failover");
      const records = readdirSync(dir);
      expect(records).toHaveLength(1);
      const record = JSON.parse(readFileSync(join(dir, records[0]!), "utf8")) as { action: string; env: string; drRegion: string; stateSerial: number; switch: { method: string }; steps: unknown[] };
      expect(record).toMatchObject({ action: "failover", env: "local", drRegion: "us-west-2", switch: { method: "none" } });
      expect(record.stateSerial).toEqual(expect.any(Number));
      // Two-way mode: the fifth step opened DR sign-ups (the control item, in the DR replica).
      expect(record.steps).toHaveLength(5);
      expect(await failoverState()).toBe("failed-over");
    } finally {
      await w.sandbox.admin.clearFaults();
    }
  });

  it("failback, with the primary region back: npm run failback as the failback role checks both sides and switches back", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SANDBOX_ENDPOINT: w.sandbox.endpoint,
      LOCAL_STATE: "s3",
      LOCAL_STATE_DIR: join(w.workDir, "state"),
      DEPLOY_WORKDIR: join(scratch, "failback-work"),
      LOCAL_REPLICATION_MODE: "two-way",
    };
    for (const k of ["DEPLOY_COMMIT", "DEPLOY_VARS", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) delete env[k];
    // Made in DR while failed over: a user signs up there (sign-ups are open) and support renames them.
    const dr = w.deployment.dr;
    const born = await signUpAndConfirm(w.dr.cognito, dr.app_client_id, { email: `dr-outage-${Date.now()}@example.com`, givenName: "Born", familyName: "InDr" });
    await w.dr.cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: dr.user_pool_id, Username: born.email, UserAttributes: [{ Name: "given_name", Value: "Renamed" }] }));
    await w.sandbox.admin.clearAuthzDecisions();
    const r = await npmRun("failback", ["--env", "local", "--confirm", "cdr-local-primary", "--drain-timeout", "180"], env);
    expect(r.code, r.out).toBe(0);
    // Two-way mode: the seven one-way checks and DR's PostConfirmation trigger and change capture.
    expect(r.out).toMatch(/• smoke: all 9 checks passed in both regions/);
    expect(r.out).toMatch(/• drift: the two pools' configuration matches/);
    // It waited until the DR-born user and the rename were in the primary, then closed DR sign-ups.
    const inPrimary = await getDrUser(w.primary.cognito, w.deployment.primary.user_pool_id, born.email);
    expect(inPrimary?.attributes.given_name).toBe("Renamed");
    expect(inPrimary?.attributes["custom:canonical_id"]).toBe(born.sub);
    expect(await failoverState()).toBe("normal");
    const dir = join(scratch, "failback-work", "failback");
    const record = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), "utf8")) as { failback?: { drOriginatedUsers: number; drainMs: number; notDrained: string[] } };
    expect(record.failback).toMatchObject({ notDrained: [] });
    expect(record.failback!.drOriginatedUsers).toBeGreaterThanOrEqual(1);
    // Every call it made was the failback role's, and none was a change.
    const decisions = (await w.sandbox.admin.authzDecisions()).filter((d) => d.role?.endsWith("/cdr-local-pipeline-failback"));
    expect(decisions.length).toBeGreaterThan(0);
    // (GetFunction without lambda:ListTags answers without the tags: withheld, not refused.)
    expect(decisions.filter((d) => !d.allowed && !d.reason?.startsWith("withheld"))).toEqual([]);
    // Its one write: the control item (DR sign-ups closed).
    expect(decisions.filter((d) => /:(Create|Update|Delete|Put|Set|Tag|Untag|Admin(?!Get|List))/.test(d.action)).map((d) => d.action)).toEqual(["dynamodb:PutItem"]);
  });
});
