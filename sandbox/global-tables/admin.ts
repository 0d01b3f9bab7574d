// The global-tables admin API (under /__sandbox):
// POST /ttl-sweep {region, table, now?} deletes expired items like DynamoDB TTL;
// POST /replication {delayMs}; GET /replication;
// POST /replication/flush {timeoutMs?} waits until the backlog is empty.

import type { AdminRequest, AdminResponse } from "../gateway";
import type { Replication } from "./replication";
import type { GlobalTablesState } from "./state";
import { ttlSweep } from "./ttl";

/** Answers a global-tables admin request, or undefined for a path that is not one. */
export async function globalTablesAdmin(s: GlobalTablesState, replication: Replication, req: AdminRequest): Promise<AdminResponse | undefined> {
  const { method, path, body } = req;
  if (path === "/ttl-sweep" && method === "POST") {
    if (!body.region || !body.table) return { status: 400, body: { error: "region and table are required" } };
    return { body: await ttlSweep(s, String(body.region), String(body.table), typeof body.now === "number" ? body.now : undefined) };
  }
  if (path === "/replication") {
    if (method === "GET") return { body: replication.status() };
    if (method === "POST") {
      if (body.delayMs !== undefined) {
        const d = Number(body.delayMs);
        if (!Number.isFinite(d) || d < 0) return { status: 400, body: { error: "delayMs must be a number >= 0" } };
        s.delayMs = d;
      }
      return { body: replication.status() };
    }
  }
  if (path === "/replication/flush" && method === "POST") {
    const r = await replication.flush(typeof body.timeoutMs === "number" ? body.timeoutMs : undefined);
    return { body: { ...r, ...replication.status() } };
  }
  return undefined;
}
