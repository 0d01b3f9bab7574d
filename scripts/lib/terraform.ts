// Runs terraform on a synthesized stack directory: init (the committed provider lock file copied in
// and verified, the provider from the mirror when found), plan (to a file, for review), apply (of
// that reviewed file, or directly for local and break-glass), destroy, outputs, the state's serial.
// Every command that takes the state lock waits for it (`-lock-timeout`) instead of failing at
// once: a concurrent run (a CI plan, a drift check) holds it for seconds. Output goes to a log file
// per stack and command; errors quote its tail so the reason is on screen. A stack folder is kept
// between runs and terraform remembers its backend: when the synthesized backend differs, init
// stops with "Backend configuration changed", and the runner either initialises again with
// -reconfigure (`local`: a new state location just works) or refuses in one line (never re-points
// a real environment's state by itself).
import { spawn } from "node:child_process";
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { PipelineError } from "./errors";
import { findTerraform, TERRAFORM_MISSING, terraformEnv } from "./tools";

/** Committed provider lock files, one per stack role (npm run providers:lock writes them). */
export const LOCKS_DIR = resolve(__dirname, "..", "..", "stacks", "locks");

/** How long a command waits for the state lock (terraform's default is to fail at once). */
export const LOCK_TIMEOUT = process.env.TF_LOCK_TIMEOUT ?? "10m";

/** The committed lock file for a synthesized stack directory (`cdr-<env>-primary` / `-dr`). */
export function lockFileFor(stackDir: string): string {
  const role = basename(stackDir).endsWith("-dr") ? "dr" : "primary";
  return join(LOCKS_DIR, `${role}.terraform.lock.hcl`);
}

export interface PlanOptions {
  /** Read-only plans (pull requests, drift detection) take no lock: their role cannot write it. */
  lock?: boolean;
  /**
   * `-refresh=false`: plan from the state alone, reading no managed resource. The break-glass
   * failover plans so: a refresh reads every IAM role through IAM's control plane, which is in
   * us-east-1 whatever the stack's region, and may be down with it.
   */
  refresh?: boolean;
}

export interface TerraformRunner {
  init(stackDir: string, opts?: { reconfigure?: boolean }): Promise<void>;
  apply(stackDir: string): Promise<void>;
  plan(stackDir: string, opts?: PlanOptions): Promise<{ changes: boolean; log: string }>;
  /** `plan -out=<file>`: what a reviewer approves and `applyPlan` applies, nothing else. */
  planToFile(stackDir: string, file: string, opts?: PlanOptions): Promise<{ changes: boolean; log: string }>;
  /** `apply <file>`: terraform refuses a plan whose state has changed since ("Saved plan is stale"). */
  applyPlan(stackDir: string, file: string): Promise<{ log: string }>;
  /** `show -json <file>`: the plan as data (resource_changes with their actions). */
  showPlan(stackDir: string, file: string): Promise<unknown>;
  destroy(stackDir: string): Promise<void>;
  outputs(stackDir: string): Promise<Record<string, string>>;
  /** The state's serial (evidence of what an apply produced); undefined without state. */
  stateSerial(stackDir: string): Promise<number | undefined>;
}

export interface RunnerOptions {
  /**
   * When init finds the backend changed: `reconfigure` (init again with -reconfigure, starting from
   * whatever state the new location holds) or `refuse` (the default).
   */
  onBackendChange?: "reconfigure" | "refuse";
  /** Read before every command and added to terraform's environment: a step that switches role sessions between stacks hands its current session so. */
  envAtRun?: () => NodeJS.ProcessEnv;
}

/** A backend as a person reads it: `s3://bucket/key (region)`, or the local state file. */
function describeBackend(type: string | undefined, config: Record<string, unknown> | undefined): string {
  if (type === "s3") return `s3://${String(config?.bucket)}/${String(config?.key)} (${String(config?.region)})`;
  if (type === "local") return `local state ${String(config?.path ?? "terraform.tfstate")}`;
  return type ?? "none";
}

