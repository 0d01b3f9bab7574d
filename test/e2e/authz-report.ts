// The suite's least-privilege evidence, run by `npm test` after vitest: every end-to-end sandbox
// left its authorization decisions and its roles' grants in AUTHZ_REPORT_DIR; this merges them and
// prints, per role, how many decisions were made (allowed / denied) and which granted actions no
// allowed call ever used. An unused grant fails the run unless stacks/kept-unused.ts keeps it with a
// reason; an entry there that was used after all fails it too (the list must not go stale).
//
//   tsx test/e2e/authz-report.ts            (writes <AUTHZ_REPORT_DIR>/summary.json)

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unusedGrants, type DecisionRecord, type UnusedGrant } from "@cognito-dr/sandbox";
import { KEPT_UNUSED } from "../../stacks/kept-unused";
import { AUTHZ_REPORT_DIR } from "./harness";

interface Snapshot {
  decisions: DecisionRecord[];
  roles: Array<{ roleArn: string; policies: Array<{ name: string; policy: unknown }> }>;
  error?: string;
}

export interface RoleReport {
  role: string;
  decisions: number;
  allowed: number;
  denied: number;
  /** What was denied, once per action and resource (with how often): the pipeline roles' should be none. */
  denials: Array<{ action: string; resource: string; count: number; impliedBy?: string }>;
  unused: Array<UnusedGrant & { keptBecause?: string }>;
}

/** The pipeline's roles (`cdr-<env>-pipeline-*`): terraform and the workflow steps ran as them. */
export const isPipelineRole = (roleArn: string) => /\/cdr-[a-z]+-pipeline-[a-z]+$/.test(roleArn);

/** `cdr-local-replicate-user-role` → `replicate-user-role`: how kept-unused entries name roles. */
const shortRole = (roleArn: string) => roleArn.split("/").pop()!.replace(/^cdr-[a-z]+-/, "");

export function buildReport(snapshots: Snapshot[]): { roles: RoleReport[]; unexplained: string[]; stale: string[] } {
  const decisions = snapshots.flatMap((s) => s.decisions);
  // A role's grants across every sandbox: the same role may carry another document in another
  // (the operator policy differs by replication mode), so statements are merged by policy and Sid.
  // Only documents whose every statement has a Sid merge: a statement without one is named by its
  // place (the evaluator numbers them), so such a document is kept as first seen.
  const merged = new Map<string, Map<string, { statements: Map<string, unknown>; first: unknown; bySid: boolean }>>();
  for (const s of snapshots) {
    for (const r of s.roles) {
      const byPolicy = merged.get(r.roleArn) ?? new Map();
      merged.set(r.roleArn, byPolicy);
      for (const p of r.policies) {
        const raw = (p.policy as { Statement?: unknown }).Statement;
        const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
        const entry = byPolicy.get(p.name) ?? { statements: new Map<string, unknown>(), first: p.policy, bySid: true };
        byPolicy.set(p.name, entry);
        if (!list.every((st) => typeof (st as { Sid?: unknown }).Sid === "string")) entry.bySid = false;
        for (const st of list) entry.statements.set(String((st as { Sid?: string }).Sid), st);
      }
    }
  }
  const policies = new Map<string, Snapshot["roles"][number]["policies"]>(
    [...merged].map(([role, byPolicy]) => [
      role,
      [...byPolicy].map(([name, e]) => ({ name, policy: e.bySid ? { Version: "2012-10-17", Statement: [...e.statements.values()] } : e.first })),
    ]),
  );
  const roles: RoleReport[] = [];
  const unexplained: string[] = [];
  const keptSeen = new Set<string>();
  for (const [roleArn, pols] of [...policies].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const mine = decisions.filter((d) => d.role === roleArn);
    const unused = unusedGrants({ roleArn, policies: pols }, decisions).map((u) => {
      const kept = KEPT_UNUSED.find((k) => k.role === shortRole(roleArn) && (k.action === u.action || k.action === "*"));
      if (kept) keptSeen.add(`${kept.role} ${kept.action}`);
      else unexplained.push(`${shortRole(roleArn)}: ${u.action} (${u.policy}#${u.statement}) was never used`);
      return { ...u, keptBecause: kept?.why };
    });
    const denials = new Map<string, RoleReport["denials"][number]>();
    for (const d of mine.filter((x) => !x.allowed)) {
      const key = `${d.action} ${d.resource} ${d.impliedBy ?? ""}`;
      const known = denials.get(key);
      if (known) known.count += d.count;
      else denials.set(key, { action: d.action, resource: d.resource, count: d.count, ...(d.impliedBy ? { impliedBy: d.impliedBy } : {}) });
    }
    roles.push({
      role: roleArn,
      decisions: mine.reduce((n, d) => n + d.count, 0),
      allowed: mine.filter((d) => d.allowed).reduce((n, d) => n + d.count, 0),
      denied: mine.filter((d) => !d.allowed).reduce((n, d) => n + d.count, 0),
      denials: [...denials.values()],
      unused,
    });
  }
  const stale = KEPT_UNUSED.filter((k) => !keptSeen.has(`${k.role} ${k.action}`)).map((k) => `${k.role}: ${k.action} is listed in stacks/kept-unused.ts but was used (or no longer granted)`);
  return { roles, unexplained, stale };
}

