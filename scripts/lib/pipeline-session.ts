// The credentials a pipeline step runs with. In GitHub, each job names a GitHub environment, gets an
// OIDC token whose subject names it, and aws-actions/configure-aws-credentials exchanges the token
// for a session of the role that trusts that subject (STS AssumeRoleWithWebIdentity, through the
// job's region's STS endpoint). For `local` the same happens against the sandbox: its stand-in
// issuer mints the job's token and its STS decides with the role's trust policy, so every local
// plan, apply, destroy, failover and failback runs as the role the workflow would use, and the
// sandbox's authorizer holds terraform's calls to that role's policy. For real environments this
// returns nothing: the job's environment already holds the credentials.
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { regionalEndpoint, SandboxAdmin, type SessionCredentials } from "@cognito-dr/sandbox";
import type { Environment } from "../../stacks/environments";
import { PipelineError } from "./errors";
import { LOCAL_REPOSITORY, localPolicyTarget } from "./local-account";
import { pipelinePolicies } from "./pipeline-policies";

/** A workflow step, by the pipeline role (and GitHub environment) it runs under. */
export const PIPELINE_STEPS = ["plan", "primary", "dr", "failover", "failback"] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** The GitHub environment whose jobs run `step` (the workflows name them so; README, "The pipeline"). */
export function githubEnvironment(env: Pick<Environment, "name">, step: PipelineStep): string {
  return step === "primary" ? env.name : `${env.name}-${step}`;
}

/** For `local`: a session of the step's pipeline role, assumed as the workflow job would; else undefined. */
export async function pipelineSession(env: Environment, step: PipelineStep, region: string): Promise<SessionCredentials | undefined> {
  if (!env.sandboxEndpoint) return undefined;
  const ghEnv = githubEnvironment(env, step);
  const t = localPolicyTarget(env);
  const role = pipelinePolicies(t).roles.find((r) => r.environment === ghEnv);
  if (!role) throw new PipelineError(`no pipeline role trusts GitHub environment ${ghEnv}`);
  const token = await new SandboxAdmin(env.sandboxEndpoint).githubToken(`repo:${LOCAL_REPOSITORY}:environment:${ghEnv}`, { claims: { repository: LOCAL_REPOSITORY, environment: ghEnv } });
  const sts = new STSClient({ region, endpoint: regionalEndpoint(env.sandboxEndpoint, region), maxAttempts: 3 });
  try {
    const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${t.account}:role/${role.name}`, RoleSessionName: `github-${ghEnv}`, WebIdentityToken: token }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("STS answered without credentials");
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } catch (e) {
    throw new PipelineError(
      `could not assume ${role.name} for GitHub environment ${ghEnv} (${(e as Error).name}: ${(e as Error).message}); ` +
        "its trust policy must allow this job's subject (npm run pipeline-policies prints it)",
    );
  } finally {
    sts.destroy();
  }
}

/**
 * Makes a session this process's AWS credentials, as configure-aws-credentials exports them to the
 * job: the SDK clients this step creates and the terraform it runs use them.
 */
export function useSession(c: SessionCredentials | undefined): void {
  if (!c) return;
  process.env.AWS_ACCESS_KEY_ID = c.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = c.secretAccessKey;
  process.env.AWS_SESSION_TOKEN = c.sessionToken;
}

/** A session as the environment variables terraform and the SDK read. */
export function sessionEnv(c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): NodeJS.ProcessEnv {
  // An undefined AWS_SESSION_TOKEN removes one a previous session left (child processes omit undefined values).
  return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken };
}
