// The game day's failback phase (two-way mode): while the primary region is cut off, the DR pool
// is the directory. People sign up there (only once the failover has opened DR sign-ups), and
// support changes, disables and deletes users there, both users born in DR and copies of primary
// users. After the restore every one of those changes must reach the primary pool (drain time),
// each DR-born user must sign in to the primary pool with EMAIL_OTP and keep its canonical id (its
// DR sub), nothing is lost or duplicated, and nothing is parked. Last, a same-email conflict is
// planted (one email signing up in both regions at once) and must be reported, never merged.
//
// `duringOutage` runs inside the outage, `afterRestore` once the primary is back; gameday-run.ts
// calls both. Every check lands in the report's `failback` section; nothing here throws for a
// failed check.
import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import type { Sandbox } from "@cognito-dr/sandbox";
import { CANONICAL_ID_ATTRIBUTE } from "../../handlers/contract";
import { names } from "../../stacks/names";
import type { RegionClients } from "../lib/clients";
import { readDlq } from "../lib/dlq";
import { writeFailoverControl } from "../lib/failover-state";
import type { LocalDeployment } from "../lib/local-deploy";
import { mapLimit } from "../lib/map-limit";
import type { FailbackReport } from "./gameday-report";
import { getDrUser, listByEmailPrefix, signUpAndConfirm, type ConfirmedUser, type DrUser } from "./population";

