// Quotas and fault injection (see plugin.ts).

export { FaultsPlugin, callerOf, type ActiveFault, type FaultSpec, type FaultsOptions, type RegionStats, type SandboxStats } from "./plugin";
export { SANDBOX_CATEGORIES, type CognitoQuotaTable, type QuotaCategory, type QuotaSetting } from "./quotas";
