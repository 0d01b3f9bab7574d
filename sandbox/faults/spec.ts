// What a fault may say (checked by the admin API before any fault of a request is added) and the
// delay one fault adds to one call.

import type { FaultSpec } from "./plugin";

const RATES = ["errorRate", "throttleRate"] as const;
const DELAYS = ["latencyMs", "latencyJitterMs"] as const;

/** Why `spec` (the `index`-th fault of the request) is refused, naming the field; undefined when it is fine. */
export function faultSpecError(spec: FaultSpec, index: number): string | undefined {
  const where = `faults[${index}]`;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return `${where} must be an object`;
  for (const k of RATES) {
    const v = spec[k];
    if (v !== undefined && (typeof v !== "number" || !(v >= 0 && v <= 1))) return `${where}.${k} must be a number 0..1 (got ${JSON.stringify(v)})`;
  }
  for (const k of DELAYS) {
    const v = spec[k];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) return `${where}.${k} must be a number >= 0 (got ${JSON.stringify(v)})`;
  }
  // The jitter is symmetric around latencyMs, so latencyMs stays the median delay only when no
  // sample is floored at 0.
  if ((spec.latencyJitterMs ?? 0) > (spec.latencyMs ?? 0)) {
    return `${where}.latencyJitterMs (${spec.latencyJitterMs}) must not exceed ${where}.latencyMs (${spec.latencyMs ?? 0})`;
  }
  return undefined;
}

/**
 * The delay one fault adds to one call: uniform in [latencyMs - jitter, latencyMs + jitter],
 * floored at 0. `random` is drawn only for a fault with jitter, so faults without it leave the
 * sequence of draws (the error and throttling rates') as it was.
 */
export function sampledDelayMs(spec: FaultSpec, random: () => number): number {
  const base = spec.latencyMs ?? 0;
  const jitter = spec.latencyJitterMs ?? 0;
  if (jitter <= 0) return base;
  return Math.max(0, base + (2 * random() - 1) * jitter);
}
