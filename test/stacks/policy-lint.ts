// Walks IAM policy documents and reports least-privilege violations. Used by the
// stack tests on every policy of every synthesized stack.

interface Stmt {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: string | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, unknown>>;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Actions IAM cannot scope to a resource: `*` is the only valid Resource for them. */
const UNSCOPED_ACTIONS = new Set(["cloudwatch:PutMetricData", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "cognito-idp:ListUserPools", "dynamodb:ListStreams"]);
const KMS_USE = /^kms:(Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|CreateGrant|\*)$/;
const NARROWING_CONDITIONS = ["aws:PrincipalArn", "kms:ViaService"];

function isBroadPrincipal(p: Stmt["Principal"]): boolean {
  if (p === "*") return true;
  if (!p || typeof p === "string") return false;
  return asList(p.AWS).some((a) => a === "*" || /:root$/.test(a) || /^\d{12}$/.test(a));
}

function hasNarrowingCondition(c: Stmt["Condition"]): boolean {
  return Object.values(c ?? {}).some((op) => Object.keys(op).some((k) => NARROWING_CONDITIONS.includes(k)));
}

export type PolicyKind = "identity" | "key" | "trust" | "resource";

export function lintPolicy(doc: string, kind: PolicyKind, where: string): string[] {
  const problems: string[] = [];
  const parsed = JSON.parse(doc) as { Statement: Stmt[] | Stmt };
  for (const [i, s] of (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]).entries()) {
    const at = `${where} statement ${s.Sid ?? i}`;
    const actions = asList(s.Action);
    if (s.Effect !== "Allow") continue;
    // A role gets no wildcard at all, not only `*` and `service:*`: `cognito-idp:Admin*` grants
    // AdminSetUserPassword too. Key policies keep the `kms:GenerateDataKey*` of AWS's documented
    // service policies (SNS Developer Guide, "Configure AWS KMS permissions"), never `*`/`kms:*`.
    // An Allow with NotAction or NotResource grants everything it does not name.
    for (const a of actions) {
      if (a === "*" || /^[\w-]+:\*$/.test(a) || (kind === "identity" && /[*?]/.test(a))) problems.push(`${at}: wildcard action ${a}`);
    }
    if (s.NotAction !== undefined) problems.push(`${at}: Allow with NotAction ${asList(s.NotAction).join(", ")}`);
    if (s.NotResource !== undefined) problems.push(`${at}: Allow with NotResource ${asList(s.NotResource).join(", ")}`);
    if (kind === "identity") {
      for (const r of asList(s.Resource)) {
        if (r === "*" && actions.some((a) => !UNSCOPED_ACTIONS.has(a))) {
          problems.push(`${at}: Resource "*" for resource-scoped actions ${actions.join(", ")}`);
        }
      }
    }
    if (kind === "key" && isBroadPrincipal(s.Principal) && actions.some((a) => KMS_USE.test(a)) && !hasNarrowingCondition(s.Condition)) {
      problems.push(`${at}: key use (${actions.filter((a) => KMS_USE.test(a)).join(", ")}) open to every principal of the account`);
    }
  }
  return problems;
}
