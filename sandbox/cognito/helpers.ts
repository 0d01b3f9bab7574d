/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// Small helpers the parts of the Cognito plugin share: reading tokens, pool ids and attribute
// lists, a password nobody knows, and retrying the gateway's own calls to moto.

import { randomBytes } from "node:crypto";

/** The claims of a JWT (not verified: the sandbox only reads its own moto's tokens). */
export function decodeJwt(token: unknown): Record<string, any> | undefined {
  if (typeof token !== "string") return undefined;
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The region a user pool id names (`us-east-1_AbC` -> `us-east-1`). */
export function regionOfPool(poolId: unknown): string | undefined {
  if (typeof poolId !== "string") return undefined;
  const i = poolId.indexOf("_");
  return i > 0 ? poolId.slice(0, i) : undefined;
}

/** A password that satisfies any Cognito password policy and that nobody knows. */
export function randomPassword(): string {
  return `Aa1!${randomBytes(24).toString("base64url")}`;
}

export function attrsToMap(list: Array<{ Name: string; Value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) if (a.Value !== undefined) out[a.Name] = a.Value;
  return out;
}

/** The gateway's own calls to moto: a loaded moto can drop one; try a few times. */
export async function withRetries<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (i >= attempts || code === "ResourceNotFoundException" || code === "UserNotFoundException") throw e;
      await new Promise((r) => setTimeout(r, 50 * 2 ** i));
    }
  }
}
