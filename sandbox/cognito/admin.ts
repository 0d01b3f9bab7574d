// The Cognito admin API (under /__sandbox):
// GET /cognito/outbox[?username=] the messages Cognito would have sent (EMAIL_OTP codes);
// GET /cognito/triggers every trigger invocation; DELETE on either clears it.
// GET /cognito/replicas the pools' replicas (status, last sync); POST /cognito/replicas/lag
// { lagMs } sets how long a write to a primary takes to reach its secondary; POST
// /cognito/replicas/flush carries every pending write over now.

import type { AdminRequest, AdminResponse } from "../gateway";
import { replicaSummaries } from "./replicas";
import { flushReplicas } from "./replica-sync";
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
  if (req.path === "/cognito/replicas" && req.method === "GET") return { body: { replicas: replicaSummaries(s) } };
  if (req.path === "/cognito/replicas/lag" && req.method === "POST") {
    const lagMs = Number((req.body as { lagMs?: unknown } | undefined)?.lagMs);
    if (!Number.isFinite(lagMs) || lagMs < 0) return { status: 400, body: { error: "lagMs must be a number of milliseconds >= 0" } };
    s.replicaLagMs = lagMs;
    return { body: { lagMs } };
  }
  if (req.path === "/cognito/replicas/flush" && req.method === "POST") {
    await flushReplicas(s);
    return { body: { replicas: replicaSummaries(s) } };
  }
  return undefined;
}
