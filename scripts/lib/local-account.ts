// What an administrator creates once per account before the first deploy (README, "One-time GitHub
// and IAM setup"), done for the sandbox with the very documents `npm run pipeline-policies` prints:
// GitHub's OIDC provider, the permissions boundary, the five pipeline roles (trust and permissions
// policies, tagged like the stacks' resources) and, for S3 state, the state buckets. The pipeline's
// steps then assume those roles through the sandbox's STS, as a workflow job does through AWS's.
//
// Run again, it brings the roles and the boundary up to the current documents (a policy change
// reaches a long-lived sandbox), as an administrator re-running the setup would.
import {
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  EntityAlreadyExistsException,
  IAMClient,
  ListPolicyVersionsCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client, type BucketLocationConstraint } from "@aws-sdk/client-s3";
import { GITHUB_ISSUER, SANDBOX_ACCOUNT_ID } from "@cognito-dr/sandbox";
import { APP_TAG, type Environment } from "../../stacks/environments";
import { PipelineError } from "./errors";
import { boundaryArn, pipelinePolicies, type PipelinePolicies, type PolicyTarget } from "./pipeline-policies";

/** The GitHub repository the sandbox's pipeline stands for (its OIDC subjects name it). */
export const LOCAL_REPOSITORY = "sandbox/cognito-dr";

/** The inline policy each pipeline role carries (an administrator may attach a managed one instead). */
export const PIPELINE_POLICY_NAME = "pipeline";

const ADMIN = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };

/** The policy target of the sandbox's account: its account id, the local repository, the environment's state buckets. */
export function localPolicyTarget(env: Environment): PolicyTarget {
  const b = env.backend;
  const stateBuckets = b.kind === "s3" ? { primary: b.primary.bucket, dr: b.dr.bucket } : { primary: `cdr-${env.name}-state-${env.primaryRegion}`, dr: `cdr-${env.name}-state-${env.drRegion}` };
  return { env, account: SANDBOX_ACCOUNT_ID, repository: LOCAL_REPOSITORY, stateBuckets, stateKeyPrefix: b.kind === "s3" ? b.keyPrefix : `cognito-dr/${env.name}` };
}

const exists = (e: unknown) => e instanceof EntityAlreadyExistsException || (e as Error).name === "EntityAlreadyExists";

async function ensureBoundary(iam: IAMClient, t: PolicyTarget, name: string, document: string): Promise<void> {
  try {
    await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: document }));
    return;
  } catch (e) {
    if (!exists(e)) throw e;
  }
  // IAM keeps at most five versions of a managed policy: drop the oldest non-default ones first.
  const arn = boundaryArn(t);
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
  for (const v of versions.filter((x) => !x.IsDefaultVersion).slice(0, Math.max(0, versions.length - 4))) {
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId }));
  }
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }));
}

/**
 * `edit` changes the documents before they are created: tests take a grant away to see the step
 * that needs it fail as AWS would fail it.
 */
export async function setupLocalAccount(endpoint: string, env: Environment, edit: (docs: PipelinePolicies) => PipelinePolicies = (d) => d): Promise<void> {
  const t = localPolicyTarget(env);
  const docs = edit(pipelinePolicies(t));
  const iam = new IAMClient({ region: "us-east-1", endpoint, credentials: ADMIN, maxAttempts: 5 });
  try {
    try {
      // GitHub's provider; IAM no longer uses the thumbprint for it, but the API still takes one.
      await iam.send(new CreateOpenIDConnectProviderCommand({ Url: GITHUB_ISSUER, ClientIDList: ["sts.amazonaws.com"], ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"] }));
    } catch (e) {
      if (!exists(e)) throw e;
    }
    await ensureBoundary(iam, t, docs.boundary.name, JSON.stringify(docs.boundary.policy));
    const tags = [
      { Key: "app", Value: APP_TAG },
      { Key: "env", Value: env.name },
    ];
    for (const role of docs.roles) {
      const trust = JSON.stringify(role.trust);
      // What IAM refuses here (a malformed document) is what an administrator would meet: say which.
      const step = async (what: string, send: () => Promise<unknown>) => {
        try {
          await send();
        } catch (e) {
          if (exists(e)) throw e;
          throw new PipelineError(`account setup: ${what} of ${role.name} (npm run pipeline-policies): ${(e as Error).name}: ${(e as Error).message}`);
        }
      };
      try {
        await step("the trust policy", () => iam.send(new CreateRoleCommand({ RoleName: role.name, AssumeRolePolicyDocument: trust, Tags: tags, Description: `pipeline role for GitHub environment ${role.environment}` })));
      } catch (e) {
        if (!exists(e)) throw e;
        await step("the trust policy", () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role.name, PolicyDocument: trust })));
      }
      await step("the permissions policy", () => iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: PIPELINE_POLICY_NAME, PolicyDocument: JSON.stringify(role.permissions) })));
    }
  } finally {
    iam.destroy();
  }
  if (env.backend.kind === "s3") {
    for (const { bucket, region } of [env.backend.primary, env.backend.dr]) await ensureBucket(endpoint, bucket, region);
  }
}

async function ensureBucket(endpoint: string, bucket: string, region: string): Promise<void> {
  const s3 = new S3Client({ region, endpoint, forcePathStyle: true, credentials: ADMIN });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }) }));
  } catch (e) {
    if (!(e instanceof BucketAlreadyOwnedByYou) && (e as Error).name !== "BucketAlreadyOwnedByYou" && (e as Error).name !== "BucketAlreadyExists") throw e;
  } finally {
    s3.destroy();
  }
}
