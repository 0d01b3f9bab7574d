// Least-privilege evidence: for each role, the actions its identity policies grant
// that no allowed decision ever used. A grant is used when an allowed call of that
// role was granted by that very statement for that action.

import type { DecisionRecord } from "./decisions";
import type { NamedPolicy } from "./policies";

export interface RoleGrants {
  roleArn: string;
  policies: NamedPolicy[];
}

export interface UnusedGrant {
  policy: string;
  statement: string;
  action: string;
  resources: string[];
}

interface Stmt {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return re.test(action);
}

export function unusedGrants(role: RoleGrants, decisions: DecisionRecord[]): UnusedGrant[] {
  const used = decisions.filter((d) => d.allowed && d.role === role.roleArn);
  const out: UnusedGrant[] = [];
  for (const p of role.policies) {
    const doc = p.policy as { Statement?: Stmt | Stmt[] };
    list(doc.Statement).forEach((s, i) => {
      if (s.Effect !== "Allow") return;
      // iam-simulate numbers statements from 1.
      const statement = s.Sid ?? String(i + 1);
      const label = `identity:${p.name}#${statement}`;
      for (const action of list(s.Action)) {
        const hit = used.some((d) => d.statements.includes(label) && actionMatches(action, d.action));
        if (!hit) out.push({ policy: p.name, statement, action, resources: list(s.Resource) });
      }
    });
  }
  return out;
}
