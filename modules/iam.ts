// Small helpers for IAM policy documents. Policies are built as plain objects and
// serialised once, so tests can walk every statement of every stack.

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: Statement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export function allow(actions: string[], resources: string[], sid?: string): Statement {
  return { ...(sid ? { Sid: sid } : {}), Effect: "Allow", Action: actions, Resource: resources };
}

export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole"] }],
  });
}
