// Shared by the sandbox test files: the skip-or-fail rule for a missing tool (skip with a one-line
// reason, but fail when CI=true). Finding terraform and its provider mirror is scripts/lib/tools.ts's
// job, for the tests and the scripts alike.

import { isCI } from "../scripts/lib/tools";
import { findMoto } from "./moto";

/** Undefined when present; else `missing` (what is missing and how to get it), logged. Throws under CI=true. */
export function requireTool(present: boolean, missing: string): string | undefined {
  if (present) return undefined;
  if (isCI()) throw new Error(`${missing}; CI=true requires it`);
  console.warn(`skipping: ${missing}`);
  return missing;
}

export function motoMissing(): string | undefined {
  return requireTool(findMoto() !== undefined, "moto_server not found (pip install 'moto[server]')");
}
