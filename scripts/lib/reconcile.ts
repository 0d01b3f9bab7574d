// reconcile: lists both pools (rate-limited), joins users by canonical id and
// reports every kind of drift; --apply repairs through the shared upsert (the same
// code the replicator runs), --allow-delete also deletes DR users the primary no
// longer has. `reconcilePools` is the core, free of CLI concerns, so a scheduled
// Lambda can run the same code.
import { AdminDeleteUserCommand, type CognitoIdentityProviderClient, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { performance } from "node:perf_hooks";
import { attributeMap } from "../../handlers/shared/attributes";
import { classifyAwsError } from "../../handlers/shared/classify";
import type { ReplicatedUser } from "../../handlers/shared/record";
import type { ReplicationConfig } from "../../handlers/shared/replication-config";
import { planUser, upsertDrUser } from "../../handlers/shared/upsert";
import { names } from "../../stacks/names";
import { replicationConfigOf } from "./backfill";
import {
  COMMON_HELP,
  EXIT,
  EXIT_CODES_HELP,
  numberFlag,
  parseFlags,
  Progress,
  RATE_HELP,
  RATE_OPTIONS,
  rateLimits,
  rateLines,
  RegionLimiter,
  rememberEnvironment,
  resolveEnvironment,
  round,
  stringFlag,
  table,
  type CliIo,
  type RateReport,
} from "./cli";
import { bothRegions } from "./clients";
import { mapLimit } from "./population";
import { findPool } from "./target";
import { drCanonicalId, drStateFromUser, groupMembership, listAllUsers, primaryCanonicalId, recordFromUser, replicable } from "./users";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

export type DriftKind = "missing_in_dr" | "extra_in_dr" | "attributes" | "enabled" | "groups" | "invalid";
export const DRIFT_KINDS: readonly DriftKind[] = ["missing_in_dr", "extra_in_dr", "attributes", "enabled", "groups", "invalid"];

export interface DriftItem {
  kind: DriftKind;
  canonicalId?: string;
  primaryUsername?: string;
  drUsername?: string;
  /** Value-free: attribute names, group names, enabled flags. */
  detail: string;
  repaired?: boolean;
  error?: string;
}

export interface ReconcileDeps {
  /** Rate-limited clients. */
  primary: Cognito;
  dr: Cognito;
  primaryPoolId: string;
  drPoolId: string;
  primaryRegion: string;
  config: ReplicationConfig;
  ttlDays: number;
  now?: () => number;
}

export interface ReconcileOptions {
  apply?: boolean;
  allowDelete?: boolean;
  /** ListUsers filter applied to both pools. */
  filter?: string;
  concurrency?: number;
  onListed?: (primary: number, dr: number) => void;
  onRepaired?: (done: number, total: number) => void;
}

export interface ReconcileResult {
  counts: {
    primaryUsers: number;
    drUsers: number;
    matched: number;
    inSync: number;
  } & Record<DriftKind, number> & { repaired: number; deleted: number; repairFailed: number };
  drift: DriftItem[];
  /** Drift still there after this run (everything when not applying). */
  unrepaired: number;
  listSeconds: number;
  seconds: number;
}

function describePlan(plan: ReturnType<typeof planUser>): Array<{ kind: DriftKind; detail: string }> {
  const out: Array<{ kind: DriftKind; detail: string }> = [];
  const attrs = [...plan.update.map((a) => a.Name!), ...plan.delete.map((n) => `-${n}`)];
  if (attrs.length > 0) out.push({ kind: "attributes", detail: attrs.join(",") });
  if (plan.enabled !== undefined) out.push({ kind: "enabled", detail: plan.enabled ? "enabled in primary, disabled in DR" : "disabled in primary, enabled in DR" });
  if (plan.addGroups.length + plan.removeGroups.length > 0) out.push({ kind: "groups", detail: [...plan.addGroups.map((g) => `+${g}`), ...plan.removeGroups.map((g) => `-${g}`)].join(",") });
  return out;
}

export async function reconcilePools(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = performance.now();
  const now = (deps.now ?? Date.now)();
  let pCount = 0;
  let dCount = 0;
  const [pUsers, dUsers, pGroups, dGroups] = await Promise.all([
    listAllUsers(deps.primary, deps.primaryPoolId, { filter: opts.filter, onPage: (c) => opts.onListed?.((pCount = c), dCount) }),
    listAllUsers(deps.dr, deps.drPoolId, { filter: opts.filter, onPage: (c) => opts.onListed?.(pCount, (dCount = c)) }),
    groupMembership(deps.primary, deps.primaryPoolId),
    groupMembership(deps.dr, deps.drPoolId),
  ]);
  const listSeconds = (performance.now() - started) / 1000;

  const drById = new Map<string, UserType>();
  const drift: DriftItem[] = [];
  for (const u of dUsers) {
    const id = drCanonicalId(u, deps.config);
    if (id) drById.set(id, u);
  }
  const primaryIds = new Set<string>();
  const repairs = new Map<string, { record: ReplicatedUser; drUser?: UserType; items: DriftItem[] }>();
  let matched = 0;
  let inSync = 0;

  for (const u of pUsers) {
    const id = primaryCanonicalId(u, deps.config);
    if (id) primaryIds.add(id);
    if (!replicable(u)) continue;
    let record: ReplicatedUser;
    try {
      record = recordFromUser(u, pGroups.get(u.Username ?? "") ?? [], { region: deps.primaryRegion, poolId: deps.primaryPoolId, config: deps.config, ttlDays: deps.ttlDays, now });
    } catch (err) {
      drift.push({ kind: "invalid", canonicalId: id, primaryUsername: u.Username, detail: classifyAwsError(err).message });
      continue;
    }
    const dr = drById.get(record.canonicalId);
    if (!dr) {
      const item: DriftItem = { kind: "missing_in_dr", canonicalId: record.canonicalId, primaryUsername: u.Username, detail: "no DR user with this canonical id" };
      drift.push(item);
      repairs.set(record.canonicalId, { record, items: [item] });
      continue;
    }
    matched++;
    let found: Array<{ kind: DriftKind; detail: string }>;
    try {
      found = describePlan(planUser(record, drStateFromUser(dr, dGroups.get(dr.Username ?? "") ?? []), deps.config));
    } catch (err) {
      drift.push({ kind: "invalid", canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: dr.Username, detail: classifyAwsError(err).message });
      continue;
    }
    if (found.length === 0) {
      inSync++;
      continue;
    }
    const items = found.map((f) => ({ ...f, canonicalId: record.canonicalId, primaryUsername: u.Username, drUsername: dr.Username }));
    drift.push(...items);
    repairs.set(record.canonicalId, { record, drUser: dr, items });
  }

  const extras: Array<{ user: UserType; item: DriftItem }> = [];
  for (const u of dUsers) {
    const id = drCanonicalId(u, deps.config);
    if (id && primaryIds.has(id)) continue;
    const item: DriftItem = { kind: "extra_in_dr", canonicalId: id, drUsername: u.Username, detail: id ? "canonical id not in the primary pool" : "DR user without a canonical id" };
    drift.push(item);
    extras.push({ user: u, item });
  }

  let repaired = 0;
  let deleted = 0;
  let repairFailed = 0;
  if (opts.apply) {
    const jobs = [...repairs.values()];
    const total = jobs.length + (opts.allowDelete ? extras.length : 0);
    let done = 0;
    await mapLimit(jobs, opts.concurrency ?? 8, async ({ record, drUser, items }) => {
      const previousEmail = drUser ? attributeMap(drUser.Attributes).email : undefined;
      try {
        await upsertDrUser({ cognito: deps.dr, userPoolId: deps.drPoolId, config: deps.config }, record, { previousEmail });
        for (const i of items) i.repaired = true;
        repaired++;
      } catch (err) {
        const e = classifyAwsError(err);
        for (const i of items) {
          i.repaired = false;
          i.error = `${e.reason}: ${e.message}`;
        }
        repairFailed++;
      }
      opts.onRepaired?.(++done, total);
    });
    if (opts.allowDelete) {
      await mapLimit(extras, opts.concurrency ?? 8, async ({ user, item }) => {
        try {
          await deps.dr.send(new AdminDeleteUserCommand({ UserPoolId: deps.drPoolId, Username: user.Username! }));
          item.repaired = true;
          deleted++;
        } catch (err) {
          if ((err as { name?: string }).name === "UserNotFoundException") {
            item.repaired = true;
            deleted++;
          } else {
            item.repaired = false;
            item.error = classifyAwsError(err).message;
            repairFailed++;
          }
        }
        opts.onRepaired?.(++done, total);
      });
    }
  }

  const counts = {
    primaryUsers: pUsers.length,
    drUsers: dUsers.length,
    matched,
    inSync,
    ...(Object.fromEntries(DRIFT_KINDS.map((k) => [k, drift.filter((d) => d.kind === k).length])) as Record<DriftKind, number>),
    repaired,
    deleted,
    repairFailed,
  };
  return { counts, drift, unrepaired: drift.filter((d) => !d.repaired).length, listSeconds, seconds: (performance.now() - started) / 1000 };
}

export const RECONCILE_HELP = `Usage: npm run reconcile -- --env <name> [options]

Lists the primary and the DR pool, joins users by canonical id (DR: custom:canonical_id; primary:
custom:canonical_id when set, else sub) and reports:
  missing_in_dr   a confirmed primary user with no DR user
  extra_in_dr     a DR user whose canonical id is not in the primary pool (or has none)
  attributes      replicated attributes that differ (names only, never values)
  enabled         enabled/disabled differs
  groups          group membership differs (+in primary only, -in DR only)
  invalid         a primary user that cannot be replicated (e.g. no email)
Group membership is read with one ListUsersInGroup walk per group (UserList quota, 60 members a
call) rather than one AdminListGroupsForUser per user (UserRead quota).

Options:
  --apply                  repair: missing users, attributes, enabled flags and groups through the
                           replicator's upsert
  --allow-delete           with --apply, also delete extra_in_dr users from the DR pool
  --filter <expr>          ListUsers filter applied to both pools, e.g. 'email ^= "user-"'
  --concurrency <n>        repairs in flight at once (default 8)
  --primary-pool <name|id> default: the environment's primary pool name
  --dr-pool <name|id>      default: the environment's DR pool name
${RATE_HELP}
${COMMON_HELP}

${EXIT_CODES_HELP}
  reconcile exits 1 when drift was found and is not (all) repaired: always without --apply, and with
  --apply when extra DR users remain because --allow-delete was not given.

Examples:
  npm run reconcile -- --env local
  npm run reconcile -- --env prod --json > drift.json
  npm run reconcile -- --env prod --apply --allow-delete --progress`;

export const RECONCILE_OPTIONS = {
  ...RATE_OPTIONS,
  apply: { type: "boolean", default: false },
  "allow-delete": { type: "boolean", default: false },
  filter: { type: "string" },
  concurrency: { type: "string" },
  "primary-pool": { type: "string" },
  "dr-pool": { type: "string" },
} as const;

export interface ReconcileReport extends ReconcileResult {
  tool: "reconcile";
  env: string;
  apply: boolean;
  allowDelete: boolean;
  primaryPool: { id: string; region: string };
  drPool: { id: string; region: string };
  throughput: { usersPerSecond: number; boundUsersPerSecond: number; fractionOfBound: number; bound: string };
  rates: RateReport[];
}

export async function reconcileMain(argv: string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, RECONCILE_OPTIONS);
  if (values.help) {
    io.stdout(`${RECONCILE_HELP}\n`);
    return EXIT.OK;
  }
  const env = rememberEnvironment(resolveEnvironment(values));
  const rates = rateLimits(values);
  const concurrency = numberFlag(values, "concurrency", { min: 1, max: 256, integer: true }) ?? 8;
  const apply = values.apply === true;
  const allowDelete = values["allow-delete"] === true;
  const n = names(env);
  const clients = bothRegions(env);
  const pl = new RegionLimiter(env.primaryRegion, rates);
  const dl = new RegionLimiter(env.drRegion, rates);
  const primary = pl.wrap(clients.primary.cognito);
  const dr = dl.wrap(clients.dr.cognito);
  const [pPool, dPool] = await Promise.all([
    findPool(primary, stringFlag(values, "primary-pool") ?? n.userPool("primary"), env.primaryRegion, "primary"),
    findPool(dr, stringFlag(values, "dr-pool") ?? n.userPool("dr"), env.drRegion, "dr"),
  ]);
  const listing = Progress.for("listing", io, values);
  const repairing = Progress.for("repairing", io, values);
  const result = await reconcilePools(
    { primary, dr, primaryPoolId: pPool.id, drPoolId: dPool.id, primaryRegion: env.primaryRegion, config: replicationConfigOf(env), ttlDays: env.replication.recordTtlDays },
    {
      apply,
      allowDelete,
      filter: stringFlag(values, "filter"),
      concurrency,
      onListed: (p, d) => listing.update(p + d, `(primary ${p}, DR ${d})`),
      onRepaired: (done, total) => {
        repairing.total = total;
        repairing.update(done);
      },
    },
  );
  listing.finish(`(primary ${result.counts.primaryUsers}, DR ${result.counts.drUsers})`);
  if (apply) repairing.finish();
  const users = Math.max(result.counts.primaryUsers, result.counts.drUsers);
  const usersPerSecond = result.listSeconds > 0 ? users / result.listSeconds : 0;
  const bound = rates.UserList * 60;
  const report: ReconcileReport = {
    tool: "reconcile",
    env: env.name,
    apply,
    allowDelete,
    primaryPool: { id: pPool.id, region: env.primaryRegion },
    drPool: { id: dPool.id, region: env.drRegion },
    ...result,
    listSeconds: round(result.listSeconds, 2),
    seconds: round(result.seconds, 2),
    throughput: {
      usersPerSecond: round(usersPerSecond),
      boundUsersPerSecond: bound,
      fractionOfBound: round(usersPerSecond / bound, 3),
      bound: "ListUsers pages/s (--list-rate) x 60 users, both pools listed in parallel; listing phase only",
    },
    rates: [...pl.report(), ...dl.report()],
  };
  io.stdout(`${values.json ? JSON.stringify(report, null, 2) : humanReport(report)}\n`);
  if (result.counts.repairFailed > 0) return EXIT.PARTIAL;
  return result.unrepaired > 0 ? EXIT.DRIFT : EXIT.OK;
}

