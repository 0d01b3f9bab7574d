// Whether an IAM policy's Resource (a glob with `*` and `?`) can match any ARN of a resource type
// as the Service Authorization Reference spells it (`arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}`).
// Variables match one or more characters (of any kind: a stream label is a timestamp with `:`);
// a policy `*` matches anything. Decided by walking both patterns at once (an automaton product), so a stream ARN
// (`table/T/stream/*`) does not count as a table ARN and the other way round.

type Cls = { kind: "lit"; c: string } | { kind: "any" };
interface Tok {
  cls: Cls;
  /** Repeats zero or more times. */
  star: boolean;
}

function policyTokens(glob: string): Tok[] {
  return [...glob].map((c) => (c === "*" ? { cls: { kind: "any" }, star: true } : c === "?" ? { cls: { kind: "any" }, star: false } : { cls: { kind: "lit", c }, star: false }));
}

function patternTokens(pattern: string): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < pattern.length; ) {
    if (pattern.startsWith("${", i)) {
      const end = pattern.indexOf("}", i);
      out.push({ cls: { kind: "any" }, star: false }, { cls: { kind: "any" }, star: true });
      i = end + 1;
    } else {
      out.push({ cls: { kind: "lit", c: pattern[i]! }, star: false });
      i++;
    }
  }
  return out;
}

function intersects(a: Cls, b: Cls): boolean {
  if (a.kind === "any" || b.kind === "any") return true;
  return a.c === b.c;
}

export function globMatchesPattern(policyResource: string, arnPattern: string): boolean {
  const a = policyTokens(policyResource);
  const b = patternTokens(arnPattern);
  const seen = new Set<number>();
  const key = (i: number, j: number) => i * (b.length + 1) + j;
  const queue: Array<[number, number]> = [[0, 0]];
  seen.add(key(0, 0));
  const push = (i: number, j: number) => {
    if (!seen.has(key(i, j))) {
      seen.add(key(i, j));
      queue.push([i, j]);
    }
  };
  while (queue.length) {
    const [i, j] = queue.shift()!;
    if (i === a.length && j === b.length) return true;
    if (i < a.length && a[i]!.star) push(i + 1, j);
    if (j < b.length && b[j]!.star) push(i, j + 1);
    if (i < a.length && j < b.length && intersects(a[i]!.cls, b[j]!.cls)) push(a[i]!.star ? i : i + 1, b[j]!.star ? j : j + 1);
  }
  return false;
}
