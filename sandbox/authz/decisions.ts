// Every authorization decision the sandbox made, aggregated by what was decided
// (principal, action, resource, outcome, deciding statements), with a count and
// the first and last time. `GET /__sandbox/authz` lists them.

export interface DecisionRecord {
  principal: string;
  /** The role ARN for role sessions (what the unused-permission report groups by). */
  role?: string;
  action: string;
  resource: string;
  allowed: boolean;
  /** Granting statements (`identity:<policy>#<sid>`, `resource#<sid>`), or the explicit denies. */
  statements: string[];
  /** For a denial: the message AWS would answer. */
  reason?: string;
  /** The call that implied this check (`dynamodb:PutItem` for its table key), when it is not the call itself. */
  impliedBy?: string;
  /** For a denial: the request's own condition keys (not the global ones every request carries), to see why. */
  context?: Record<string, string | string[]>;
  count: number;
  first: string;
  last: string;
}

export class DecisionLog {
  private byKey = new Map<string, DecisionRecord>();

  add(d: Omit<DecisionRecord, "count" | "first" | "last">): void {
    const key = JSON.stringify([d.principal, d.action, d.resource, d.allowed, d.statements, d.impliedBy ?? "", d.reason ?? "", d.context ?? {}]);
    const now = new Date().toISOString();
    const known = this.byKey.get(key);
    if (known) {
      known.count++;
      known.last = now;
    } else {
      this.byKey.set(key, { ...d, count: 1, first: now, last: now });
    }
  }

  list(): DecisionRecord[] {
    return [...this.byKey.values()];
  }

  clear(): void {
    this.byKey.clear();
  }
}
