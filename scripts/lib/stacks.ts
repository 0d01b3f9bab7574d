// Shared by the pipeline scripts (`deploy`, `plan`, `smoke`): parse `--env`,
// synthesize that one environment into its own folder, check what a deploy
// needs (a state bucket for the real environments, a running sandbox for
// `local`, the primary stack's table before the DR stack), and run terraform.
import { DescribeTableCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { App } from "cdktf";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stackDirs, synthApp } from "../../stacks/app";
import { environment, parseEnvName, unsetSettings, type Environment } from "../../stacks/environments";
import { names, type Role } from "../../stacks/names";
import { regionClients } from "./clients";
import { ensureBoundary } from "./local-deploy";
import { terraformRunner, type TerraformRunner } from "./terraform";

export const ROLES: readonly Role[] = ["primary", "dr"];

/** A problem the operator can fix; printed as one clear message, no stack trace. */
export class PipelineError extends Error {}

export interface CommonArgs {
  env: Environment;
  /** Stacks selected by `--stack primary|dr|all` (default: all). */
  roles: Role[];
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommon(argv: string[], extra: Record<string, { type: "string" | "boolean" }> = {}): CommonArgs {
  // The stacks record the commit they are applied from (their deployed_commit output).
  process.env.DEPLOY_COMMIT ??= currentCommit();
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { env: { type: "string" }, stack: { type: "string" }, ...extra },
  });
  if (!values.env) throw new PipelineError("--env <local|dev|staging|prod> is required");
  let env: Environment;
  try {
    env = environment(parseEnvName(values.env as string));
  } catch (e) {
    throw new PipelineError((e as Error).message);
  }
  const stack = (values.stack as string | undefined) ?? "all";
  if (!["primary", "dr", "all"].includes(stack)) throw new PipelineError(`--stack must be primary, dr or all (got ${stack})`);
  const roles = stack === "all" ? [...ROLES] : [stack as Role];
  return { env, roles, values: values as CommonArgs["values"], positionals };
}

/** Where one environment is synthesized and its terraform logs go (never `cdktf.out/stacks`, which `npm run synth` owns). */
export function workDirFor(env: Environment): string {
  return resolve(process.env.DEPLOY_WORKDIR ?? join("cdktf.out", "deploy", env.name));
}

/** Synthesizes the primary and DR stacks of this environment only; returns their directories. */
export function synthEnvironment(env: Environment, workDir = workDirFor(env)): Record<Role, string> {
  const outdir = join(workDir, "out");
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir });
  synthApp(app, [env]);
  app.synth();
  return stackDirs(outdir, env);
}

/**
 * Refuses an environment whose required settings are still the synth placeholders (state buckets;
 * alarm subscribers and SES email in staging and prod), one line each naming the variables; warns
 * for the ones dev may run without.
 */
export function requireConfigured(env: Environment): void {
  const unset = unsetSettings(env);
  for (const u of unset.filter((x) => !x.required)) {
    console.warn(`warning: ${env.name}: ${u.what} not configured (${u.variables.join("; ")}); ${u.what === "SES email" ? "Cognito's default sender allows 50 emails a day per account" : "alarms will reach nobody"}`);
  }
  const missing = unset.filter((x) => x.required);
  if (missing.length === 0) return;
  throw new PipelineError(
    missing.map((u) => `${env.name}: ${u.what} not configured; set ${u.variables.join("; ")} (in GitHub: environment variables)`).join("\n"),
  );
}

/**
 * For `local`: the sandbox gateway must answer its health check. `accountSetup` also creates what an
 * administrator creates once per account (the permissions boundary, through IAM): not during a
 * failover, which must not depend on IAM's control plane (in us-east-1).
 */
export async function requireSandbox(env: Environment, opts: { accountSetup?: boolean } = {}): Promise<void> {
  if (!env.sandboxEndpoint) return;
  const url = `${env.sandboxEndpoint}/__sandbox/health`;
  let problem: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) {
      // The one-time account setup of a real environment, done for the sandbox.
      if (opts.accountSetup !== false) await ensureBoundary(env.sandboxEndpoint, env);
      return;
    }
    problem = `answered HTTP ${res.status}`;
  } catch (e) {
    problem = `did not answer (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})`;
  }
  throw new PipelineError(
    `no sandbox at ${env.sandboxEndpoint}: ${url} ${problem}. Start one in another terminal with \`npm run sandbox\` ` +
      `(SANDBOX_PORT=<port> for another port) and point SANDBOX_ENDPOINT at it if it is not ${env.sandboxEndpoint}.`,
  );
}

