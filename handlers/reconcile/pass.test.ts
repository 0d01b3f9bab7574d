// A reconcile pass across invocations (pass.ts through the handler): a fake clock that each Cognito
// call advances, a time budget a few calls long, an in-memory bucket.
import { AdminCreateUserCommand, AdminDeleteUserCommand, ListGroupsCommand, ListUserPoolsCommand, ListUsersCommand, ListUsersInGroupCommand, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { reconcilePools } from "../replication/reconcile";
import { replicationConfig } from "../replication/replication-config";
import { createLogger } from "../shared/logger";
import { logLines } from "../../test/support/logs";
import { captureOutput } from "../../test/support/pii-guard";
import { recordingMetrics } from "../../test/support/fakes";
import { CHECKPOINT_SCHEMA_VERSION } from "./checkpoint";
import { DriftRemainsError, makeHandler, type ReconcileConfig } from "./handler";
import { PassStalledError } from "./pass";
import { memoryStore } from "./store";

const PRIMARY = "us-east-1_primary1";
const DR = "us-west-2_dr1";
const HOUR = 3_600_000;
const hex = (i: number) => i.toString(16).padStart(8, "0");

/** A user whose sub starts with the digit `i % 16` (subs are UUIDs: hex). */
function primaryUser(i: number): UserType {
  const sub = `${(i % 16).toString(16)}${hex(i)}-p`;
  return { Username: `p${i}`, Enabled: true, UserStatus: "CONFIRMED", Attributes: [{ Name: "sub", Value: sub }, { Name: "email", Value: `u${i}@example.com` }, { Name: "email_verified", Value: "true" }] };
}

function drCopy(u: UserType, i: number, changes: Record<string, string> = {}): UserType {
  const attrs = Object.fromEntries(u.Attributes!.map((a) => [a.Name!, a.Value!]));
  const all = { ...attrs, sub: `${((i + 5) % 16).toString(16)}${hex(i)}-d`, "custom:canonical_id": attrs.sub!, ...changes };
  return { Username: `d${i}`, Enabled: u.Enabled, UserStatus: "CONFIRMED", Attributes: Object.entries(all).map(([Name, Value]) => ({ Name, Value })) };
}

/** A pool: ListUsers honours `sub ^=` / `sub =` and pages of `pageSize`; each call advances the clock. */
function fakePool(users: UserType[], clock: { t: number }, log: string[], opts: { pageSize?: number; groups?: Record<string, string[]>; deleteMs?: number; stallOnce?: { filter: string; ms: number }; slowAlways?: { filter: string; ms: number } } = {}) {
  const sub = (u: UserType) => u.Attributes?.find((a) => a.Name === "sub")?.Value ?? "";
  return {
    send: async (cmd: { input?: unknown }) => {
      clock.t += 10;
      const input = (cmd.input ?? {}) as { Filter?: string; PaginationToken?: string; GroupName?: string };
      if (cmd instanceof ListUserPoolsCommand) return { UserPools: [{ Id: PRIMARY, Name: "cdr-test-users-primary" }] };
      if (cmd instanceof ListGroupsCommand) return { Groups: Object.keys(opts.groups ?? {}).map((GroupName) => ({ GroupName })) };
      if (cmd instanceof ListUsersInGroupCommand) return { Users: users.filter((u) => opts.groups?.[input.GroupName!]?.includes(u.Username!)) };
      if (cmd instanceof ListUsersCommand) {
        const m = /^sub (\^?=) "(.*)"$/.exec(input.Filter ?? "");
        // Other filters (the upsert's lookups by email) find nobody here.
        const hits = input.Filter && !m ? [] : users.filter((u) => !m || (m[1] === "=" ? sub(u) === m[2] : sub(u).startsWith(m[2]!)));
        log.push(`ListUsers ${input.Filter} ${input.PaginationToken ?? 0}`);
        // A slow first page, once: the budget runs out inside this listing.
        if (opts.stallOnce && opts.stallOnce.filter === input.Filter) {
          clock.t += opts.stallOnce.ms;
          opts.stallOnce = undefined;
        }
        // A first page always this slow: the unit never fits one budget.
        if (opts.slowAlways && opts.slowAlways.filter === input.Filter && !input.PaginationToken) clock.t += opts.slowAlways.ms;
        const size = opts.pageSize ?? 60;
        const from = Number(input.PaginationToken ?? 0);
        return { Users: hits.slice(from, from + size), PaginationToken: from + size < hits.length ? String(from + size) : undefined };
      }
      if (cmd instanceof AdminCreateUserCommand) return { User: { Username: "x", UserStatus: "CONFIRMED" } };
      // A slow delete: the repairs after it find the budget spent.
      if (cmd instanceof AdminDeleteUserCommand) return void (clock.t += opts.deleteMs ?? 0);
      throw new Error(`unexpected ${cmd.constructor.name}`);
    },
  };
}

const ddb = { send: async () => ({}) };
const config: ReconcileConfig = {
  primaryRegion: "us-east-1",
  primaryPoolName: "cdr-test-users-primary",
  drRegion: "us-west-2",
  targetPoolId: DR,
  tableName: "cdr-test-users",
  apply: false,
  allowDelete: false,
  quotaShare: 1,
  ttlDays: 30,
  replication: replicationConfig(),
  passIntervalMinutes: 60,
  // 60 ms: six Cognito calls of the fake clock.
  timeBudgetSeconds: 0.06,
};

/** 40 primary users; DR lacks 3, has 2 changed and 1 extra. */
function pools() {
  const primary = Array.from({ length: 40 }, (_, i) => primaryUser(i));
  const dr = primary.slice(3).map((u, j) => drCopy(u, j + 3, j < 2 ? { email: `changed${j}@example.com` } : {}));
  dr.push(drCopy(primaryUser(99), 99));
  return { primary, dr };
}

function setup(opts: { store?: ReturnType<typeof memoryStore>; pageSize?: number; apply?: boolean; budget?: number; stallOnce?: { filter: string; ms: number }; slowAlways?: { filter: string; ms: number } } = {}) {
  const clock = { t: 10 * HOUR };
  const log: string[] = [];
  const drLog: string[] = [];
  const { primary, dr } = pools();
  const store = opts.store ?? memoryStore();
  const metrics = recordingMetrics();
  const output = captureOutput();
  const handler = makeHandler({
    config: { ...config, apply: opts.apply ?? false, timeBudgetSeconds: opts.budget ?? config.timeBudgetSeconds },
    primary: fakePool(primary, clock, log, { pageSize: opts.pageSize, groups: { admins: ["p5"] }, stallOnce: opts.stallOnce, slowAlways: opts.slowAlways }),
    dr: fakePool(dr, clock, drLog, { pageSize: opts.pageSize }),
    ddb,
    store,
    now: () => clock.t,
    logger: createLogger({ logLevel: "INFO" }),
    metrics,
  });
  const lines = () => logLines(output.lines);
  return { clock, log, drLog, store, metrics, handler, output, lines, primary, dr };
}

/** Invokes until the pass completes (or `max` invocations); the outcomes in order. */
async function untilComplete(handler: ReturnType<typeof setup>["handler"], max = 50) {
  const outcomes: Array<{ status: string }> = [];
  for (let i = 0; i < max; i++) {
    const out = await handler().catch((err: unknown) => {
      if (err instanceof DriftRemainsError) return { status: "completed", error: err };
      throw err;
    });
    outcomes.push(out);
    if (out.status === "completed") return outcomes;
  }
  throw new Error(`no completed pass in ${max} invocations: ${JSON.stringify(outcomes.slice(0, 6))}`);
}

describe("a reconcile pass across invocations", () => {
  it("starts a pass, continues it, compares at the end and reports once, with the result of one run", async () => {
    const s = setup();
    try {
      const outcomes = await untilComplete(s.handler);
      expect(outcomes.length).toBeGreaterThanOrEqual(3);
      expect(outcomes.slice(0, -1).every((o) => o.status === "in-progress")).toBe(true);
      const finished = s.lines().filter((l) => l.message === "reconcile finished");
      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({ invocations: outcomes.length, counts: { primaryUsers: 40, drUsers: 38, missing_in_dr: 3, attributes: 2, extra_in_dr: 1, groups: 1 } });
      expect(s.metrics.entries.filter((e) => e.name === "ReconcileDrift")).toHaveLength(1);
      expect(s.lines().filter((l) => l.message === "reconcile pass started")).toHaveLength(1);
      // The same counts and drift as one run of the core over the whole pools.
      const clock = { t: 10 * HOUR };
      const once = await reconcilePools({ primary: fakePool(s.primary, clock, [], { groups: { admins: ["p5"] } }), dr: fakePool(s.dr, clock, []), primaryPoolId: PRIMARY, drPoolId: DR, primaryRegion: "us-east-1", config: replicationConfig(), ttlDays: 30, now: () => clock.t });
      const drift = (items: Array<{ kind: string; canonicalId?: string; detail: string }>) => items.map((d) => `${d.kind} ${d.canonicalId} ${d.detail}`).sort();
      expect(finished[0]!.counts).toEqual(once.counts);
      expect(drift(finished[0]!.sample as never)).toEqual(drift(once.drift));
      // Its listings are deleted; only the checkpoint stays, saying when the pass ran.
      expect([...s.store.objects.keys()]).toEqual(["reconcile/checkpoint.json"]);
      expect(JSON.parse(s.store.objects.get("reconcile/checkpoint.json")!)).toMatchObject({ schemaVersion: CHECKPOINT_SCHEMA_VERSION, lastCompleted: { startedAt: 10 * HOUR } });
    } finally {
      s.output.restore();
    }
  });

  it("lists again a unit whose listing is gone from the bucket (expired while the pass stalled), instead of failing at every tick", async () => {
    const s = setup();
    try {
      await expect(s.handler()).resolves.toMatchObject({ status: "in-progress" });
      const listing = [...s.store.objects.keys()].find((k) => k.includes("/passes/"))!;
      s.store.objects.delete(listing);
      const outcomes = await untilComplete(s.handler);
      expect(outcomes.at(-1)).toMatchObject({ status: "completed" });
      expect(s.lines().find((l) => l.message.startsWith("reconcile listings missing"))).toMatchObject({ level: "WARN", units: [listing.replace(/^.*\/passes\/[^/]+\//, "").replace(/\.json$/, "")] });
      expect(s.lines().find((l) => l.message === "reconcile finished")).toMatchObject({ counts: { primaryUsers: 40, drUsers: 38, missing_in_dr: 3, attributes: 2, extra_in_dr: 1, groups: 1 } });
    } finally {
      s.output.restore();
    }
  });

  it("does nothing until the pass interval has passed since the last pass started, then starts the next", async () => {
    const s = setup({ budget: 10 });
    try {
      await untilComplete(s.handler, 1);
      const calls = s.log.length;
      s.clock.t = 10 * HOUR + 59 * 60_000;
      await expect(s.handler()).resolves.toEqual({ status: "not-due", nextPassAt: 11 * HOUR });
      expect(s.log).toHaveLength(calls);
      s.clock.t = 11 * HOUR;
      await untilComplete(s.handler, 1);
      expect(s.lines().filter((l) => l.message === "reconcile finished")).toHaveLength(2);
    } finally {
      s.output.restore();
    }
  });

  it("keeps going after one unit took longer than a whole budget (a slow region once): no invocation is left unable to start a unit", async () => {
    // One page a segment: segment 3's only page takes 1 s of a 0.5 s budget, and the unit completes.
    const s = setup({ budget: 0.5, stallOnce: { filter: 'sub ^= "3"', ms: 1000 } });
    try {
      const outcomes = await untilComplete(s.handler);
      expect(outcomes.at(-1)).toMatchObject({ status: "completed" });
      expect(s.lines().find((l) => l.message === "reconcile finished")).toMatchObject({ counts: { primaryUsers: 40, drUsers: 38 } });
    } finally {
      s.output.restore();
    }
  });

  it("fails every invocation with PassStalledError once a pass that cannot finish is older than its interval (and 4 hours), its progress still saved", async () => {
    // Pages of 1 user; the primary's segment 3 first page takes twice the budget, every time.
    const s = setup({ pageSize: 1, budget: 0.5, slowAlways: { filter: 'sub ^= "3"', ms: 1000 } });
    const current = () => JSON.parse(s.store.objects.get("reconcile/checkpoint.json")!).current as { done: string[]; invocations: number };
    try {
      for (let i = 0; i < 10; i++) await expect(s.handler()).resolves.toMatchObject({ status: "in-progress" });
      // The primary's lane never gets past segment 3 (the other lane shares the clock, so its count varies).
      const done = current().done.length;
      expect(current().done).not.toContain("primary/users-3");
      s.clock.t += 4 * HOUR;
      await expect(s.handler()).rejects.toThrow(PassStalledError);
      await expect(s.handler()).rejects.toThrow(/^reconcile pass \S+ has run 24\d minutes over 12 invocations and is not finished \(\d+ of 34 units listed; the longest unit took \d+ s\)$/);
      expect(current().invocations).toBe(12);
      expect(current().done.length).toBeGreaterThanOrEqual(done);
      expect(s.lines().filter((l) => l.message.startsWith("reconcile pass stalled"))).toEqual([
        expect.objectContaining({ level: "ERROR", unitsTotal: 34, invocations: 11 }),
        expect.objectContaining({ level: "ERROR", invocations: 12 }),
      ]);
    } finally {
      s.output.restore();
    }
  });

  it("lets one of two invocations at once work on the pass: the other stops at its first save (conditional write), and the pass reports once", async () => {
    const store = memoryStore();
    const [a, b] = [setup({ store }), setup({ store })];
    try {
      const both = await Promise.all([a.handler(), b.handler()]);
      expect(both.map((o) => o.status).sort()).toEqual(["in-progress", "superseded"]);
      const loser = both[0]!.status === "superseded" ? a : b;
      expect(loser.log).toEqual([]); // it listed nothing
      const winner = loser === a ? b : a;
      await untilComplete(winner.handler);
      // The later capture (b's) holds both invocations' lines.
      expect(b.lines().filter((l) => l.message.startsWith("reconcile checkpoint changed under this invocation"))).toEqual([expect.objectContaining({ level: "WARN" })]);
      expect(b.lines().filter((l) => l.message === "reconcile finished")).toHaveLength(1);
    } finally {
      b.output.restore();
      a.output.restore();
    }
  });

  it("stops an older invocation at its next save once a newer one has saved the checkpoint", async () => {
    const s = setup({ pageSize: 1 });
    const putIf = s.store.putIf.bind(s.store);
    let saves = 0;
    s.store.putIf = async (key, body, expected) => {
      // After this invocation's first save, another one loads and saves the checkpoint.
      if (key.endsWith("checkpoint.json") && ++saves === 2) s.store.objects.set(key, `${s.store.objects.get(key)!} `);
      return putIf(key, body, expected);
    };
    try {
      await expect(s.handler()).resolves.toEqual({ status: "superseded" });
      const listed = s.log.length;
      await new Promise((r) => setTimeout(r, 5));
      expect(s.log.length).toBe(listed); // no lane went on after the stop
    } finally {
      s.output.restore();
    }
  });

  it("stops both lanes' listing once a save finds the pass superseded, not at each lane's next save", async () => {
    const s = setup({ pageSize: 1, budget: 10 });
    const putIf = s.store.putIf.bind(s.store);
    let saves = 0;
    let callsAtConflict: number | undefined;
    s.store.putIf = async (key, body, expected) => {
      // The second unit's save finds the checkpoint changed; the other lane is then mid-unit.
      if (key.endsWith("checkpoint.json") && ++saves === 3) s.store.objects.set(key, `${s.store.objects.get(key)!} `);
      try {
        return await putIf(key, body, expected);
      } catch (err) {
        callsAtConflict ??= s.log.length + s.drLog.length;
        throw err;
      }
    };
    try {
      await expect(s.handler()).resolves.toEqual({ status: "superseded" });
      expect(callsAtConflict).toBeDefined();
      // At most a page already asked for when the conflict came back; none after.
      expect(s.log.length + s.drLog.length - callsAtConflict!).toBeLessThanOrEqual(1);
    } finally {
      s.output.restore();
    }
  });

  it("abandons a unit the budget cuts short (nothing recorded) and redoes it whole in the next invocation", async () => {
    // Pages of 1 user; the first page of the primary's segment 3 takes the whole budget, once.
    const s = setup({ pageSize: 1, budget: 0.5, stallOnce: { filter: 'sub ^= "3"', ms: 1000 } });
    try {
      await expect(s.handler()).resolves.toMatchObject({ status: "in-progress" });
      const done = JSON.parse(s.store.objects.get("reconcile/checkpoint.json")!).current.done as string[];
      expect(done).toEqual(expect.arrayContaining(["primary/groups", "primary/users-0", "primary/users-2"]));
      expect(done).not.toContain("primary/users-3");
      // Its second page was never asked for, and nothing of it was written.
      expect(s.log).toContain('ListUsers sub ^= "3" 0');
      expect(s.log).not.toContain('ListUsers sub ^= "3" 1');
      const keys = [...s.store.objects.keys()];
      expect(keys.filter((k) => k.includes("/passes/")).map((k) => k.replace(/^.*\/passes\/[^/]+\//, "").replace(/\.json$/, "")).sort()).toEqual([...done].sort());
      await untilComplete(s.handler);
      // Listed again from its first page, and whole.
      expect(s.log.filter((l) => l === 'ListUsers sub ^= "3" 0')).toHaveLength(2);
      expect(s.log).toContain('ListUsers sub ^= "3" 2');
      expect(s.lines().find((l) => l.message === "reconcile finished")).toMatchObject({ counts: { primaryUsers: 40, drUsers: 38, missing_in_dr: 3, attributes: 2 } });
    } finally {
      s.output.restore();
    }
  });

  it("leaves a user changed in either pool while the pass listed to the next pass (no repair back to what was listed first)", async () => {
    const s = setup();
    // p3's DR copy differs (email); the primary user then changed after the pass started.
    s.primary[3]!.UserLastModifiedDate = new Date(10 * HOUR + 5);
    try {
      await untilComplete(s.handler);
      expect(s.lines().find((l) => l.message === "reconcile pass leaves users changed while it listed to the next pass")).toMatchObject({ changedDuringPass: 1 });
      expect(s.lines().find((l) => l.message === "reconcile finished")).toMatchObject({ counts: { primaryUsers: 39, drUsers: 37, attributes: 1, missing_in_dr: 3 } });
    } finally {
      s.output.restore();
    }
  });

  it("discards a corrupt checkpoint or one of another pass interval, with a log line, and starts a new pass", async () => {
    for (const [raw, reason] of [
      ["{not json", "not JSON"],
      [JSON.stringify({ schemaVersion: 99 }), "schema version 99, expected 1"],
      [JSON.stringify({ schemaVersion: 1, identity: { intervalMs: 1, mode: "one-way", primaryPoolName: "cdr-test-users-primary", drPoolId: DR } }), "another intervalMs (1, now 3600000)"],
      [JSON.stringify({ schemaVersion: 1, identity: { intervalMs: HOUR, mode: "one-way", primaryPoolName: "cdr-test-users-primary", drPoolId: DR }, current: { id: "x" } }), "malformed pass in progress"],
    ]) {
      const s = setup({ store: memoryStore(new Map([["reconcile/checkpoint.json", raw!]])) });
      try {
        await expect(s.handler()).resolves.toMatchObject({ status: "in-progress" });
        expect(s.lines().find((l) => l.message === "reconcile checkpoint discarded; a new pass starts")).toMatchObject({ level: "WARN", reason });
        expect(JSON.parse(s.store.objects.get("reconcile/checkpoint.json")!).current.invocations).toBe(1);
      } finally {
        s.output.restore();
      }
    }
  });

  it("stops starting repairs when the budget is near: the rest is reported unrepaired (the next pass repairs it)", async () => {
    const s = setup();
    const handler = makeHandler({
      config: { ...config, apply: true, allowDelete: true, timeBudgetSeconds: 10 },
      primary: fakePool(s.primary, s.clock, []),
      // Deleting the extra DR user (repairs start with deletions) takes the rest of the budget.
      dr: fakePool(s.dr, s.clock, [], { deleteMs: 10_000 }),
      ddb,
      store: memoryStore(),
      now: () => s.clock.t,
      logger: createLogger({ logLevel: "INFO" }),
      metrics: recordingMetrics(),
    });
    try {
      const outcomes = await untilComplete(handler);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ error: expect.any(DriftRemainsError) });
      const line = s.lines().find((l) => l.message === "reconcile finished")!;
      expect(line).toMatchObject({ unrepaired: 5, counts: { deleted: 1, repaired: 0, repairFailed: 0 } });
      const sample = line.sample as Array<{ kind: string; error?: string }>;
      expect(sample.map((d) => d.kind).sort()).toEqual(["attributes", "attributes", "missing_in_dr", "missing_in_dr", "missing_in_dr"]);
      expect(sample.every((d) => d.error === "not attempted: the run's time budget ran out; the next run repairs it")).toBe(true);
    } finally {
      s.output.restore();
    }
  });
});
