// What a rule looks at and what it reports, and small readers of the Terraform JSON.
import type { TfJson } from "../synth";

export interface StackUnderTest {
  name: string;
  envName: string;
  json: TfJson;
}

export interface Finding {
  rule: string;
  where: string;
  message: string;
  severity: "error" | "warning";
}

export type Block = Record<string, unknown>;
export interface Stmt {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
}

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
export const blocks = (s: TfJson, type: string): Array<[string, Block]> => Object.entries(s.resource[type] ?? {}) as Array<[string, Block]>;
export const refOf = (type: string, name: string, attr: string) => `\${${type}.${name}.${attr}}`;

/** Findings without repeats (one rule can reach the same place twice). */
export function dedupe(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.rule}|${f.where}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
