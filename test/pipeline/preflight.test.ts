// The preflight reads each GitHub environment's protection rules (REST "Get an environment") and
// refuses to deploy through one that is missing, has no required reviewers, lets administrators
// bypass them, lets a reviewer approve their own run or has no deployment branch policy. Runs `npm run
// preflight` as the workflow does, against a local stand-in for api.github.com (GITHUB_API_URL).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals, checkProtected } from "../../scripts/pipeline/github";
import { npmRun } from "../support/npm-run";

// The shape of GitHub's "Get an environment" answer (REST, deployments/environments): the
// administrators' bypass, the required reviewers rule with its self-review setting, and the
// deployment branch policy (null when every branch may deploy).
const protectedEnv = (login: string) => ({
  name: "x",
  can_admins_bypass: false,
  protection_rules: [
    { id: 1, node_id: "a", type: "wait_timer", wait_timer: 0 },
    { id: 2, node_id: "b", type: "required_reviewers", prevent_self_review: true, reviewers: [{ type: "User", reviewer: { login } }] },
    { id: 3, node_id: "c", type: "branch_policy" },
  ],
  deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
});
const ENVIRONMENTS: Record<string, unknown> = {
  prod: protectedEnv("alice"),
  "prod-dr": protectedEnv("bob"),
  "staging-dr": { can_admins_bypass: false, protection_rules: [{ type: "branch_policy" }], deployment_branch_policy: { protected_branches: true, custom_branch_policies: false } },
  // Reviewers, but GitHub's defaults for the rest: administrators may bypass, a reviewer may approve
  // their own run, any branch may deploy.
  "dev-failover": {
    can_admins_bypass: true,
    protection_rules: [{ type: "required_reviewers", prevent_self_review: false, reviewers: [{ type: "User", reviewer: { login: "carol" } }] }],
    deployment_branch_policy: null,
  },
};

let server: Server;
let api: string;
const seen: Array<{ path: string; auth: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", auth: req.headers.authorization });
    const env = req.url?.match(/^\/repos\/acme\/cdr\/environments\/([^/]+)$/)?.[1];
    const run = req.url?.match(/^\/repos\/acme\/cdr\/actions\/runs\/(\d+)\/approvals$/)?.[1];
    if (req.headers.authorization !== "Bearer t0ken") return void res.writeHead(401).end('{"message":"Bad credentials"}');
    if (env && ENVIRONMENTS[decodeURIComponent(env)]) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(ENVIRONMENTS[decodeURIComponent(env)]));
    if (run) return void res.writeHead(200).end(JSON.stringify([{ user: { login: "alice" }, environments: [{ name: "prod" }], state: "approved", comment: "plan read" }]));
    res.writeHead(404).end('{"message":"Not Found"}');
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function preflight(args: string[], env: NodeJS.ProcessEnv) {
  return npmRun("preflight", args, { ...process.env, GITHUB_API_URL: api, GITHUB_REPOSITORY: "acme/cdr", GITHUB_TOKEN: "t0ken", ...env });
}

describe("preflight", () => {
  it("passes when every environment requires reviewers", async () => {
    const r = await preflight(["--environments", "prod,prod-dr"], {});
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("prod, prod-dr require reviewers");
    expect(seen.some((s) => s.path === "/repos/acme/cdr/environments/prod-dr" && s.auth === "Bearer t0ken")).toBe(true);
  });

  it("fails naming each environment that is missing or unprotected", async () => {
    const r = await preflight(["--environments", "prod,staging-dr,dev-dr"], {});
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("GitHub environment staging-dr has no required reviewers");
    expect(r.out).toContain("GitHub environment dev-dr does not exist: a job using it would create it without protection rules");
    expect(r.out).not.toMatch(/environment prod /);
  });

  it("fails naming each weak setting of an environment that has reviewers", async () => {
    const r = await preflight(["--environments", "prod,dev-failover"], {});
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("GitHub environment dev-failover lets administrators bypass its protection rules (can_admins_bypass: true)");
    expect(r.out).toContain("GitHub environment dev-failover lets a reviewer approve a run they started (prevent_self_review: false)");
    expect(r.out).toContain("GitHub environment dev-failover has no deployment branch policy");
    expect(r.out).not.toMatch(/environment prod /);
  });

  it("fails when GitHub refuses the token, and without a token at all", async () => {
    const bad = await preflight(["--environments", "prod"], { GITHUB_TOKEN: "wrong" });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/prod GitHub answered HTTP 401/);
    const none = await preflight(["--environments", "prod"], { GITHUB_TOKEN: "", GH_TOKEN: "" });
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/GITHUB_TOKEN and GITHUB_REPOSITORY must be set/);
  });

  it("reads who approved a run, for the evidence", async () => {
    const ctx = { apiUrl: api, repository: "acme/cdr", token: "t0ken" };
    expect(await approvals(ctx, "42")).toEqual([{ user: "alice", environments: ["prod"], state: "approved", comment: "plan read" }]);
    expect(await checkProtected(ctx, ["prod"])).toEqual([]);
  });
});
