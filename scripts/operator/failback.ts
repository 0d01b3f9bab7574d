// `npm run failback -- --env <name> --confirm cdr-<env>-primary [--drain-timeout <s>] [--drain-since <time>] [--accept-dr-only-users]`
//
// Moves sign-in back to the primary region once it is healthy again, after checking that nothing
// would be lost by doing so:
//  1. smoke both sides;
//  2. two-way mode (D11): read the failover control item for the failover's time, then wait until
//     every DR-originated record since then shows in the primary pool and the primary replicator's
//     DLQ holds none (failback-drain.ts), or fail after --drain-timeout listing what has not;
//  3. reconcile (report only): users who exist only in DR would be stranded by a failback. One-way
//     mode: they signed up in DR during the failover (extra_in_dr); two-way: DR users the drain did
//     not cover (missing_in_primary, e.g. a sign-up whose record never reached the table). Refuse
//     unless --accept-dr-only-users says they are handled (one-way: copied by hand; two-way:
//     `reconcile --apply` copies them) or accepted;
//  4. drift: the two pools' configuration must match;
//  5. two-way: write the control item `normal` (DR sign-ups close), then check the drain once more
//     for a sign-up that slipped in meanwhile;
//  6. switch sign-in back (ARC routing controls, or the DNS failover's health check);
//  7. record what it did: <workdir>/failback/<time>.json (and the job summary), with the drain's
//     figures; a timed-out drain is recorded too.
import "../lib/quiet-warnings";
import { defineCommand, type Command } from "../lib/command";
import { currentCommit } from "../lib/commit";
import { PipelineError } from "../lib/errors";
import { failedOverSince, readFailoverControl, writeFailoverControl } from "../lib/failover-state";
import { numberFlag, stringFlag } from "../lib/flags";
import { replicationMode } from "../lib/replication-mode";
import { pipelineSession, useSession } from "../lib/pipeline-session";
import { poolIdByName } from "../../handlers/replication/find-pool";
import { prepareStacks, requireTarget } from "../lib/stacks";
import { DrillRecord } from "./drill-record";
import { drift } from "./drift";
import { waitForDrain, type WaitResult } from "./failback-drain";
import { drainChecker } from "./failback-io";
import { reconcile, type ReconcileReport } from "./reconcile";
import { switchSignIn } from "./sign-in-switch";
import { runSmoke } from "./smoke-checks";

/** Runs an operator tool as one step of the failback and returns its exit code and JSON report. */
async function tool<T>(command: Command, argv: string[]): Promise<{ code: number; json: T | undefined; err: string }> {
  let out = "";
  let err = "";
  const code = await command.execute([...argv, "--json"], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false });
  let json: T | undefined;
  try {
    json = out ? (JSON.parse(out) as T) : undefined;
  } catch {
    json = undefined;
  }
  return { code, json, err };
}