/** The backend the folder was initialised with (.terraform) and the one its configuration now has. */
function backends(dir: string): { was: string; now: string } {
  const read = (file: string) => {
    try {
      return JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const was = (read(join(".terraform", "terraform.tfstate")).backend ?? {}) as { type?: string; config?: Record<string, unknown> };
  const block = ((read("cdk.tf.json").terraform ?? {}) as { backend?: Record<string, Record<string, unknown>> }).backend ?? {};
  const [type, config] = Object.entries(block)[0] ?? [];
  return { was: describeBackend(was.type, was.config), now: describeBackend(type, config) };
}

export function terraformRunner(logDir: string, extraEnv: NodeJS.ProcessEnv = {}, runnerOpts: RunnerOptions = {}): TerraformRunner {
  const bin = findTerraform();
  if (!bin) throw new Error(TERRAFORM_MISSING);
  mkdirSync(logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...terraformEnv(logDir), AWS_EC2_METADATA_DISABLED: "true", ...extraEnv };
  // Against the sandbox without a session given: its administrator, never a session left in the
  // caller's environment for another step.
  if (extraEnv.AWS_ENDPOINT_URL && !extraEnv.AWS_ACCESS_KEY_ID) {
    Object.assign(env, { AWS_ACCESS_KEY_ID: "sandbox", AWS_SECRET_ACCESS_KEY: "sandbox" });
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
  }

  const run = (stackDir: string, args: string[], okCodes = [0], logName = args[0]) =>
    new Promise<{ code: number; log: string; stdout: string }>((done, reject) => {
      const log = join(logDir, `${basename(stackDir)}.${logName}.log`);
      const out = createWriteStream(log);
      const child = spawn(bin, args, { cwd: stackDir, env: runnerOpts.envAtRun ? { ...env, ...runnerOpts.envAtRun() } : env });
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
        out.write(d);
      });
      child.stderr.pipe(out);
      child.on("error", reject);
      child.on("close", (code) => {
        out.end(() => {
          if (okCodes.includes(code ?? 1)) return done({ code: code ?? 1, log, stdout });
          const tail = readFileSync(log, "utf8").split("\n").slice(-40).join("\n");
          reject(new Error(`terraform ${args[0]} failed in ${basename(stackDir)} (exit ${code}); full log: ${log}\n${tail}`));
        });
      });
    });
  const lockArgs = (opts?: PlanOptions) => [...(opts?.lock === false ? ["-lock=false"] : [`-lock-timeout=${LOCK_TIMEOUT}`]), ...(opts?.refresh === false ? ["-refresh=false"] : [])];

  return {
    async init(dir, opts = {}) {
      const lock = lockFileFor(dir);
      if (!existsSync(lock)) throw new Error(`${lock} is missing: run npm run providers:lock and commit it`);
      copyFileSync(lock, join(dir, ".terraform.lock.hcl"));
      const args = ["init", "-input=false", "-no-color", "-lockfile=readonly", `-lock-timeout=${LOCK_TIMEOUT}`];
      try {
        await run(dir, [...args, ...(opts.reconfigure ? ["-reconfigure"] : [])]);
      } catch (e) {
        // Terraform's own check (https://developer.hashicorp.com/terraform/cli/commands/init#backend-initialization).
        if (opts.reconfigure || !/Error: Backend configuration changed/.test((e as Error).message)) throw e;
        if (runnerOpts.onBackendChange === "reconfigure") return void (await run(dir, [...args, "-reconfigure"]));
        const { was, now } = backends(dir);
        throw new PipelineError(
          `${basename(dir)}: its state backend changed from ${was} to ${now}; not re-pointing the state silently. ` +
            `If the state really moved there, run \`terraform -chdir=${dir} init -migrate-state\` (it copies the state and asks before overwriting any); ` +
            `if not, restore the setting that changed (<ENV>_STATE_BUCKET, <ENV>_DR_STATE_BUCKET, <ENV>_STATE_KEY_PREFIX, the regions).`,
        );
      }
    },
    async apply(dir) {
      await run(dir, ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", `-lock-timeout=${LOCK_TIMEOUT}`]);
    },
    async plan(dir, opts) {
      const r = await run(dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color", ...lockArgs(opts)], [0, 2]);
      return { changes: r.code === 2, log: r.log };
    },
    async planToFile(dir, file, opts) {
      const r = await run(dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color", `-out=${file}`, ...lockArgs(opts)], [0, 2]);
      return { changes: r.code === 2, log: r.log };
    },
    async applyPlan(dir, file) {
      const r = await run(dir, ["apply", "-input=false", "-no-color", "-parallelism=20", `-lock-timeout=${LOCK_TIMEOUT}`, file]);
      return { log: r.log };
    },
    async showPlan(dir, file) {
      const r = await run(dir, ["show", "-json", "-no-color", file], [0], "show");
      return JSON.parse(r.stdout) as unknown;
    },
    async destroy(dir) {
      await run(dir, ["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", `-lock-timeout=${LOCK_TIMEOUT}`]);
    },
    async outputs(dir) {
      const r = await run(dir, ["output", "-json", "-no-color"]);
      const parsed = JSON.parse(r.stdout) as Record<string, { value: string }>;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
    },
    async stateSerial(dir) {
      const r = await run(dir, ["state", "pull"], [0], "state-pull");
      if (!r.stdout.trim()) return undefined;
      return (JSON.parse(r.stdout) as { serial?: number }).serial;
    },
  };
}
