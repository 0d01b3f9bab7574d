// The GitHub facts a deploy depends on, read through GitHub's REST API: a job that names an
// environment which does not exist makes GitHub create it, unprotected ("Running a workflow that
// references an environment that does not exist will create an environment with the referenced
// name ... the newly created environment will not have any protection rules"), so the approval
// gate would silently vanish. The preflight reads each environment's protection rules ("Get an
// environment", GET /repos/{owner}/{repo}/environments/{name}) and refuses to go on unless
// required reviewers are set.
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

interface EnvironmentResponse {
  protection_rules?: Array<{ type: string; reviewers?: Array<{ type: string; reviewer?: { login?: string; name?: string; slug?: string } }> }>;
}

async function getJson(ctx: GithubContext, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${ctx.apiUrl.replace(/\/$/, "")}${path}`, {
    headers: { authorization: `Bearer ${ctx.token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The reviewers an environment requires (names), or a problem. */
export async function requiredReviewers(ctx: GithubContext, environment: string): Promise<{ reviewers: string[] } | ProtectionProblem> {
  const r = await getJson(ctx, `/repos/${ctx.repository}/environments/${encodeURIComponent(environment)}`);
  if (r.status === 404) return { environment, problem: "does not exist: a job using it would create it without protection rules" };
  if (r.status >= 300) return { environment, problem: `GitHub answered HTTP ${r.status} (the token needs actions: read)` };
  const rules = (r.body as EnvironmentResponse).protection_rules ?? [];
  const reviewers = rules.filter((x) => x.type === "required_reviewers").flatMap((x) => x.reviewers ?? []);
  if (reviewers.length === 0) return { environment, problem: "has no required reviewers: a deploy through it would not wait for approval" };
  return { reviewers: reviewers.map((x) => x.reviewer?.login ?? x.reviewer?.slug ?? x.reviewer?.name ?? x.type) };
}

/** Every problem with the environments that must be protected (none: all good). */
export async function checkProtected(ctx: GithubContext, environments: string[]): Promise<ProtectionProblem[]> {
  const out: ProtectionProblem[] = [];
  for (const e of environments) {
    const r = await requiredReviewers(ctx, e);
    if ("problem" in r) out.push(r);
  }
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
