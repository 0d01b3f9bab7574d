// Quotas and fault injection (see plugin.ts).

export { FaultsPlugin, callerOf, type ActiveFault, type FaultSpec, type FaultsOptions, type RegionStats, type SandboxStats } from "./plugin";
export { AWS_PER_USER_QUOTA, DEFAULT_QUOTAS, QUOTA_CATEGORIES, type QuotaCategory, type QuotaSetting } from "./quotas";
