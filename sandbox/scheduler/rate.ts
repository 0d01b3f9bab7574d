// rate() expressions, for firing schedules on their own when the sandbox is asked to. Scheduler
// User Guide, "Schedule types" (schedule-types.html): `rate(value unit)`, a positive whole number
// and minute(s), hour(s) or day(s). cron() and at() schedules are fired through the admin API only.

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The interval of a rate() expression in ms, or undefined for anything else. */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(expression.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  return value > 0 ? value * UNIT_MS[m[2]!]! : undefined;
}
