// The properties the runbook relies on, read from the parsed workflow YAML (not from regexes over
// text): every job that assumes an AWS role runs in a GitHub environment whose OIDC subject that
// role trusts; applies apply a plan file made by an earlier job; nothing plans-and-applies in one
// step; runs that may hold a state lock are never cancelled; every remote action is pinned by SHA;
// Node 22 everywhere; deploy waits for CI and for the preflight; evidence is kept.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AWS_PROVIDER_VERSION, MIRROR_ENV } from "../../scripts/lib/tools";

const ROOT = resolve(__dirname, "../..");
const DIR = join(ROOT, ".github", "workflows");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean | string };
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  concurrency?: { group: string; "cancel-in-progress"?: boolean | string };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflows: Record<string, Workflow> = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => [f, parse(readFileSync(join(DIR, f), "utf8")) as Workflow]),
);
const setupAction = parse(readFileSync(join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8")) as { runs: { steps: Step[] } };
/** A job's steps with each local composite action (`uses: ./.github/actions/<name>`) expanded in place. */
const expanded = (j: Job): Step[] =>
  (j.steps ?? []).flatMap((s) =>
    s.uses?.startsWith("./.github/actions/")
      ? (parse(readFileSync(join(ROOT, s.uses, "action.yml"), "utf8")) as { runs: { steps: Step[] } }).runs.steps
      : [s],
  );
const jobs = Object.entries(workflows).flatMap(([file, wf]) => Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job, wf })));
const needsOf = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const envName = (j: Job) => (typeof j.environment === "string" ? j.environment : j.environment?.name);
const CONFIGURE = "aws-actions/configure-aws-credentials@";

/** The GitHub environment each kind of pipeline role trusts (scripts/lib/pipeline-policies.ts). */
const ROLE_ENVIRONMENT: Record<string, RegExp> = {
  PLAN: /-plan$/,
  PRIMARY: /^\$\{\{ inputs\.environment \}\}$/,
  DR: /-dr$/,
  FAILOVER: /-failover$/,
  FAILBACK: /-failback$/,
};