function main(): number {
  const files = existsSync(AUTHZ_REPORT_DIR) ? readdirSync(AUTHZ_REPORT_DIR).filter((f) => /^authz-.*\.json$/.test(f)) : [];
  if (files.length === 0) {
    const msg = `authz report: no end-to-end sandbox left decisions in ${AUTHZ_REPORT_DIR} (was the end-to-end suite skipped?)`;
    if (process.env.CI === "true") {
      console.error(`${msg}; CI=true requires them`);
      return 1;
    }
    console.warn(msg);
    return 0;
  }
  const snapshots = files.map((f) => JSON.parse(readFileSync(join(AUTHZ_REPORT_DIR, f), "utf8")) as Snapshot);
  const broken = snapshots.filter((s) => s.error);
  const { roles, unexplained, stale } = buildReport(snapshots);
  writeFileSync(join(AUTHZ_REPORT_DIR, "summary.json"), JSON.stringify({ sandboxes: files.length, roles, unexplained, stale }, null, 2));
  console.log(`authorization decisions in the end-to-end suite (${files.length} sandboxes):`);
  // Workload roles first, then the pipeline's: terraform's plans, applies and destroys, the failover and failback steps.
  for (const pipeline of [false, true]) {
    if (pipeline) console.log("the pipeline's roles (terraform and the workflow steps, as the sandbox's STS assumed them):");
    for (const r of roles.filter((x) => isPipelineRole(x.role) === pipeline)) {
      console.log(`  ${shortRole(r.role).padEnd(34)} ${String(r.decisions).padStart(7)} decisions (${r.allowed} allowed, ${r.denied} denied)`);
      if (pipeline) for (const d of r.denials) console.log(`    denied: ${d.action} on ${d.resource}${d.impliedBy ? ` (implied by ${d.impliedBy})` : ""} x${d.count}`);
      for (const u of r.unused) console.log(`    unused: ${u.action} on ${u.resources.join(", ")}${u.keptBecause ? ` (kept: ${u.keptBecause})` : ""}`);
    }
  }
  for (const b of broken) console.error(`a sandbox could not read its roles' grants: ${b.error}`);
  for (const line of [...unexplained, ...stale]) console.error(`least privilege: ${line}`);
  if (unexplained.length > 0) console.error("remove each unused grant from the stacks, or keep it with a one-line reason in stacks/kept-unused.ts");
  return unexplained.length + stale.length + broken.length > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main());