/** Environment for terraform: the sandbox endpoint for `local`, the caller's AWS credentials otherwise. */
export function runnerFor(env: Environment, workDir = workDirFor(env)): TerraformRunner {
  const extra: NodeJS.ProcessEnv = env.sandboxEndpoint ? { AWS_ENDPOINT_URL: env.sandboxEndpoint } : {};
  return terraformRunner(join(workDir, "logs"), extra);
}

/** The commit being deployed: DEPLOY_COMMIT, else the checkout's HEAD, else "unrecorded". */
export function currentCommit(): string {
  if (process.env.DEPLOY_COMMIT) return process.env.DEPLOY_COMMIT;
  const r = spawnSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unrecorded";
}

/** Whether `a` is an ancestor of (or equal to) `b` in this checkout; undefined when git cannot tell. */
function isAncestor(a: string, b: string): boolean | undefined {
  const r = spawnSync("git", ["merge-base", "--is-ancestor", a, b], { encoding: "utf8" });
  return r.status === 0 ? true : r.status === 1 ? false : undefined;
}

/**
 * Refuses to apply a commit older than (or beside) the one a stack was last applied from, unless
 * this run is a rollback: a re-run of an old workflow, or a deploy of a stale checkout, would
 * otherwise put old code back over new. Reads the stack's `deployed_commit` output (init first).
 */
export async function requireForward(tf: TerraformRunner, dir: string, stack: string, commit: string, rollback: boolean): Promise<string | undefined> {
  const deployed = (await tf.outputs(dir).catch(() => ({}) as Record<string, string>)).deployed_commit;
  if (!deployed || deployed === "unrecorded" || commit === "unrecorded" || deployed === commit) return deployed;
  const forward = isAncestor(deployed, commit);
  if (forward === true || rollback) return deployed;
  const why =
    forward === undefined
      ? `git cannot tell whether ${commit} comes after the deployed ${deployed} (fetch the full history: actions/checkout with fetch-depth: 0)`
      : isAncestor(commit, deployed)
        ? `${stack} was last applied from ${deployed}, which is newer than ${commit}`
        : `${stack} was last applied from ${deployed}, which is not an ancestor of ${commit}`;
  throw new PipelineError(`${why}; refusing to go backwards. To roll back on purpose, run again with --rollback (in GitHub: the deploy workflow's rollback input).`);
}

export const PRIMARY_FIRST = "apply the primary stack first";

/**
 * The DR stack finds the replica table (and its stream) by name in the DR
 * region; before the primary stack has created it, say so instead of letting
 * terraform fail on a data source.
 */
export async function requirePrimaryApplied(env: Environment): Promise<void> {
  const n = names(env);
  const { dynamodb } = regionClients(env, env.drRegion, { maxAttempts: 3 });
  try {
    const t = await dynamodb.send(new DescribeTableCommand({ TableName: n.table }));
    if (!t.Table?.LatestStreamArn) {
      throw new PipelineError(`the table ${n.table} in ${env.drRegion} has no stream yet: ${PRIMARY_FIRST} (npm run deploy:primary -- --env ${env.name}) and let it finish`);
    }
  } catch (e) {
    if (e instanceof ResourceNotFoundException) {
      throw new PipelineError(
        `the DR stack needs the replicated table ${n.table} in ${env.drRegion}, which does not exist: ${PRIMARY_FIRST} ` +
          `(npm run deploy:primary -- --env ${env.name}).`,
      );
    }
    throw e;
  } finally {
    dynamodb.destroy();
  }
}

/** The line terraform ends an apply/plan/destroy with, from its log. */
export function summaryLine(log: string): string | undefined {
  const text = readFileSync(log, "utf8");
  for (const re of [/^(Apply complete!.*)$/m, /^(Destroy complete!.*)$/m, /^(Plan: .*)$/m, /^(No changes\..*)$/m]) {
    const m = text.match(re);
    if (m) return m[1];
  }
  return undefined;
}

/** Appends markdown to the GitHub job summary when running in Actions; a no-op elsewhere. */
export function stepSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}\n\n`);
}

/** Runs `main`, prints PipelineErrors as one line, exits with its code. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e instanceof PipelineError ? `${name}: ${e.message}` : `${name} failed: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  );
}
