// Lambda event filtering (FilterCriteria) with the filter-pattern semantics
// Lambda documents for event source mappings: a record is kept when it matches
// ANY of the mapping's filters; within a pattern every key must match (AND),
// nested objects descend into the record, and a leaf is an array of matchers of
// which one must match (OR). A record field that is an array matches when any
// of its elements matches.
//
// Supported matchers: exact strings / numbers / booleans / null, `prefix`,
// `suffix`, `equals-ignore-case`, `anything-but` (value, list, or {prefix} /
// {suffix}), `exists` (true / false), `numeric` (comparisons joined by AND), and
// `$or` at any object level.
//
// EventBridge rules use the same syntax (EventBridge user guide, "Event patterns" and "Content
// filtering in Amazon EventBridge event patterns", eb-event-patterns-content-based-filtering.html)
// plus `wildcard` (`*` matches any run of characters), which Lambda's filters do not accept:
// `parseEventPattern` validates a rule's pattern with it, `parseFilterCriteria` without.
//
// Like Lambda, numeric comparisons only match JSON numbers: DynamoDB's `N`
// attribute values are strings in the stream record, so `{"N": [{"numeric": ...}]}`
// does not match them (it does not in AWS either).

export type FilterPattern = Record<string, unknown>;

export interface FilterCriteria {
  Filters?: { Pattern?: string }[];
}

/** Parses a mapping's FilterCriteria; throws an Error with a Lambda-like message when a pattern is invalid. */
export function parseFilterCriteria(criteria: FilterCriteria | undefined | null): FilterPattern[] {
  const filters = criteria?.Filters ?? [];
  const patterns: FilterPattern[] = [];
  for (const f of filters) {
    if (typeof f?.Pattern !== "string") throw new Error("Invalid filter pattern definition.");
    let parsed: unknown;
    try {
      parsed = JSON.parse(f.Pattern);
    } catch {
      throw new Error(`Invalid filter pattern definition: ${f.Pattern}`);
    }
    if (!isPlainObject(parsed)) throw new Error(`Invalid filter pattern definition: ${f.Pattern}`);
    validatePattern(parsed, f.Pattern, LAMBDA_MATCHERS);
    patterns.push(parsed);
  }
  return patterns;
}

/** Parses an EventBridge rule's EventPattern; throws when it is not a valid pattern. */
export function parseEventPattern(text: string): FilterPattern {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`Event pattern is not valid JSON: ${text}`);
  }
  if (!isPlainObject(parsed)) throw new Error(`Event pattern is not a JSON object: ${text}`);
  validatePattern(parsed, text, EVENTBRIDGE_MATCHERS);
  return parsed;
}

/** True when `record` passes the filters (no filters = everything passes). */
export function matchesAny(patterns: FilterPattern[], record: unknown): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => matchObject(p, record));
}