describe("pipeline properties (parsed workflows)", () => {
  it("parses every workflow and finds the jobs", () => {
    expect(Object.keys(workflows).sort()).toEqual(["ci.yml", "deploy-environment.yml", "deploy.yml", "drift.yml", "failback.yml", "failover.yml"]);
    expect(jobs.length).toBeGreaterThan(12);
  });

  const assuming = jobs.filter(({ job }) => job.steps?.some((s) => s.uses?.startsWith(CONFIGURE)));
  it("every job that assumes an AWS role runs in the GitHub environment that role trusts, with id-token: write", () => {
    expect(assuming.length).toBeGreaterThanOrEqual(9);
    for (const { file, id, job, wf } of assuming) {
      const where = `${file} ${id}`;
      const env = envName(job);
      expect(env, `${where} has no environment: its OIDC subject would be a branch or pull request`).toBeTruthy();
      const step = job.steps!.find((s) => s.uses?.startsWith(CONFIGURE))!;
      const role = String(step.with?.["role-to-assume"]);
      const kind = role.match(/AWS_(\w+?)_ROLE_ARN_/)?.[1];
      expect(kind, `${where}: role-to-assume comes from vars.AWS_<KIND>_ROLE_ARN_<ENV>`).toBeDefined();
      expect(env!, `${where}: the ${kind} role is used from environment ${env}`).toMatch(ROLE_ENVIRONMENT[kind!]);
      expect(role).not.toMatch(/secrets\./);
      expect((job.permissions ?? wf.permissions)?.["id-token"], `${where} id-token`).toBe("write");
    }
  });

  it("every job that runs a script against an environment gets its settings (DEPLOY_VARS) and regions", () => {
    const users = jobs.filter(({ job }) => /npm run (--silent )?(plan|apply|smoke|drift|failover|failback)\b/.test(scripts(job)));
    expect(users.length).toBeGreaterThanOrEqual(8);
    for (const { file, id, job, wf } of users) {
      const env = { ...wf.env, ...job.env };
      expect(env.DEPLOY_VARS, `${file} ${id}`).toBe("${{ toJSON(vars) }}");
      expect(env.DEPLOY_ENV, `${file} ${id}`).toBeDefined();
      expect(env.PRIMARY_REGION && env.DR_REGION, `${file} ${id}`).toBeTruthy();
    }
  });

  it("no job uses long-lived AWS keys", () => {
    for (const { file, id, job } of jobs) {
      const text = JSON.stringify(job);
      expect(text, `${file} ${id}`).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    }
  });

  const scripts = (j: Job) => (j.steps ?? []).map((s) => s.run ?? "").join("\n");
  it("applies only a reviewed plan file: apply --plan <dir> after a plan --out <dir> job it needs, through an artifact", () => {
    const appliers = jobs.filter(({ job }) => /npm run apply\b/.test(scripts(job)));
    expect(appliers.map((a) => a.id).sort()).toEqual(["apply-dr", "apply-primary"]);
    for (const { file, id, job, wf } of appliers) {
      const dir = scripts(job).match(/npm run apply -- .*--plan (\S+)/)?.[1];
      expect(dir, `${id} passes --plan`).toBeDefined();
      const download = job.steps!.find((s) => s.uses?.startsWith("actions/download-artifact@"));
      expect(download?.with?.path, `${id} downloads the plan into ${dir}`).toBe(dir);
      const planners = needsOf(job).map((n) => wf.jobs[n]);
      const planner = planners.find((p) => p.steps?.some((s) => s.uses?.startsWith("actions/upload-artifact@") && s.with?.name === download!.with!.name));
      expect(planner, `${file} ${id}: a needed job uploads artifact ${String(download?.with?.name)}`).toBeDefined();
      expect(scripts(planner!)).toMatch(/npm run plan -- /);
      expect(scripts(planner!)).toMatch(new RegExp(`--out ${dir}\\b`));
      // The approval sits between them: the apply job's environment is not the plan job's.
      expect(envName(job)).not.toBe(envName(planner!));
    }
  });

  // apply reads who approved the run (GET .../actions/runs/{run_id}/approvals, Actions permission
  // read). A reusable workflow's token can only be narrowed, never widened, from the caller's
  // ("Reuse workflows": the GITHUB_TOKEN permissions passed from the caller workflow can be only
  // downgraded by the called workflow), so the calling jobs in deploy.yml need it too.
  it("grants actions: read to every job that applies (it reads the run's approvals), through its callers", () => {
    const canRead = (p: Record<string, string> | undefined) => p?.actions === "read" || p?.actions === "write";
    const appliers = jobs.filter(({ job }) => /npm run apply\b/.test(scripts(job)));
    expect(appliers.length).toBeGreaterThan(0);
    for (const { file, id, job, wf } of appliers) {
      expect(canRead(job.permissions ?? wf.permissions), `${file} ${id}`).toBe(true);
      const callers = jobs.filter((c) => c.job.uses === `./.github/workflows/${file}`);
      expect(callers.length, `${file} is called`).toBeGreaterThan(0);
      for (const c of callers) expect(canRead(c.job.permissions ?? c.wf.permissions), `${c.file} ${c.id} calls ${file}`).toBe(true);
    }
  });

  it("no step plans and applies at once: no deploy:/destroy: scripts, no -auto-approve, no terraform apply", () => {
    for (const { file, id, job } of jobs) {
      expect(scripts(job), `${file} ${id}`).not.toMatch(/npm run (deploy|destroy):|auto-approve|terraform apply|cdktf (deploy|destroy)/);
    }
  });

  it("plans from pull requests, drift and verification are read-only (no lock, plan role)", () => {
    const planners = jobs.filter(({ job }) => /npm run plan -- /.test(scripts(job)));
    expect(planners.map((p) => `${p.file} ${p.id}`).sort()).toEqual(["ci.yml plan", "deploy-environment.yml plan-dr", "deploy-environment.yml plan-primary", "drift.yml drift"]);
    for (const { file, id, job } of planners) {
      expect(scripts(job), `${file} ${id}`).toMatch(/--read-only/);
      expect(envName(job), `${file} ${id}`).toMatch(/-plan$/);
    }
  });

  it("waits for the state lock: jobs that apply set TF_LOCK_TIMEOUT (the runner passes -lock-timeout)", () => {
    for (const { file, id, job, wf } of jobs.filter(({ job }) => /npm run (apply|failover)\b/.test(scripts(job)))) {
      const timeout = job.env?.TF_LOCK_TIMEOUT ?? wf.env?.TF_LOCK_TIMEOUT;
      expect(timeout, `${file} ${id}`).toMatch(/^\d+m$/);
    }
  });

  it("cancels only pull request runs; deploys, failovers and drift are never cancelled half-way", () => {
    const ci = workflows["ci.yml"].concurrency!;
    expect(ci["cancel-in-progress"]).toBe("${{ github.event_name == 'pull_request' }}");
    for (const [file, wf] of Object.entries(workflows)) {
      const groups = [wf.concurrency, ...Object.values(wf.jobs).map((j) => j.concurrency)].filter(Boolean);
      for (const g of groups) if (file !== "ci.yml") expect(g!["cancel-in-progress"], `${file} ${g!.group}`).toBe(false);
    }
    for (const env of ["dev", "staging", "prod"]) {
      const job = workflows["deploy.yml"].jobs[env];
      expect(job.concurrency).toEqual({ group: `deploy-${env}`, "cancel-in-progress": false });
    }
  });

  // GitHub runs a `run:` step with no shell as `bash -e {0}` and only an explicit `shell: bash` as
  // `bash --noprofile --norc -eo pipefail {0}` (workflow syntax, "Exit codes and error action
  // preference"): without it `npm run plan | tee log` would pass when the plan fails.
  it("runs every step with shell: bash (-eo pipefail), in every workflow and in the setup action", () => {
    for (const [file, wf] of Object.entries(workflows)) expect(wf.defaults?.run?.shell, file).toBe("bash");
    for (const s of setupAction.runs.steps.filter((s) => s.run)) expect(s.shell, s.name).toBe("bash");
  });

  it("pins every remote action by full commit SHA, with the version in a comment", () => {
    const texts = [...readdirSync(DIR).map((f) => readFileSync(join(DIR, f), "utf8")), readFileSync(join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8")];
    const uses = texts.flatMap((t) => [...t.matchAll(/uses:\s+([^\s#]+)(.*)$/gm)]).filter((m) => !m[1].startsWith("./"));
    expect(uses.length).toBeGreaterThan(20);
    for (const m of uses) {
      expect(m[1], m[0]).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(m[2], m[0]).toMatch(/#\s*v\d+\.\d+\.\d+/);
    }
  });

  it("runs Node 22 in every job that runs npm (through the setup action)", () => {
    const node = setupAction.runs.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(node?.with?.["node-version"]).toBe("22");
    for (const { file, id, job } of jobs.filter(({ job }) => /\bnpm (run|ci|test)\b/.test(scripts(job)))) {
      expect(job.steps!.some((s) => s.uses === "./.github/actions/setup"), `${file} ${id}`).toBe(true);
    }
  });

  // Jobs that set up go on to hold AWS credentials (plan, apply, failover, failback, drift): a
  // dependency's install script must not run there. `npm ci --ignore-scripts` skips the project's
  // own postinstall too, so the action runs it by name.
  it("setup: npm ci --ignore-scripts, then the project's own postinstall", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const runs = setupAction.runs.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toMatch(/^npm ci --ignore-scripts\b/m);
    expect(runs).not.toMatch(/^npm ci(?! --ignore-scripts)/m);
    const ci = runs.split("\n").findIndex((l) => l.startsWith("npm ci"));
    expect(runs.split("\n").slice(ci + 1)).toContain(pkg.scripts.postinstall);
  });

  // What `--ignore-scripts` skips, dependency by dependency (package-lock.json's hasInstallScript),
  // and why the build does not need it. A new dependency with an install script fails here until
  // someone decides the same for it.
  it("setup: every dependency's skipped install script is one the build does without", () => {
    const NOT_NEEDED: Record<string, string> = {
      // Its JS API runs the binary from the optional @esbuild/<platform> package; the install
      // script only swaps the bin/esbuild shim for that binary and checks its version.
      "node_modules/esbuild": "binary from @esbuild/<platform>",
      // cdktf-cli's interactive terminal; the scripts run terraform themselves, never cdktf-cli.
      "node_modules/@cdktf/node-pty-prebuilt-multiarch": "cdktf-cli terminal, unused",
    };
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages).filter(([path, p]) => path !== "" && p.hasInstallScript).map(([path]) => path);
    expect(withScripts.sort()).toEqual(Object.keys(NOT_NEEDED).sort());
  });

  it("ci: the test job restores or builds the provider mirror, and exports its path in the variable discovery reads, before npm test", () => {
    const steps = expanded(workflows["ci.yml"].jobs.checks);
    const index = (what: string, test: (s: Step) => boolean) => {
      const i = steps.findIndex(test);
      expect(i, `ci checks: ${what}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const npmTest = index("npm test", (s) => /^npm test\b/m.test(s.run ?? ""));
    const cache = index("actions/cache of the mirror", (s) => s.uses?.startsWith("actions/cache@") === true);
    const dir = String(steps[cache].with?.path).replace("${{ runner.temp }}", "$RUNNER_TEMP");
    const build = index(`provider-mirror.ts into ${dir}`, (s) => (s.run ?? "").includes(`scripts/pipeline/provider-mirror.ts "${dir}"`));
    const exported = index(`${MIRROR_ENV}=${dir} to GITHUB_ENV`, (s) => (s.run ?? "").includes(`echo "${MIRROR_ENV}=${dir}" >> "$GITHUB_ENV"`));
    expect(cache, "the cache is restored before the mirror step").toBeLessThan(build);
    expect(Math.max(build, exported), "mirror built and exported before npm test").toBeLessThan(npmTest);
    // Keyed on the version scripts/lib/tools.ts pins, as the mirror script prints it (not a copy).
    const key = String(steps[cache].with?.key);
    const id = key.match(/\$\{\{ steps\.([\w-]+)\.outputs\.version \}\}/)?.[1];
    const versionStep = id ? steps.findIndex((s) => s.id === id) : -1;
    expect(versionStep, `cache key ${key} uses the version step's output`).toBeGreaterThanOrEqual(0);
    expect(versionStep).toBeLessThan(cache);
    expect(steps[versionStep].run).toMatch(/scripts\/pipeline\/provider-mirror\.ts --version/);
    expect(key).not.toContain(AWS_PROVIDER_VERSION);
  });

  it("ci: moto where the sandbox's python3 finds it, no duplicate synth/validate steps", () => {
    const checks = workflows["ci.yml"].jobs.checks;
    const run = scripts(checks);
    expect(run).toMatch(/python3 -m pip install .*moto\[server\]==/);
    expect(run).not.toMatch(/pipx/);
    expect(run).not.toMatch(/npm run (synth|validate)/);
    expect(run).toMatch(/npm test/);
  });

  it("deploy: after a successful CI run of main, head of main only, preflight first", () => {
    const deploy = workflows["deploy.yml"];
    expect(deploy.on.workflow_run).toEqual({ workflows: ["ci"], types: ["completed"], branches: ["main"] });
    expect(deploy.on).not.toHaveProperty("push");
    const guard = deploy.jobs.guard as Job & { if: string };
    expect(guard.if).toMatch(/conclusion == 'success'/);
    expect(scripts(guard)).toMatch(/git ls-remote origin refs\/heads\/main/);
    expect(scripts(deploy.jobs.preflight)).toMatch(/npm run preflight -- --environments prod,dev-dr,staging-dr,prod-dr/);
    expect(needsOf(deploy.jobs.dev)).toContain("preflight");
    expect(needsOf(deploy.jobs.chosen)).toContain("preflight");
    expect(needsOf(deploy.jobs.staging)).toContain("dev");
    expect(needsOf(deploy.jobs.prod)).toContain("staging");
  });

  it("deploy-environment: primary plan → apply (environment <env>) → DR plan → apply (<env>-dr) → verify", () => {
    const j = workflows["deploy-environment.yml"].jobs;
    expect(needsOf(j["apply-primary"])).toEqual(["plan-primary"]);
    expect(needsOf(j["plan-dr"])).toEqual(["apply-primary"]);
    expect(needsOf(j["apply-dr"])).toEqual(["plan-dr"]);
    expect(envName(j["apply-dr"])).toBe("${{ inputs.environment }}-dr");
    expect(scripts(j["apply-dr"])).toMatch(/--stack dr/);
    const drRole = j["apply-dr"].steps!.find((s) => s.uses?.startsWith(CONFIGURE))!;
    expect(drRole.with?.["aws-region"]).toBe("${{ env.DR_REGION }}");
  });

  it("failover: break-glass environment, DR role in the DR region, confirmation, evidence", () => {
    const wf = workflows["failover.yml"];
    expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
    const job = wf.jobs.failover;
    expect(envName(job)).toBe("${{ inputs.environment }}-failover");
    expect(needsOf(job)).toEqual(["preflight"]);
    expect(scripts(wf.jobs.preflight)).toMatch(/npm run preflight -- --environments "\$FAILOVER_ENV"/);
    const creds = job.steps!.find((s) => s.uses?.startsWith(CONFIGURE))!;
    expect(creds.with?.["aws-region"]).toBe("${{ env.DR_REGION }}");
    expect(scripts(job)).toMatch(/npm run failover -- --env "\$DEPLOY_ENV" --confirm "\$CONFIRM"/);
    expect(JSON.stringify(job)).not.toMatch(/AWS_(PRIMARY|PLAN)_ROLE/);
  });

  it("failover: applies the DR stack from the commit it was deployed from, not from the head of main", () => {
    const steps = workflows["failover.yml"].jobs.failover.steps!;
    const at = (what: string, test: (s: Step) => boolean, from = 0) => {
      const i = steps.findIndex((s, k) => k >= from && test(s));
      expect(i, `failover job: ${what}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const creds = at("credentials", (s) => s.uses?.startsWith(CONFIGURE) === true);
    const read = at("reads the DR stack's deployed commit", (s) => /npm run --silent deployed-commit -- --env "\$DEPLOY_ENV" --stack dr/.test(s.run ?? ""));
    const id = steps[read].id!;
    const checkout = at(`checks out steps.${id}.outputs.commit`, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === `\${{ steps.${id}.outputs.commit }}`);
    const setup = at("sets up that commit (npm ci of its lock file)", (s) => s.uses === "./.github/actions/setup", checkout);
    const failover = at("fails over", (s) => /npm run failover\b/.test(s.run ?? ""));
    expect(creds).toBeLessThan(read);
    expect(read).toBeLessThan(checkout);
    expect(setup).toBeLessThan(failover);
  });

  it("failback: its own environment, checks before switching, evidence", () => {
    const job = workflows["failback.yml"].jobs.failback;
    expect(envName(job)).toBe("${{ inputs.environment }}-failback");
    expect(scripts(job)).toMatch(/npm run failback -- "\$\{args\[@\]\}"/);
  });

  it("drift: scheduled, read-only plan with -detailed-exitcode semantics, pool drift, alert as an issue", () => {
    const wf = workflows["drift.yml"];
    expect(wf.on).toHaveProperty("schedule");
    const job = wf.jobs.drift;
    expect(scripts(job)).toMatch(/npm run plan -- .*--read-only .*--fail-on-changes/);
    expect(scripts(job)).toMatch(/npm run --silent drift -- --env/);
    expect(scripts(job)).toMatch(/gh issue (create|comment)/);
    expect(job.permissions?.issues).toBe("write");
  });

  it("keeps evidence of every deploy and drill, for vars.EVIDENCE_RETENTION_DAYS (default 90)", () => {
    for (const file of ["deploy-environment.yml", "failover.yml", "failback.yml"]) {
      const uploads = Object.values(workflows[file].jobs).flatMap((j) => (j.steps ?? []).filter((s) => s.uses?.startsWith("actions/upload-artifact@") && String(s.with?.name).startsWith("evidence-")));
      expect(uploads.length, file).toBeGreaterThan(0);
      for (const u of uploads) expect(u.with?.["retention-days"], file).toBe("${{ vars.EVIDENCE_RETENTION_DAYS || 90 }}");
    }
    const apply = scripts(workflows["deploy-environment.yml"].jobs["apply-primary"]);
    expect(apply).toMatch(/--evidence evidence/);
  });

  it("dependabot keeps npm and actions current with a cooldown", () => {
    const cfg = parse(readFileSync(join(ROOT, ".github", "dependabot.yml"), "utf8")) as { updates: Array<{ "package-ecosystem": string; cooldown?: { "default-days"?: number } }> };
    expect(cfg.updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
    for (const u of cfg.updates) expect(u.cooldown?.["default-days"], u["package-ecosystem"]).toBeGreaterThanOrEqual(3);
  });
});
