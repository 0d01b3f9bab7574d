// Native mode's deploy step, as the pipeline runs it after each stack's apply: what the replica
// should be (from the environment and the stacks' outputs) and the run in the right Region.
// - after the primary stack: the pool's key and issuer, and a replica that exists INACTIVE (the DR
//   stack finds it by name in its Region), from the primary's Region, as the primary deploy role;
// - after the DR stack: the secondary's per-Region settings (this Region's pre-token trigger, email
//   through SES in this Region, tags) and activation, from the DR Region only, as the DR deploy role
//   (held to that Region, so the DR stack can be deployed while the primary's is impaired);
// - before destroy: inactive, deleted, gone (from the primary's Region).
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { poolEmail } from "../../../stacks/regional";
import type { Environment } from "../../../stacks/environments";
import type { Role } from "../../../stacks/names";
import { sandboxCredentials } from "../clients";
import { PipelineError } from "../errors";
import { ensureReplication, removeReplication, type ReplicationClients, type StepsTaken } from "./apply";
import type { RegionalSettings, WantedReplication } from "./plan";

export type StackOutputs = Record<string, string>;

export interface NativeStepOptions {
  /** The deploy role's session (local deploys pass it; the pipeline's is in the environment). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  log?: (line: string) => void;
  pollMs?: number;
}

function need(outputs: StackOutputs | undefined, key: string, stack: string): string {
  const v = outputs?.[key];
  if (!v) throw new PipelineError(`native replica: the ${stack} stack has no output ${key} (apply it first; is the environment in native mode?)`);
  return v;
}

/** The DR Region's per-Region settings of the secondary: its own trigger, its own sender, the environment's tags. */
export function regionalSettings(env: Environment, dr: StackOutputs | undefined): RegionalSettings {
  const tags = { ...env.tags };
  if (!dr) return { UserPoolTags: tags };
  const keyArn = need(dr, "pool_key_arn", "DR");
  const [, partition, , , account] = keyArn.split(":");
  const email = poolEmail(env, { id: account!, partition: partition! }, "dr");
  return {
    LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: need(dr, "pre_token_function_arn", "DR"), LambdaVersion: "V2_0" } },
    EmailConfiguration:
      email.kind === "ses"
        ? { EmailSendingAccount: "DEVELOPER", SourceArn: email.sourceArn, From: email.from, ...(email.configurationSet ? { ConfigurationSet: email.configurationSet } : {}) }
        : { EmailSendingAccount: "COGNITO_DEFAULT" },
    UserPoolTags: tags,
  };
}

/** What the replica should be, as seen from `role`'s Region (its key ARN is that Region's copy). */
export function wantedReplication(env: Environment, role: Role, outputs: { primary?: StackOutputs; dr?: StackOutputs }): WantedReplication {
  return {
    region: env.drRegion,
    keyArn: need(role === "primary" ? outputs.primary : outputs.dr, "pool_key_arn", role === "primary" ? "primary" : "DR"),
    // Tokens name the primary's Region from both (federation-endpoints.html, "updated issuer").
    issuer: "UPDATED",
    regional: regionalSettings(env, role === "dr" ? outputs.dr : undefined),
  };
}

function clients(env: Environment, opts: NativeStepOptions): ReplicationClients {
  const make = (region: string) =>
    new CognitoIdentityProviderClient({
      region,
      retryMode: "adaptive",
      maxAttempts: 8,
      ...(env.sandboxEndpoint ? { endpoint: env.sandboxEndpoint } : {}),
      // The session given, else the process's (the pipeline's role, or the sandbox's keys for `local`).
      ...(opts.credentials ? { credentials: opts.credentials } : env.sandboxEndpoint ? { credentials: sandboxCredentials() } : {}),
    });
  return { primary: make(env.primaryRegion), secondary: make(env.drRegion) };
}

function poolIdOf(role: Role, outputs: { primary?: StackOutputs; dr?: StackOutputs }): string {
  return role === "primary" ? need(outputs.primary, "user_pool_id", "primary") : need(outputs.dr, "user_pool_id", "DR");
}

/** The step after `role`'s apply (see the top of this file); the DR step needs only the DR stack's outputs. */
export async function nativeReplicaStep(env: Environment, role: Role, outputs: { primary?: StackOutputs; dr?: StackOutputs }, opts: NativeStepOptions = {}): Promise<StepsTaken> {
  const c = clients(env, opts);
  try {
    const run = {
      poolId: poolIdOf(role, outputs),
      region: env.drRegion,
      from: role === "primary" ? ("primary" as const) : ("secondary" as const),
      primaryStepCommand: `npm run native-replica -- --env ${env.name} --stack primary`,
      log: opts.log,
      pollMs: opts.pollMs,
    };
    return await ensureReplication(c, run, wantedReplication(env, role, outputs), role === "primary" ? "inactive" : "active");
  } finally {
    c.primary.destroy();
    c.secondary.destroy();
  }
}

/** Before the stacks are destroyed: the replica inactive, deleted and gone (from the primary's Region, as AWS requires). */
export async function removeNativeReplica(env: Environment, primary: StackOutputs, opts: NativeStepOptions = {}): Promise<StepsTaken> {
  const c = clients(env, opts);
  try {
    return await removeReplication(c, { poolId: poolIdOf("primary", { primary }), region: env.drRegion, log: opts.log, pollMs: opts.pollMs });
  } finally {
    c.primary.destroy();
    c.secondary.destroy();
  }
}
