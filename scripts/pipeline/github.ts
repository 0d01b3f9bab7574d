// The GitHub facts a deploy depends on, read through GitHub's REST API: a job that names an
// environment which does not exist makes GitHub create it, unprotected ("Running a workflow that
// references an environment that does not exist will create an environment with the referenced
// name ... the newly created environment will not have any protection rules"), so the approval
// gate would silently vanish. The preflight reads each environment's protection rules ("Get an
// environment", GET /repos/{owner}/{repo}/environments/{name}) and refuses to go on unless
// required reviewers are set, administrators cannot bypass them, nobody approves their own run and
// only the allowed branches may deploy.
import { PipelineError } from "../lib/errors";

export interface GithubContext {
  /** `https://api.github.com` (GITHUB_API_URL). */
  apiUrl: string;
  /** `owner/repo` (GITHUB_REPOSITORY). */
  repository: string;
  token: string;
}

export interface ProtectionProblem {
  environment: string;
  problem: string;
}

/**
 * The parts of GitHub's "Get an environment" answer the preflight reads
 * (https://docs.github.com/en/rest/deployments/environments#get-an-environment): whether
 * administrators may bypass the protection rules, the required reviewers rule (with
 * prevent_self_review), and the deployment branch policy, null when any branch may deploy.
 */
interface EnvironmentResponse {
  can_admins_bypass?: boolean;
  protection_rules?: Array<{ type: string; prevent_self_review?: boolean; reviewers?: unknown[] }>;
  deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

async function getJson(ctx: GithubContext, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${ctx.apiUrl.replace(/\/$/, "")}${path}`, {
    headers: { authorization: `Bearer ${ctx.token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * What is wrong with an environment that must hold a deploy for approval (nothing: protected).
 * The AWS roles trust the environment's name alone, so each setting is part of the gate: without
 * reviewers nobody approves; with `can_admins_bypass` (GitHub's default) an administrator deploys
 * without approval; without `prevent_self_review` whoever starts a run may approve it; without a
 * deployment branch policy a workflow on any branch may name the environment and get its role.
 */
export async function protectionProblems(ctx: GithubContext, environment: string): Promise<ProtectionProblem[]> {
  const r = await getJson(ctx, `/repos/${ctx.repository}/environments/${encodeURIComponent(environment)}`);
  const problem = (text: string) => ({ environment, problem: text });
  if (r.status === 404) return [problem("does not exist: a job using it would create it without protection rules")];
  if (r.status >= 300) return [problem(`GitHub answered HTTP ${r.status} (the token needs actions: read)`)];
  const body = r.body as EnvironmentResponse;
  const rule = (body.protection_rules ?? []).find((x) => x.type === "required_reviewers" && (x.reviewers ?? []).length > 0);
  if (!rule) return [problem("has no required reviewers: a deploy through it would not wait for approval")];
  const out: ProtectionProblem[] = [];
  if (body.can_admins_bypass !== false) {
    out.push(problem("lets administrators bypass its protection rules (can_admins_bypass: true): untick \"Allow administrators to bypass configured protection rules\""));
  }
  if (rule.prevent_self_review !== true) {
    out.push(problem("lets a reviewer approve a run they started (prevent_self_review: false): tick \"Prevent self-review\""));
  }
  if (!body.deployment_branch_policy) {
    out.push(problem("has no deployment branch policy: a workflow on any branch could deploy through it; allow only main (\"Selected branches and tags\")"));
  }
  return out;
}

/** Every problem with the environments that must be protected (none: all good). */
export async function checkProtected(ctx: GithubContext, environments: string[]): Promise<ProtectionProblem[]> {
  const out: ProtectionProblem[] = [];
  for (const e of environments) out.push(...(await protectionProblems(ctx, e)));
  return out;
}

/**
 * Who approved the pending deployments of this run, for the evidence a deploy leaves: "Get the
 * review history for a workflow run", GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals
 * (https://docs.github.com/en/rest/actions/workflow-runs#get-the-review-history-for-a-workflow-run;
 * the token needs the Actions repository permission, `actions: read` for GITHUB_TOKEN). Any other
 * answer than 200 is an error with its status: an empty list would read "approved by nobody".
 */
export async function approvals(ctx: GithubContext, runId: string): Promise<Array<{ user: string; environments: string[]; state: string; comment: string }>> {
  const r = await getJson(ctx, `/repos/${ctx.repository}/actions/runs/${encodeURIComponent(runId)}/approvals`);
  if (r.status !== 200 || !Array.isArray(r.body)) {
    const message = (r.body as { message?: string } | undefined)?.message;
    throw new PipelineError(
      `GitHub answered HTTP ${r.status}${message ? ` (${message})` : ""} when asked who approved run ${runId}: the job's token needs actions: read (permissions: actions: read)`,
    );
  }
  return (r.body as Array<{ user?: { login?: string }; environments?: Array<{ name?: string }>; state?: string; comment?: string }>).map((a) => ({
    user: a.user?.login ?? "unknown",
    environments: (a.environments ?? []).map((e) => e.name ?? ""),
    state: a.state ?? "",
    comment: a.comment ?? "",
  }));
}

export function githubContext(env: NodeJS.ProcessEnv = process.env): GithubContext {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  if (!token || !env.GITHUB_REPOSITORY) throw new Error("GITHUB_TOKEN and GITHUB_REPOSITORY must be set (they are in GitHub Actions)");
  return { apiUrl: env.GITHUB_API_URL ?? "https://api.github.com", repository: env.GITHUB_REPOSITORY, token };
}
