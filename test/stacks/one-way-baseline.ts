// What a one-way deployment's stacks were before two-way mode (issue 22), as one short hash per
// resource, data source and output of each environment's stacks: the synthesized JSON with keys
// sorted and the bundle's file name and hash left out (handler changes move those, and they are
// not the stacks' concern). `one-way.test.ts` holds today's one-way stacks to it.
//
// Regenerate (only for a deliberate change to one-way stacks, said in the commit):
//   UPDATE_ONE_WAY_BASELINE=1 npx vitest run test/stacks/one-way.test.ts
import { createHash } from "node:crypto";
import type { TfJson } from "./synth";

export const BASELINE_FILE = "test/stacks/fixtures/one-way-baseline.json";

/** Environment -> stack role -> address -> hash. */
export type Baseline = Record<string, Record<"primary" | "dr", Record<string, string>>>;

const VOLATILE = new Set(["filename", "source_code_hash"]);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => !VOLATILE.has(k))
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export const hashOf = (value: unknown) => createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex").slice(0, 16);

/** Every resource, data source and output of a stack by its terraform address. */
export function addressed(stack: TfJson): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [type, byName] of Object.entries(stack.resource ?? {})) for (const [name, r] of Object.entries(byName)) out.set(`${type}.${name}`, r);
  for (const [type, byName] of Object.entries(stack.data ?? {})) for (const [name, r] of Object.entries(byName)) out.set(`data.${type}.${name}`, r);
  for (const [name, o] of Object.entries(stack.output ?? {})) out.set(`output.${name}`, o);
  return out;
}

export function hashes(stack: TfJson): Record<string, string> {
  return Object.fromEntries([...addressed(stack)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, hashOf(v)]));
}
