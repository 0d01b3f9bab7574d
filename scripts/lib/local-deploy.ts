// Deploys the real `local` environment stacks to a running sandbox as the pipeline would: the
// one-time account setup an administrator makes (local-account.ts), then the primary stack applied
// as the primary deploy role and the DR stack as the DR deploy role, each role session assumed
// through the sandbox's STS with the GitHub environment's OIDC token (pipeline-session.ts); plans
// made as the read-only plan role; outputs read back.
import { App } from "cdktf";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackDirs, synthApp } from "../../stacks/app";
import { environment, type DeployMode, type Environment } from "../../stacks/environments";
import { setupLocalAccount } from "./local-account";
import { nativeReplicaStep, removeNativeReplica } from "./native-replica/deploy";
import { pipelineSession, sessionEnv, type PipelineStep } from "./pipeline-session";
import { terraformRunner, type PlanOptions, type TerraformRunner } from "./terraform";

export interface LocalDeployment {
  env: Environment;
  stackDirs: { primary: string; dr: string };
  primary: Record<string, string>;
  dr: Record<string, string>;
  /** `terraform plan` of both stacks as the read-only plan role: true when either would change. */
  planChanges(): Promise<boolean>;
  /** `terraform apply` of one stack's directory as it is now, as its deploy role (tests apply variants of the JSON). */
  apply(role: "primary" | "dr"): Promise<void>;
  /** `terraform plan -detailed-exitcode` of one stack as its deploy role: whether it would change anything. */
  plan(role: "primary" | "dr", opts?: PlanOptions): Promise<{ changes: boolean; log: string }>;
  /** A terraform runner for one stack as `step`'s pipeline role (tests that run terraform themselves). */
  runnerAs(step: PipelineStep): Promise<TerraformRunner>;
  destroy(): Promise<void>;
}

export interface DeployOptions {
  endpoint: string;
  workDir: string;
  log?: (line: string) => void;
  /** Where the stacks keep state: files under the work dir (default), or the sandbox's S3, one bucket per region (created by the account setup). */
  state?: "files" | "s3";
  /** The replication mode to deploy (default: LOCAL_REPLICATION_MODE, else one-way). */
  mode?: DeployMode;
}

export function synthLocal(endpoint: string, workDir: string, state: DeployOptions["state"] = "files", mode?: DeployMode): { env: Environment; primary: string; dr: string } {
  const outdir = resolve(workDir, "cdktf.out");
  mkdirSync(outdir, { recursive: true });
  const env = environment("local", {
    ...process.env,
    SANDBOX_ENDPOINT: endpoint,
    LOCAL_STATE_DIR: resolve(workDir, "state"),
    LOCAL_STATE: state === "s3" ? "s3" : "files",
    ...(mode ? { LOCAL_REPLICATION_MODE: mode } : {}),
  });
  const app = new App({ outdir });
  synthApp(app, [env]);
  app.synth();
  return { env, ...stackDirs(outdir, env) };
}

export async function deployLocal(opts: DeployOptions): Promise<LocalDeployment> {
  const log = opts.log ?? (() => {});
  const { env, primary, dr } = synthLocal(opts.endpoint, opts.workDir, opts.state, opts.mode);
  await setupLocalAccount(opts.endpoint, env);
  const logs = join(opts.workDir, "logs");
  const regionOf = (step: PipelineStep) => (step === "primary" || step === "plan" || step === "failback" ? env.primaryRegion : env.drRegion);
  const runnerAs = async (step: PipelineStep) => {
    const session = await pipelineSession(env, step, regionOf(step));
    return terraformRunner(logs, { AWS_ENDPOINT_URL: opts.endpoint, ...sessionEnv(session!) });
  };
  const dirOf = (role: "primary" | "dr") => (role === "primary" ? primary : dr);
  const outputs: Record<string, Record<string, string>> = {};
  const native = env.replication.engine === "native";
  const nativeStep = async (role: "primary" | "dr") => {
    const started = Date.now();
    const credentials = await pipelineSession(env, role, regionOf(role));
    const steps = await nativeReplicaStep(env, role, { primary: outputs.primary!, dr: outputs.dr }, { credentials, log, pollMs: 200 });
    log(`native replica step after the ${role} stack as its pipeline role: ${steps.map((s) => s.kind).join(", ") || "nothing to do"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  for (const role of ["primary", "dr"] as const) {
    const started = Date.now();
    const tf = await runnerAs(role);
    await tf.init(dirOf(role));
    await tf.apply(dirOf(role));
    outputs[role] = await tf.outputs(dirOf(role));
    log(`applied ${role} stack as its pipeline role in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Native: the replica the provider cannot make, after each apply (the DR stack finds it by name).
    if (native) await nativeStep(role);
  }
  return {
    env,
    stackDirs: { primary, dr },
    primary: outputs.primary!,
    dr: outputs.dr!,
    runnerAs,
    async planChanges() {
      // The plan role reads both states and cannot write them: no lock (as the workflows plan).
      const tf = await runnerAs("plan");
      const [p, d] = [await tf.plan(primary, { lock: false }), await tf.plan(dr, { lock: false })];
      return p.changes || d.changes;
    },
    async apply(role) {
      const tf = await runnerAs(role);
      await tf.apply(dirOf(role));
      if (!native) return;
      outputs[role] = await tf.outputs(dirOf(role));
      await nativeStep(role);
    },
    async plan(role, planOpts) {
      return (await runnerAs(role)).plan(dirOf(role), planOpts);
    },
    async destroy() {
      for (const role of ["dr", "primary"] as const) {
        // Native: the replica goes after the DR stack (which finds it by name) and before the primary pool.
        if (native && role === "primary") await removeNativeReplica(env, outputs.primary!, { credentials: await pipelineSession(env, "primary", env.primaryRegion), log, pollMs: 200 });
        const started = Date.now();
        await (await runnerAs(role)).destroy(dirOf(role));
        log(`destroyed ${role} stack in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    },
  };
}
