// Deploys the real `local` environment stacks to a running sandbox: synthesizes
// them with the sandbox endpoint, applies the primary stack then the DR stack
// (the order the pipeline promotes them in), and reads their outputs.
import { CreatePolicyCommand, EntityAlreadyExistsException, IAMClient } from "@aws-sdk/client-iam";
import { App } from "cdktf";
import { SANDBOX_ACCOUNT_ID } from "@cognito-dr/sandbox";
import { boundaryPolicy } from "./pipeline-policies";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackDirs, synthApp } from "../../stacks/app";
import { environment, type Environment } from "../../stacks/environments";
import { names } from "../../stacks/names";
import { terraformRunner, type PlanOptions } from "./terraform";

export interface LocalDeployment {
  env: Environment;
  stackDirs: { primary: string; dr: string };
  primary: Record<string, string>;
  dr: Record<string, string>;
  /** `terraform plan` of both stacks: true when either would change. */
  planChanges(): Promise<boolean>;
  /** `terraform apply` of one stack's directory as it is now (tests apply variants of the JSON). */
  apply(role: "primary" | "dr"): Promise<void>;
  /** `terraform plan -detailed-exitcode` of one stack: whether it would change anything. */
  plan(role: "primary" | "dr", opts?: PlanOptions): Promise<{ changes: boolean; log: string }>;
  destroy(): Promise<void>;
}

export interface DeployOptions {
  endpoint: string;
  workDir: string;
  log?: (line: string) => void;
  /** Where the stacks keep state: files under the work dir (default), or the sandbox's S3, one bucket per region (which must exist). */
  state?: "files" | "s3";
}

export function synthLocal(endpoint: string, workDir: string, state: DeployOptions["state"] = "files"): { env: Environment; primary: string; dr: string } {
  const outdir = resolve(workDir, "cdktf.out");
  mkdirSync(outdir, { recursive: true });
  const env = environment("local", { ...process.env, SANDBOX_ENDPOINT: endpoint, LOCAL_STATE_DIR: resolve(workDir, "state"), LOCAL_STATE: state === "s3" ? "s3" : "files" });
  const app = new App({ outdir });
  synthApp(app, [env]);
  app.synth();
  return { env, ...stackDirs(outdir, env) };
}

/**
 * The environment's permissions boundary in the sandbox, as an administrator creates it once per
 * account before the first deploy (npm run pipeline-policies): every role the stacks create carries
 * it, and the sandbox's authorizer holds every function to it.
 */
export async function ensureBoundary(endpoint: string, env: Pick<Environment, "name" | "prefix" | "primaryRegion" | "drRegion">): Promise<void> {
  const iam = new IAMClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" }, maxAttempts: 5 });
  try {
    await iam.send(new CreatePolicyCommand({ PolicyName: names(env).boundary, PolicyDocument: JSON.stringify(boundaryPolicy({ env, account: SANDBOX_ACCOUNT_ID })) }));
  } catch (e) {
    if (!(e instanceof EntityAlreadyExistsException)) throw e;
  } finally {
    iam.destroy();
  }
}

export async function deployLocal(opts: DeployOptions): Promise<LocalDeployment> {
  const log = opts.log ?? (() => {});
  const { env, primary, dr } = synthLocal(opts.endpoint, opts.workDir, opts.state);
  await ensureBoundary(opts.endpoint, env);
  const tf = terraformRunner(join(opts.workDir, "logs"), { AWS_ENDPOINT_URL: opts.endpoint });
  const outputs: Record<string, Record<string, string>> = {};
  for (const [role, dir] of [["primary", primary], ["dr", dr]] as const) {
    const started = Date.now();
    await tf.init(dir);
    await tf.apply(dir);
    outputs[role] = await tf.outputs(dir);
    log(`applied ${role} stack in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return {
    env,
    stackDirs: { primary, dr },
    primary: outputs.primary,
    dr: outputs.dr,
    async planChanges() {
      const [p, d] = [await tf.plan(primary), await tf.plan(dr)];
      return p.changes || d.changes;
    },
    async apply(role) {
      await tf.apply(role === "primary" ? primary : dr);
    },
    plan(role, opts) {
      return tf.plan(role === "primary" ? primary : dr, opts);
    },
    async destroy() {
      for (const [role, dir] of [["dr", dr], ["primary", primary]] as const) {
        const started = Date.now();
        await tf.destroy(dir);
        log(`destroyed ${role} stack in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    },
  };
}
