// An environment's two stacks as the pipeline's steps and the break-glass tools (failover,
// failback, smoke) work on them: synthesized into their own folder, checked before anything
// touches them (the settings a real environment needs, a running sandbox for `local`, a commit
// no older than the deployed one), run with terraform, and summarized for the GitHub job.
import { App } from "cdktf";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackDirs, synthApp } from "../../stacks/app";
import { unsetSettings, type Environment } from "../../stacks/environments";
import type { Role } from "../../stacks/names";
import { PipelineError } from "./errors";
import { sandboxCredentials } from "./clients";
import { setupLocalAccount } from "./local-account";
import { sessionEnv } from "./pipeline-session";
import { terraformRunner, type TerraformRunner } from "./terraform";

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
 * administrator creates once per account (GitHub's OIDC provider, the permissions boundary, the
 * pipeline roles, the state buckets: local-account.ts): not during a failover, which must not
 * depend on IAM's control plane (in us-east-1).
 */
export async function requireSandbox(env: Environment, opts: { accountSetup?: boolean } = {}): Promise<void> {
  if (!env.sandboxEndpoint) return;
  const url = `${env.sandboxEndpoint}/__sandbox/health`;
  let problem: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) {
      // The one-time account setup of a real environment, done for the sandbox.
      if (opts.accountSetup !== false) await setupLocalAccount(env.sandboxEndpoint, env);
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

/**
/**
 * Environment for terraform: the caller's AWS credentials, read at each command (a step assumes its
 * pipeline role's session with useSession first), and for `local` the sandbox endpoint. A changed
 * state location (another LOCAL_STATE_DIR, LOCAL_STATE=s3) just works for `local`; a real
 * environment's is refused, naming both (terraform.ts).
 */
export function runnerFor(env: Environment, workDir = workDirFor(env)): TerraformRunner {
  const extra: NodeJS.ProcessEnv = env.sandboxEndpoint ? { AWS_ENDPOINT_URL: env.sandboxEndpoint } : {};
  return terraformRunner(join(workDir, "logs"), extra, {
    onBackendChange: env.name === "local" ? "reconfigure" : "refuse",
    envAtRun: env.sandboxEndpoint ? () => sessionEnv(sandboxCredentials()) : undefined,
  });
}

/** Whether `a` is an ancestor of (or equal to) `b` in this checkout; undefined when git cannot tell. */
function isAncestor(a: string, b: string): boolean | undefined {
  const r = spawnSync("git", ["merge-base", "--is-ancestor", a, b], { encoding: "utf8" });
  return r.status === 0 ? true : r.status === 1 ? false : undefined;
}

/**
 * Refuses to apply a commit older than (or beside) the one a stack was last applied from, unless
 * this run is a rollback: a re-run of an old workflow, or a deploy of a stale checkout, would
 * otherwise put old code back over new. A rollback goes only backwards: to a commit older than the
 * deployed one (its ancestor), never to a newer one or one beside it. Reads the stack's
 * `deployed_commit` output (init first).
 */
export async function requireForward(tf: TerraformRunner, dir: string, stack: string, commit: string, rollback: boolean): Promise<string | undefined> {
  const deployed = (await tf.outputs(dir).catch(() => ({}) as Record<string, string>)).deployed_commit;
  if (!deployed || deployed === "unrecorded" || commit === "unrecorded" || deployed === commit) return deployed;
  const history = "fetch the full history: actions/checkout with fetch-depth: 0";
  if (rollback) {
    const backward = isAncestor(commit, deployed);
    if (backward === true) return deployed;
    const why =
      backward === undefined
        ? `git cannot tell whether ${commit} is older than the deployed ${deployed} (${history})`
        : isAncestor(deployed, commit)
          ? `${commit} is newer than the deployed ${deployed}: that is a deploy, not a rollback (run it without --rollback)`
          : `${commit} is not an ancestor of the deployed ${deployed}: roll back only to an older commit of main`;
    throw new PipelineError(`${stack}: ${why}; refusing the rollback.`);
  }
  const forward = isAncestor(deployed, commit);
  if (forward === true) return deployed;
  const why =
    forward === undefined
      ? `git cannot tell whether ${commit} comes after the deployed ${deployed} (${history})`
      : isAncestor(commit, deployed)
        ? `${stack} was last applied from ${deployed}, which is newer than ${commit}`
        : `${stack} was last applied from ${deployed}, which is not an ancestor of ${commit}`;
  throw new PipelineError(
    `${why}; refusing to go backwards. To roll back on purpose, run again with --rollback (in GitHub: the deploy workflow, run from main with the commit to go back to).`,
  );
}

/** Appends markdown to the GitHub job summary when running in Actions; a no-op elsewhere. */
export function stepSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}\n\n`);
}

/**
 * What every step that plans, applies or switches checks first: the environment's required
 * settings, and for `local` a running sandbox (`accountSetup: false` during a failover: see
 * requireSandbox).
 */
export async function requireTarget(env: Environment, opts: { accountSetup?: boolean } = {}): Promise<void> {
  requireConfigured(env);
  await requireSandbox(env, opts);
}

/** The environment synthesized into its work folder, and a terraform runner for its stacks. */
export function prepareStacks(env: Environment): { workDir: string; dirs: Record<Role, string>; tf: TerraformRunner } {
  const workDir = workDirFor(env);
  return { workDir, dirs: synthEnvironment(env, workDir), tf: runnerFor(env, workDir) };
}
