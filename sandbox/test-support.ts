// Shared by the sandbox's own test files: the skip-or-fail rule for moto_server (skip with a
// one-line reason, but fail when CI=true), and the quota table the sandbox is started with.

import type { CognitoQuotaTable } from "./faults";
import { findMoto, MOTO_MISSING } from "./moto";

/** Undefined when moto_server is found; else why not, logged, to skip with. Throws under CI=true (GitHub and most CI services set it). */
export function motoMissing(): string | undefined {
  if (findMoto() !== undefined) return undefined;
  if (process.env.CI === "true") throw new Error(`${MOTO_MISSING}; CI=true requires it`);
  console.warn(`skipping: ${MOTO_MISSING}`);
  return MOTO_MISSING;
}

/**
 * The quota table for the sandbox's own tests, none of which is about Cognito's quotas: nothing
 * metered. Cognito's real table is the project's (handlers/replication/cognito-quotas.ts), and the
 * sandbox enforcing it is tested in the project's test/sandbox/, which may import it.
 */
export const UNMETERED: CognitoQuotaTable = { rates: {}, categoryOf: () => undefined, perUserRead: new Set(), perUserWrite: new Set() };
