// Credentials that identify a role session, the way STS credentials do in AWS:
// the sandbox hands a function (or a poller acting with its role) an access key
// id of its own, and the gateway maps that key back to the role session on every
// request. Signatures are not checked; the key id is the identity.
//
// Any other key (the shared dummy keys of operators, tests and terraform) is the
// administrator, and unsigned calls (SignUp, InitiateAuth, ...) carry no key at all.

import { createHash, randomBytes } from "node:crypto";
import type { SessionCredentials } from "../types";
import { ADMIN, roleSession, type Principal, type RolePrincipal } from "./principal";

const CREDENTIAL = /Credential=([A-Z0-9]+)\//;

/** The access key id a request was signed with (SigV4 header or presigned query), if any. */
export function accessKeyOf(headers: Record<string, string>, query?: URLSearchParams): string | undefined {
  const m = CREDENTIAL.exec(headers["authorization"] ?? "");
  if (m) return m[1];
  return query?.get("X-Amz-Credential")?.split("/")[0] || undefined;
}

export class Identities {
  private byKey = new Map<string, { principal: RolePrincipal; credentials: SessionCredentials }>();

  /**
   * Credentials for a session of `roleArn`. The key id is derived from the role and the session
   * name, so a recycled worker gets the same key and the registry does not grow.
   * `sessionToken` defaults to a token naming the session; callers may pass their own.
   */
  issue(roleArn: string, sessionName: string, sessionToken?: string): SessionCredentials {
    const principal = { ...roleSession(roleArn, sessionName), issuedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") };
    const digest = createHash("sha256").update(`${roleArn}\n${sessionName}`).digest("hex").toUpperCase();
    const accessKeyId = `ASIA${digest.slice(0, 16)}`;
    const known = this.byKey.get(accessKeyId);
    if (known && (sessionToken === undefined || known.credentials.sessionToken === sessionToken)) return known.credentials;
    if (known) principal.issuedAt = known.principal.issuedAt ?? principal.issuedAt;
    const credentials = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: sessionToken ?? `sandbox-session:${sessionName}`,
    };
    this.byKey.set(accessKeyId, { principal, credentials });
    return credentials;
  }

  /** The role session behind a request's key, or the administrator. */
  principalOf(headers: Record<string, string>, query?: URLSearchParams): Principal {
    const key = accessKeyOf(headers, query);
    return (key && this.byKey.get(key)?.principal) || ADMIN;
  }
}
