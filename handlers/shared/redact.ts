// Scrubs personal data out of free text before it reaches a log line. Deliberately
// broad: a false positive costs a less useful log line, a false negative leaks an
// email address or phone number into CloudWatch for the whole retention period.

/**
 * Anything shaped `x@y` (unicode-aware: a local part may be any non-space). `/` is
 * excluded from the local part so `node_modules/@aws-sdk/...` in stacks survives.
 */
const EMAIL = /[^\s"'<>()[\]{},;:@\\/]+@[^\s"'<>()[\]{},;:@\\/]+/gu;
/** International numbers: `+` then 7-15 digits, optionally grouped by space . - ( ). */
const PHONE_INTL = /\+\s?\(?\d(?:[\s().-]{0,2}\d){6,14}/g;
/** North-American style `(415) 555-0100`, `415.555.0100`, `415-555-0100`. */
const PHONE_NANP = /\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b/g;

export const EMAIL_REDACTED = "[email]";
export const PHONE_REDACTED = "[phone]";

export function redactPersonalData(text: string): string {
  return text.replace(EMAIL, EMAIL_REDACTED).replace(PHONE_INTL, PHONE_REDACTED).replace(PHONE_NANP, PHONE_REDACTED);
}

/**
 * Deep copy of `value` with every string (and object key) redacted. Errors become
 * plain objects through `formatError` so their message, stack and cause are
 * scrubbed too; cycles are cut.
 */
export function redactDeep(value: unknown, formatError: (e: Error) => unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactPersonalData(value);
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (value instanceof Error) return redactDeep(formatError(value), formatError, seen);
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, formatError, seen));
  if (value instanceof Map) return redactDeep(Object.fromEntries(value), formatError, seen);
  if (value instanceof Set) return redactDeep([...value], formatError, seen);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redactPersonalData(k)] = redactDeep(v, formatError, seen);
  return out;
}