const LABEL: Record<DriftKind, string> = {
  missing_in_dr: "missing in DR",
  extra_in_dr: "extra in DR",
  attributes: "attribute differences",
  enabled: "enabled/disabled differences",
  groups: "group differences",
  invalid: "not replicable (invalid)",
};

function humanReport(r: ReconcileReport): string {
  const lines = [
    `reconcile ${r.primaryPool.id} (${r.primaryPool.region}) -> ${r.drPool.id} (${r.drPool.region})`,
    `primary users ${r.counts.primaryUsers}, DR users ${r.counts.drUsers}, matched ${r.counts.matched}, in sync ${r.counts.inSync}`,
    table([
      ["drift", "found", ...(r.apply ? ["repaired"] : [])],
      ...DRIFT_KINDS.map((k) => [LABEL[k], r.counts[k], ...(r.apply ? [r.drift.filter((d) => d.kind === k && d.repaired).length] : [])]),
    ]),
  ];
  const open = r.drift.filter((d) => !d.repaired);
  if (open.length > 0) {
    lines.push(`${r.apply ? "not repaired" : "drift"} (${open.length}${open.length > 25 ? ", first 25; --json for all" : ""}):`);
    for (const d of open.slice(0, 25)) {
      lines.push(`  ${d.kind.padEnd(13)} ${d.canonicalId ?? "-"}  ${d.primaryUsername ?? d.drUsername ?? ""}  ${d.detail}${d.error ? `  (${d.error})` : ""}`);
    }
    if (!r.apply) lines.push("run again with --apply to repair (and --allow-delete to delete extra DR users)");
    else if (r.counts.extra_in_dr > 0 && !r.allowDelete) lines.push("extra DR users are kept: pass --allow-delete to delete them");
  } else if (r.drift.length === 0) lines.push("no drift");
  else lines.push("all drift repaired");
  lines.push(
    `${r.seconds} s (listing ${r.listSeconds} s): ${r.throughput.usersPerSecond} users/s of a ${r.throughput.boundUsersPerSecond}/s bound (${Math.round(r.throughput.fractionOfBound * 100)}%)`,
    rateLines(r.rates),
  );
  return lines.join("\n");
}
