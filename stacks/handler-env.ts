// Environment variables shared by the handlers that build or read records.
import { CANONICAL_ID_ATTRIBUTE, ENV } from "../handlers/contract";
import type { Environment } from "./environments";

export function replicationEnv(env: Environment): Record<string, string> {
  return {
    [ENV.REPLICATED_ATTRIBUTES]: env.replication.attributes.join(","),
    [ENV.REPLICATED_CUSTOM_ATTRIBUTES]: env.replication.customAttributes.join(","),
    [ENV.CANONICAL_ID_ATTRIBUTE]: CANONICAL_ID_ATTRIBUTE,
    [ENV.RECORD_TTL_DAYS]: String(env.replication.recordTtlDays),
  };
}