export function matchObject(pattern: FilterPattern, value: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!Array.isArray(sub) || !sub.some((alt) => isPlainObject(alt) && matchObject(alt, value))) return false;
      continue;
    }
    const field = isPlainObject(value) ? value[key] : undefined;
    const present = isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, key);
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field, present)) return false;
    } else if (isPlainObject(sub)) {
      if (Array.isArray(field)) {
        if (!field.some((el) => matchObject(sub, el))) return false;
      } else if (!matchObject(sub, field)) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

function matchLeaf(matchers: unknown[], field: unknown, present: boolean): boolean {
  // exists:false must see the field missing altogether (an array field counts as present).
  for (const m of matchers) {
    if (isPlainObject(m) && "exists" in m) {
      // Lambda: "Exists only works on leaf nodes" - an object field matches neither way.
      if (isPlainObject(field)) continue;
      const has = present && field !== undefined;
      if ((m.exists === true) === has) return true;
      continue;
    }
    if (!present || field === undefined) continue;
    const values = Array.isArray(field) ? field : [field];
    if (values.some((v) => matchValue(m, v))) return true;
  }
  return false;
}

function matchValue(m: unknown, v: unknown): boolean {
  if (m === null) return v === null;
  if (typeof m === "string") return typeof v === "string" && v === m;
  if (typeof m === "number") return typeof v === "number" && v === m;
  if (typeof m === "boolean") return v === m;
  if (!isPlainObject(m)) return false;
  if ("prefix" in m) {
    const p = m.prefix;
    if (isPlainObject(p) && typeof p["equals-ignore-case"] === "string") {
      return typeof v === "string" && v.toLowerCase().startsWith(p["equals-ignore-case"].toLowerCase());
    }
    return typeof v === "string" && typeof p === "string" && v.startsWith(p);
  }
  if ("suffix" in m) {
    const s = m.suffix;
    if (isPlainObject(s) && typeof s["equals-ignore-case"] === "string") {
      return typeof v === "string" && v.toLowerCase().endsWith(s["equals-ignore-case"].toLowerCase());
    }
    return typeof v === "string" && typeof s === "string" && v.endsWith(s);
  }
  if ("equals-ignore-case" in m) {
    const s = m["equals-ignore-case"];
    return typeof v === "string" && typeof s === "string" && v.toLowerCase() === s.toLowerCase();
  }
  if ("wildcard" in m) return typeof v === "string" && typeof m.wildcard === "string" && wildcard(m.wildcard).test(v);
  if ("anything-but" in m) {
    const ab = m["anything-but"];
    if (isPlainObject(ab)) {
      if (typeof ab.wildcard === "string") return typeof v === "string" && !wildcard(ab.wildcard).test(v);
      if (typeof ab.prefix === "string") return typeof v === "string" && !v.startsWith(ab.prefix);
      if (typeof ab.suffix === "string") return typeof v === "string" && !v.endsWith(ab.suffix);
      if (Array.isArray(ab["equals-ignore-case"])) {
        const list = ab["equals-ignore-case"] as unknown[];
        return typeof v === "string" && !list.some((x) => typeof x === "string" && x.toLowerCase() === v.toLowerCase());
      }
      if (typeof ab["equals-ignore-case"] === "string") {
        return typeof v === "string" && v.toLowerCase() !== (ab["equals-ignore-case"] as string).toLowerCase();
      }
      return false;
    }
    const list = Array.isArray(ab) ? ab : [ab];
    return !list.some((x) => x === v);
  }
  if ("numeric" in m) {
    if (typeof v !== "number") return false;
    const ops = m.numeric;
    if (!Array.isArray(ops)) return false;
    for (let i = 0; i + 1 < ops.length; i += 2) {
      const op = ops[i];
      const n = ops[i + 1];
      if (typeof n !== "number") return false;
      const ok =
        op === "=" ? v === n : op === ">" ? v > n : op === ">=" ? v >= n : op === "<" ? v < n : op === "<=" ? v <= n : false;
      if (!ok) return false;
    }
    return true;
  }
  return false;
}

/** EventBridge's wildcard: `*` matches any run of characters, everything else itself. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
}

const LAMBDA_MATCHERS = new Set(["prefix", "suffix", "equals-ignore-case", "anything-but", "exists", "numeric"]);
const EVENTBRIDGE_MATCHERS = new Set([...LAMBDA_MATCHERS, "wildcard"]);

function validatePattern(p: FilterPattern, raw: string, known: Set<string>): void {
  for (const [key, sub] of Object.entries(p)) {
    if (key === "$or") {
      if (!Array.isArray(sub) || sub.length < 2) throw new Error(`Invalid filter pattern definition: ${raw}`);
      for (const alt of sub) {
        if (!isPlainObject(alt)) throw new Error(`Invalid filter pattern definition: ${raw}`);
        validatePattern(alt, raw, known);
      }
    } else if (Array.isArray(sub)) {
      for (const m of sub) {
        if (isPlainObject(m)) {
          const keys = Object.keys(m);
          if (keys.length !== 1 || !known.has(keys[0]!)) throw new Error(`Invalid filter pattern definition: ${raw}`);
        } else if (Array.isArray(m)) {
          throw new Error(`Invalid filter pattern definition: ${raw}`);
        }
      }
    } else if (isPlainObject(sub)) {
      validatePattern(sub, raw, known);
    } else {
      throw new Error(`Invalid filter pattern definition: ${raw}`);
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
