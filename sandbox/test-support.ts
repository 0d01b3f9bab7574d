// Shared by the sandbox's own test files: the skip-or-fail rule for a missing tool (skip with a
// one-line reason, but fail when CI=true), and the quota table the sandbox is started with.

import type { CognitoQuotaTable } from "./faults";
import { findMoto } from "./moto";

/** GitHub (and most CI services) set CI=true: there a missing tool is a failure, not a skip. */
const isCI = () => process.env.CI === "true";

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

/**
 * The quota table for the sandbox's own tests, none of which is about Cognito's quotas: nothing
 * metered. Cognito's real table is the project's (handlers/replication/cognito-quotas.ts), and the
 * sandbox enforcing it is tested in the project's test/sandbox/, which may import it.
 */
export const UNMETERED: CognitoQuotaTable = { rates: {}, categoryOf: () => undefined, perUserRead: new Set(), perUserWrite: new Set() };