export const failback = defineCommand({
  name: "failback",
  kind: "step",
  options: { confirm: { type: "string" }, "accept-dr-only-users": { type: "boolean" }, "drain-timeout": { type: "string" }, "drain-since": { type: "string" } },
  async run({ env, names, values, clients, replication }) {
    const stack = names.stack("primary");
    if (values.confirm !== stack) throw new PipelineError(`failback moves sign-in back to ${env.primaryRegion}; confirm by naming the primary stack: --confirm ${stack}`);
    const mode = replicationMode(env);
    // Validated before anything runs: a typo must not cost a 10-minute wait.
    const drainTimeoutMs = (numberFlag(values, "drain-timeout", { min: 1, max: 24 * 3600, integer: true }) ?? 600) * 1000;
    const sinceFlag = stringFlag(values, "drain-since");
    const sinceOverride = sinceFlag === undefined ? undefined : Date.parse(sinceFlag);
    if (sinceOverride !== undefined && !Number.isFinite(sinceOverride)) throw new PipelineError(`--drain-since must be a time (ISO 8601, e.g. 2026-01-31T10:00:00Z), got ${sinceFlag}`);
    await requireTarget(env, { accountSetup: false });
    // As the failback role: it reads both sides and switches, nothing else.
    useSession(await pipelineSession(env, "failback", env.primaryRegion));
    const drill = new DrillRecord("failback", `Failback of \`${env.name}\` to ${env.primaryRegion}`);
    const say = (step: string, result: string) => drill.say(step, result);

    const smoke = await runSmoke(env, ["primary", "dr"]);
    if (smoke.failed.length) throw new PipelineError(`not failing back: the smoke checks fail:\n${smoke.failed.map((f) => `  - ${f}`).join("\n")}`);
    say("smoke", `all ${smoke.total} checks passed in both regions`);

    const { workDir, dirs, tf } = prepareStacks(env);
    let drain: { waited: WaitResult; since: number; check: () => Promise<WaitResult["status"]> } | undefined;
    if (mode === "two-way") {
      // The DR replica holds the control item as the failover wrote it (the primary's copy may lag).
      const control = await readFailoverControl(clients.dr.dynamodb, names.table);
      const since = sinceOverride ?? failedOverSince(control);
      if (since === undefined) {
        throw new PipelineError(
          `not failing back: the table records no failover (${control ? `control#failover is ${control.state}, by ${control.by}` : "no control#failover item"}), so it is unknown since when DR changes must be waited for. ` +
            `Pass --drain-since <time of the failover> (ISO 8601), or --drain-since 1970-01-01T00:00:00Z to wait for every DR-originated record.`,
        );
      }
      await tf.init(dirs.primary);
      const dlqUrl = (await tf.outputs(dirs.primary)).replicator_dlq_url;
      if (!dlqUrl) throw new PipelineError(`not failing back: the primary stack has no replicator_dlq_url output; apply it in two-way mode first (npm run deploy -- --env ${env.name} --stack primary)`);
      const check = drainChecker({
        records: clients.dr.dynamodb,
        ddb: clients.primary.dynamodb,
        tableName: names.table,
        cognito: clients.primary.cognito,
        poolId: await poolIdByName(clients.primary.cognito, names.userPool("primary"), env.primaryRegion),
        sqs: clients.primary.sqs,
        dlqUrl,
        drRegion: env.drRegion,
        since,
        policy: env.changeCapture.deletionPolicy,
        config: replication,
      });
      const waited = await waitForDrain(check, {
        timeoutMs: drainTimeoutMs,
        intervalMs: DRAIN_POLL_MS,
        onPoll: (st, ms) => console.log(`  drain: ${st.figures.records - st.pending.length}/${st.figures.records} DR-originated record(s) in the primary, DLQ ${JSON.stringify(st.dlq)} (${Math.round(ms / 1000)} s)`),
      });
      drain = { waited, since, check };
      const f = waited.status.figures;
      if (waited.timedOut) {
        say("drain", `timed out after ${Math.round(waited.elapsedMs / 1000)} s: ${waited.status.pending.length} of ${f.records} DR-originated record(s) not in the primary${dlqText(waited.status.dlq)}`);
        drill.write(workDir, { env: env.name, commit: currentCommit(), mode, outcome: "drain timed out; sign-in not switched", failback: figures(drain) });
        throw new PipelineError(
          `not failing back: the DR-originated backlog has not drained into the primary within ${drainTimeoutMs / 1000} s; sign-in stays in DR.\n` +
            `Not drained (canonical ids):\n${waited.status.pending.map((p) => `  - ${p.canonicalId}: ${p.why}`).join("\n") || "  (none: only the DLQ blocks)"}\n` +
            `Primary replicator DLQ: ${Object.keys(waited.status.dlq).length ? Object.entries(waited.status.dlq).map(([r, n]) => `${r} ${n}`).join(", ") : "empty"}\n` +
            `See the README's failback runbook: npm run redrive for the DLQ, npm run reconcile -- --env ${env.name} --apply for missing users, then run the failback again.`,
        );
      }
      say("drain", `${f.users} DR-originated user(s) and ${f.deletions} deletion(s) since ${new Date(since).toISOString()} are in the primary (${Math.round(waited.elapsedMs / 1000)} s, ${waited.polls} check(s)); the primary replicator's DLQ holds none of them`);
    }

    // Native: the secondary takes no writes, so nobody exists only in DR: nothing to reconcile or drain.
    if (env.replication.engine === "native") say("reconcile", "none in native mode: the secondary takes no writes, so no user exists only in DR");
    else await reconcileBeforeFailback();

    async function reconcileBeforeFailback(): Promise<void> {
      const rc = await tool<ReconcileReport>(reconcile, ["--env", env.name]);
      if (!rc.json) throw new PipelineError(`not failing back: reconcile could not run (exit ${rc.code}): ${rc.err.trim()}`);
      const c = rc.json.counts;
      // One-way: every DR-only user (signed up in DR) would be stranded. Two-way: those the drain did not cover.
      const drOnly = mode === "two-way" ? (c.missing_in_primary ?? 0) : c.extra_in_dr;
      if (drOnly > 0 && values["accept-dr-only-users"] !== true) {
        throw new PipelineError(
          mode === "two-way"
            ? `not failing back: ${drOnly} DR user(s) are missing in the primary pool and no DR-originated record since the failover covers them (e.g. a sign-up whose record never reached the table). ` +
                `Copy them with npm run reconcile -- --env ${env.name} --apply, then run again, or pass --accept-dr-only-users to switch anyway.`
            : `not failing back: ${drOnly} user(s) exist only in the DR pool (signed up during the failover; replication is one-way). ` +
                `Copy them to the primary pool, then run again, or pass --accept-dr-only-users to switch anyway. (npm run reconcile -- --env ${env.name} --json lists them.)`,
        );
      }
      say("reconcile", `${c.primaryUsers} primary, ${c.drUsers} DR users: ${c.missing_in_dr} missing in DR, ${drOnly} only in DR${drOnly ? " (accepted)" : ""}, ${c.attributes + c.enabled + c.groups} differing${mode === "two-way" ? `, ${c.same_email ?? 0} same-email pair(s)` : ""}`);
    }

    const diff = await tool<{ differences: unknown[] }>(drift, ["--env", env.name]);
    if (!diff.json) throw new PipelineError(`not failing back: drift could not run (exit ${diff.code}): ${diff.err.trim()}`);
    if (diff.code !== 0) throw new PipelineError(`not failing back: the pools' configuration differs (npm run drift -- --env ${env.name}): ${JSON.stringify(diff.json?.differences ?? diff.err)}`);
    say("drift", "the two pools' configuration matches");

    if (drain) {
      // Close DR sign-ups (in the DR replica, where the pre-sign-up trigger reads it), then look
      // once more: a sign-up between the drain and this write must reach the primary too.
      const closedAt = Date.now();
      await writeFailoverControl(clients.dr.dynamodb, names.table, { state: "normal", changedAt: closedAt, by: "failback", failedOverAt: drain.since });
      say("DR sign-ups", `closed: control#failover normal at ${new Date(closedAt).toISOString()} in the ${env.drRegion} replica`);
      const last = await waitForDrain(drain.check, { timeoutMs: drainTimeoutMs, intervalMs: DRAIN_POLL_MS });
      drain.waited = { ...last, elapsedMs: drain.waited.elapsedMs + last.elapsedMs, polls: drain.waited.polls + last.polls };
      if (last.timedOut) {
        drill.write(workDir, { env: env.name, commit: currentCommit(), mode, outcome: "drain after closing sign-ups timed out; sign-in not switched", failback: figures(drain) });
        throw new PipelineError(`not failing back: after closing DR sign-ups, ${last.status.pending.map((p) => p.canonicalId).join(", ") || "the DLQ"} did not drain within ${drainTimeoutMs / 1000} s${dlqText(last.status.dlq)}; DR sign-ups stay closed, sign-in stays in DR. Run the failback again once they have.`);
      }
    }

    await tf.init(dirs.dr);
    const outputs = await tf.outputs(dirs.dr);
    const switched = await switchSignIn(env, "primary", outputs.primary_health_check_id);
    say("sign-in", switched.detail);

    drill.write(workDir, { env: env.name, commit: currentCommit(), mode, switch: switched, ...(drain ? { failback: figures(drain) } : {}) });
    return 0;
  },
});

/** Pause between drain checks: the replicator applies a record within seconds of its write. */
const DRAIN_POLL_MS = 5_000;

const dlqText = (dlq: Record<string, number>) => (Object.keys(dlq).length ? `; primary replicator DLQ: ${Object.entries(dlq).map(([r, n]) => `${r} ${n}`).join(", ")}` : "");

/** The drill record's failback figures (canonical ids only, never emails). */
function figures(d: { waited: WaitResult; since: number }) {
  const s = d.waited.status;
  return {
    failedOverAt: new Date(d.since).toISOString(),
    drOriginatedUsers: s.figures.users,
    drOriginatedDeletions: s.figures.deletions,
    drOriginatedChanges: s.figures.records,
    drainMs: d.waited.elapsedMs,
    drainChecks: d.waited.polls,
    notDrained: s.pending.map((p) => p.canonicalId),
    dlq: s.dlq,
  };
}


if (require.main === module) failback.main();
