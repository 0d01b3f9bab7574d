// The Cognito admin API (under /__sandbox):
// GET /cognito/outbox[?username=] the messages Cognito would have sent (EMAIL_OTP codes);
// GET /cognito/triggers every trigger invocation; DELETE on either clears it.

import type { AdminRequest, AdminResponse } from "../gateway";
import type { CognitoState } from "./state";

/** Answers a Cognito admin request, or undefined for a path that is not one. */
export async function cognitoAdmin(s: CognitoState, req: AdminRequest): Promise<AdminResponse | undefined> {
  if (req.path === "/cognito/outbox") {
    if (req.method === "GET") {
      const user = req.query.get("username");
      return { body: { messages: s.outbox.filter((m) => !user || m.username === user || m.destination === user) } };
    }
    if (req.method === "DELETE") {
      s.outbox = [];
      return { body: { ok: true } };
    }
  }
  if (req.path === "/cognito/triggers") {
    if (req.method === "GET") return { body: { invocations: [...s.log] } };
    if (req.method === "DELETE") {
      s.log = [];
      return { body: { ok: true } };
    }
  }
  return undefined;
}
