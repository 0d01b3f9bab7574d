// Conditions on `kms:EncryptionContext:<key>`, which @cloud-copilot/iam-simulate (0.1.173) never
// matches: it keeps only context keys the action lists, and matches a variable key only by the part
// before a slash (`aws:ResourceTag/...`), so `kms:EncryptionContext:aws:cognito-idp:userpool-arn`
// is dropped and any condition on it fails. AWS evaluates them (KMS Developer Guide, "kms:EncryptionContext:
// context-key"): Cognito's documented key policy conditions on one. So those clauses are decided
// here, before the simulator sees the policy: a clause that holds is removed from its statement; a
// statement with a clause that fails cannot apply to this request (Allow or Deny), so it gets a
// condition no request meets instead (removing it could leave a policy without statements).
const PREFIX = "kms:encryptioncontext:";
/** A condition no request meets: no request carries this key with this value. */
const NEVER = { StringEquals: { "aws:PrincipalAccount": "sandbox-encryption-context-mismatch" } };

type Statement = { Condition?: Record<string, Record<string, unknown>> } & Record<string, unknown>;

const wildcard = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");

class Unsupported extends Error {}
const SUPPORTED = new Set(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"]);

/** Whether one String* clause holds; Unsupported for any other operator (set operators included). */
function holds(operator: string, wanted: unknown, have: string[] | undefined): boolean {
  const ifExists = operator.endsWith("IfExists");
  const op = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  if (!SUPPORTED.has(op)) throw new Unsupported();
  if (have === undefined) return ifExists || op.startsWith("StringNot");
  const values = [wanted].flat().map(String);
  const match = (v: string, w: string) => {
    switch (op) {
      case "StringEquals":
      case "StringNotEquals":
        return v === w;
      case "StringEqualsIgnoreCase":
      case "StringNotEqualsIgnoreCase":
        return v.toLowerCase() === w.toLowerCase();
      case "StringLike":
      case "StringNotLike":
        return wildcard(w).test(v);
      default:
        throw new Unsupported();
    }
  };
  const any = have.some((v) => values.some((w) => match(v, w)));
  return op.startsWith("StringNot") ? !any : any;
}

function contextValue(context: Record<string, string | string[]>, key: string): string[] | undefined {
  const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : [found[1]].flat();
}

/** The policy with its encryption-context condition clauses decided for this request's context. */
export function resolveEncryptionContext<T>(policy: T, context: Record<string, string | string[]>): T {
  if (!policy || !JSON.stringify(policy).toLowerCase().includes(PREFIX)) return policy;
  const doc = (typeof policy === "string" ? JSON.parse(policy) : structuredClone(policy)) as { Statement?: Statement | Statement[] };
  const statements = [doc.Statement ?? []].flat();
  const kept: Statement[] = [];
  for (const s of statements) {
    let applies = true;
    for (const [operator, block] of Object.entries(s.Condition ?? {})) {
      for (const key of Object.keys(block)) {
        if (!key.toLowerCase().startsWith(PREFIX)) continue;
        try {
          if (!holds(operator, block[key], contextValue(context, key))) applies = false;
        } catch (e) {
          if (e instanceof Unsupported) continue; // Null, Arn*, ForAnyValue:...: left to the simulator as before
          throw e;
        }
        delete block[key];
      }
      if (Object.keys(block).length === 0) delete s.Condition![operator];
    }
    if (s.Condition && Object.keys(s.Condition).length === 0) delete s.Condition;
    kept.push(applies ? s : { ...s, Condition: NEVER });
  }
  doc.Statement = kept;
  return (typeof policy === "string" ? JSON.stringify(doc) : doc) as T;
}
