// The preflight reads each GitHub environment's protection rules (REST "Get an environment") and
// refuses to deploy through one that is missing or has no required reviewers. Runs `npm run
// preflight` as the workflow does, against a local stand-in for api.github.com (GITHUB_API_URL).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals, checkProtected } from "../../scripts/pipeline/github";
import { npmRun } from "../support/npm-run";

const reviewers = (login: string) => ({ protection_rules: [{ type: "wait_timer", wait_timer: 0 }, { type: "required_reviewers", reviewers: [{ type: "User", reviewer: { login } }] }] });
const ENVIRONMENTS: Record<string, unknown> = {
  prod: reviewers("alice"),
  "prod-dr": reviewers("bob"),
  "staging-dr": { protection_rules: [{ type: "branch_policy" }] },
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
