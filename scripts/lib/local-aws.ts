// The project's local AWS: the sandbox (moto + gateway, its own workspace) started with Cognito's
// quota table from the core, handlers/replication/cognito-quotas.ts, so the quotas the sandbox
// enforces are the ones the operator tools and the scheduled reconcile budget against. Every
// script, benchmark and test that needs a local AWS starts it here.

import { startSandbox, type CognitoQuotaTable, type Sandbox, type SandboxOptions } from "@cognito-dr/sandbox";
import { categoryOf, COGNITO_QUOTAS, PER_USER_READ, PER_USER_WRITE } from "../../handlers/replication/cognito-quotas";

/** The core's table in the shape the sandbox takes. */
export const COGNITO_QUOTA_TABLE: CognitoQuotaTable = {
  rates: COGNITO_QUOTAS,
  categoryOf,
  perUserRead: PER_USER_READ,
  perUserWrite: PER_USER_WRITE,
};

/** startSandbox with the core's quota table. */
export function startLocalAws(opts: Omit<SandboxOptions, "cognitoQuotas"> = {}): Promise<Sandbox> {
  return startSandbox({ ...opts, cognitoQuotas: COGNITO_QUOTA_TABLE });
}