const CANONICAL = `custom:${CANONICAL_ID_ATTRIBUTE}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** What a user must look like in the primary pool once the DR changes have drained. */
interface Expected {
  email: string;
  /** The canonical id it must carry (its primary sub, or for DR-born users the DR sub). */
  canonicalId: string;
  bornIn: "primary" | "dr";
  exists: boolean;
  enabled: boolean;
  givenName?: string;
}

export interface FailbackContext {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  primary: RegionClients;
  dr: RegionClients;
  tag: string;
  log: (line: string) => void;
  /** EMAIL_OTP sign-in (gameday-run.ts) and the canonical id the pool's pre-token trigger returned. */
  signIn(cognito: CognitoIdentityProviderClient, clientId: string, email: string): Promise<unknown>;
  triggerCanonicalId(poolId: string, email: string): Promise<string | undefined>;
}

export interface DrActivity {
  expected: Expected[];
  usersMadeInDr: number;
  changesMadeInDr: number;
  signUpRefusedBeforeFailover: boolean;
  errors: string[];
}

async function refused(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (err) {
    return (err as Error).name === "UserLambdaValidationException";
  }
}

/**
 * During the outage: the failover opens DR sign-ups (as `npm run failover` does in two-way mode),
 * `drSignUps` users sign up to the DR pool, and support changes users there: for DR-born users and
 * for copies of primary users (`primaryUsers`, already in DR), one attribute change, one disable and
 * one delete each.
 */
export async function duringOutage(ctx: FailbackContext, primaryUsers: ConfirmedUser[], drSignUps: number): Promise<DrActivity> {
  const { deployment, dr } = ctx;
  const drPool = deployment.dr.user_pool_id;
  const drClient = deployment.dr.app_client_id;
  const errors: string[] = [];
  const person = (i: number) => ({ email: `dr-${ctx.tag}-${i}@example.com`, givenName: `DrGiven${i}`, familyName: `DrFamily-${ctx.tag}` });

  // The DR pool takes no sign-ups until the failover opens them.
  const signUpRefusedBeforeFailover = await refused(signUpAndConfirm(dr.cognito, drClient, person(999)));
  await writeFailoverControl(dr.dynamodb, names(deployment.env).table, { state: "failed-over", changedAt: Date.now(), by: "gameday" });
  ctx.log("failover: DR sign-ups opened (the control item the failover step writes)");

  const born: ConfirmedUser[] = [];
  for (let i = 0; i < drSignUps; i++) {
    try {
      born.push(await signUpAndConfirm(dr.cognito, drClient, person(i)));
    } catch (err) {
      errors.push(`DR sign-up ${i}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  const expected: Expected[] = born.map((u) => ({ email: u.email, canonicalId: u.sub, bornIn: "dr", exists: true, enabled: true, givenName: u.givenName }));
  const copies: Expected[] = primaryUsers.map((u) => ({ email: u.email, canonicalId: u.sub, bornIn: "primary", exists: true, enabled: true, givenName: u.givenName }));

  // Support's changes in DR: [change, disable, delete] on DR-born users and on primary users' copies.
  let changes = 0;
  const base = { UserPoolId: drPool };
  for (const group of [expected, copies]) {
    const [changed, disabled, deleted] = group;
    try {
      if (changed) {
        changed.givenName = `Changed-${changed.givenName}`;
        await dr.cognito.send(new AdminUpdateUserAttributesCommand({ ...base, Username: changed.email, UserAttributes: [{ Name: "given_name", Value: changed.givenName }] }));
        changes++;
      }
      if (disabled) {
        disabled.enabled = false;
        await dr.cognito.send(new AdminDisableUserCommand({ ...base, Username: disabled.email }));
        changes++;
      }
      if (deleted) {
        deleted.exists = false;
        await dr.cognito.send(new AdminDeleteUserCommand({ ...base, Username: deleted.email }));
        changes++;
      }
    } catch (err) {
      errors.push(`change in DR: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  ctx.log(`in DR during the outage: ${born.length} sign-ups, ${changes} changes by support (attributes, disable, delete)`);
  return { expected: [...expected, ...copies.slice(0, 3)], usersMadeInDr: born.length, changesMadeInDr: changes, signUpRefusedBeforeFailover, errors };
}

function matches(want: Expected, got: DrUser | undefined): boolean {
  if (!want.exists) return got === undefined;
  if (!got || got.status !== "CONFIRMED" || got.enabled !== want.enabled) return false;
  // A primary-born user's own record has no attribute in the primary pool (its sub is its canonical id).
  const canonical = got.attributes[CANONICAL] ?? got.attributes.sub;
  return canonical === want.canonicalId && (want.givenName === undefined || got.attributes.given_name === want.givenName);
}

export interface Drain {
  /** Restore → every DR-made user and change shows in the primary pool (ms); undefined: not by the timeout. */
  drainMs?: number;
  /** Emails of the DR-made users or changes not in the primary by the timeout. */
  lost: string[];
}

/**
 * From the restore on, polls the primary pool until every DR change shows there (or `timeoutMs`
 * passes). Started at the restore, alongside the DR-side checks, so `drainMs` is the drain's own time.
 */
export async function drainToPrimary(ctx: FailbackContext, activity: DrActivity, restoredAt: number, timeoutMs: number): Promise<Drain> {
  const { deployment, primary } = ctx;
  const done = new Set<string>();
  const deadline = restoredAt + timeoutMs;
  for (;;) {
    await mapLimit(activity.expected.filter((e) => !done.has(e.email)), 10, async (e) => {
      if (matches(e, await getDrUser(primary.cognito, deployment.primary.user_pool_id, e.email).catch(() => undefined))) done.add(e.email);
    });
    if (done.size === activity.expected.length) return { drainMs: Date.now() - restoredAt, lost: [] };
    if (Date.now() > deadline) return { lost: activity.expected.filter((e) => !done.has(e.email)).map((e) => e.email) };
    await sleep(250);
  }
}

/**
 * After the drain: DR-born users sign in to the primary with their canonical id, nothing
 * duplicated or parked; then a planted same-email conflict is reported, not merged, and the
 * failback closes DR sign-ups again.
 */
export async function afterRestore(ctx: FailbackContext, activity: DrActivity, drain: Drain): Promise<FailbackReport> {
  const { deployment, primary, dr } = ctx;
  const primaryPool = deployment.primary.user_pool_id;
  const failures: string[] = [...activity.errors];
  const { drainMs, lost } = drain;
  ctx.log(drainMs === undefined ? `DR changes did not reach the primary: ${lost.length} not drained` : `every DR change reached the primary ${drainMs} ms after the restore`);

  // DR-born users, enabled and kept, sign in to the primary pool and keep their canonical id.
  const signers = activity.expected.filter((e) => e.bornIn === "dr" && e.exists && e.enabled);
  let signedIn = 0;
  let canonicalIdOk = 0;
  for (const e of signers) {
    try {
      await ctx.signIn(primary.cognito, deployment.primary.app_client_id, e.email);
      signedIn++;
      if ((await ctx.triggerCanonicalId(primaryPool, e.email)) === e.canonicalId) canonicalIdOk++;
    } catch (err) {
      failures.push(`primary sign-in of a DR-born user: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }

  const emails = await listByEmailPrefix(primary.cognito, primaryPool, `dr-${ctx.tag}-`);
  const duplicated = emails.length - new Set(emails).size;
  const parkedPrimary = await readDlq(primary.sqs, deployment.primary.replicator_dlq_url).catch(() => []);
  const parkedDr = await readDlq(dr.sqs, deployment.dr.replicator_dlq_url).catch(() => []);
  const parked = parkedPrimary.length + parkedDr.length;

  const conflicts = await plantConflict(ctx);

  // The failback closes DR sign-ups once the backlog has drained (as `npm run failback` does).
  await writeFailoverControl(dr.dynamodb, names(deployment.env).table, { state: "normal", changedAt: Date.now(), by: "gameday" });
  const after = { email: `dr-${ctx.tag}-after@example.com`, givenName: "After", familyName: `DrFamily-${ctx.tag}` };
  const signUpRefusedAfterFailback = await refused(signUpAndConfirm(dr.cognito, deployment.dr.app_client_id, after));

  if (!activity.signUpRefusedBeforeFailover) failures.push("the DR pool took a self sign-up before the failover opened it");
  if (!signUpRefusedAfterFailback) failures.push("the DR pool took a self sign-up after the failback closed it");
  if (activity.usersMadeInDr === 0) failures.push("no user signed up in DR during the outage: nothing was tested");
  if (lost.length > 0) failures.push(`${lost.length} DR-made users or changes never reached the primary`);
  if (signedIn < signers.length) failures.push(`primary sign-in of DR-born users: ${signedIn}/${signers.length}`);
  if (canonicalIdOk < signers.length) failures.push(`canonical id kept in ${canonicalIdOk}/${signers.length} primary sign-ins of DR-born users`);
  if (duplicated > 0) failures.push(`${duplicated} duplicate DR-born users in the primary`);
  if (parked > 0) failures.push(`${parked} records parked (primary replicator ${parkedPrimary.length}, DR replicator ${parkedDr.length})`);
  if (!conflicts.detected) failures.push("the planted same-email conflict was not seen in both pools with two canonical ids");
  if (conflicts.merged) failures.push("the planted same-email conflict was merged (one pool's user carries the other's canonical id)");
  return {
    usersMadeInDr: activity.usersMadeInDr,
    changesMadeInDr: activity.changesMadeInDr,
    drainMs,
    lost,
    duplicated,
    parked,
    signIn: { attempted: signers.length, succeeded: signedIn, canonicalIdOk },
    signUpGate: { refusedBeforeFailover: activity.signUpRefusedBeforeFailover, refusedAfterFailback: signUpRefusedAfterFailback },
    conflicts,
    failures,
  };
}

/**
 * A split: one email signs up in both regions before either copy can cross (a long replication
 * delay stands in for the cut link). Both regions keep their own user under their own canonical id;
 * the replicators see the other region's record for an email another live canonical id holds and
 * retry, then park it as CONFLICT_SAME_EMAIL; nothing merges. Seen from the pools: two users, one
 * per region, each carrying its own canonical id, for as long as the game day watches.
 */
async function plantConflict(ctx: FailbackContext): Promise<FailbackReport["conflicts"]> {
  const { deployment, primary, dr, sandbox } = ctx;
  const email = `conflict-${ctx.tag}@example.com`;
  const who = { email, givenName: "Split", familyName: `Conflict-${ctx.tag}` };
  const { delayMs } = await sandbox.admin.replication();
  await sandbox.admin.setReplicationDelay(4_000);
  const [p, d] = await Promise.allSettled([signUpAndConfirm(primary.cognito, deployment.primary.app_client_id, who), signUpAndConfirm(dr.cognito, deployment.dr.app_client_id, who)]);
  if (p.status !== "fulfilled" || d.status !== "fulfilled") {
    ctx.log(`planted conflict: a sign-up failed (${[p, d].map((r) => (r.status === "rejected" ? (r.reason as Error).name : "ok")).join(", ")})`);
    return { planted: 1, detected: false, merged: false };
  }
  // Long enough for both records to cross and both replicators to try them.
  await sleep(8_000);
  await sandbox.admin.setReplicationDelay(delayMs);
  const inPrimary = await getDrUser(primary.cognito, deployment.primary.user_pool_id, email);
  const inDr = await getDrUser(dr.cognito, deployment.dr.user_pool_id, email);
  const idOf = (u: DrUser | undefined) => u?.attributes[CANONICAL] ?? u?.attributes.sub;
  const detected = idOf(inPrimary) === p.value.sub && idOf(inDr) === d.value.sub;
  const merged = idOf(inPrimary) === d.value.sub || idOf(inDr) === p.value.sub;
  ctx.log(`planted conflict: one email signed up in both regions; ${detected ? "both kept with their own canonical id" : "NOT kept apart"}${merged ? ", MERGED" : ""}`);
  return { planted: 1, detected, merged, canonicalIds: { primary: p.value.sub, dr: d.value.sub } };
}
