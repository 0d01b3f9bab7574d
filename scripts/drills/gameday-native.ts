// The game day in native mode (Cognito's multi-Region replication): the same timeline as
// gameday-run.ts, with what this mode promises and refuses. Users sign up continuously in the
// primary; the primary Region is cut off; every user confirmed at least the replica lag plus
// `safetyMarginMs` before the cut must be in the secondary with the same sub, and a sample signs in
// there (the DR Region's own pre-token trigger puts the sub in the token as the canonical id); each
// token verifies against the JWKS of both Regions (read before the cut, as services cache them)
// with the issuer IssuerConfiguration names. A
// sign-up and an administrator's create at the secondary are refused (OperationNotEnabledException):
// the mode's documented limit, reported as such, not as lost data. Failback takes no data step:
// once the primary is back, sign-ups go on and reach the secondary; nothing was made in DR.
//
// `runNativeGameDay` never throws for a failed check; it returns the report.
import { AdminCreateUserCommand, CognitoIdentityProviderClient, SignUpCommand } from "@aws-sdk/client-cognito-identity-provider";
import { JwtRsaVerifier } from "aws-jwt-verify";
import type { Jwks } from "aws-jwt-verify/jwk";
import { randomUUID } from "node:crypto";
import { regionalEndpoint, type Sandbox } from "@cognito-dr/sandbox";
import { CANONICAL_ID_CLAIM } from "../../handlers/contract";
import { sandboxCredentials } from "../lib/clients";
import type { LocalDeployment } from "../lib/local-deploy";
import { mapLimit } from "../lib/map-limit";
import { DEFAULT_GAMEDAY_OPTIONS, type GameDayOptions } from "./gameday-report";
import { signInWithEmailOtp, triggerCanonicalIdOf } from "./gameday-run";
import { getDrUser, signUpAndConfirm, type ConfirmedUser } from "./population";

/** Where the secondary's limits are documented. */
const LIMITS_PAGE = "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html";

export interface NativeGameDayReport {
  mode: "native";
  startedAt: string;
  finishedAt: string;
  primaryRegion: string;
  drRegion: string;
  settings: Omit<GameDayOptions, "log" | "drSignUps" | "replicationDelayMs"> & { replicaLagMs: number };
  population: { attempts: number; confirmed: number; failedDuringOutage: number };
  cut: { at: string; eligible: number };
  /** Eligible users not in the secondary (same sub, CONFIRMED, enabled) by the end of the wait: the pass/fail number. */
  rpo: { usersMissing: number; missing: string[] };
  rto: { ms?: number; firstSignInMs?: number };
  signIn: { attempted: number; succeeded: number; sameSub: number; canonicalIdOk: number; verifiedInBothRegions: number; issuer?: string; primaryRefusedDuringOutage: boolean; errors: string[] };
  /** What the secondary refuses by design, each with the error it answered. */
  documentedLimits: Array<{ operation: string; refused: boolean; error?: string; source: string }>;
  failback: { dataSteps: 0; signUpsAfterRestore: number; arrived: number; missing: string[] };
  pass: boolean;
  failures: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;

export async function runNativeGameDay(sandbox: Sandbox, deployment: LocalDeployment, overrides: Partial<GameDayOptions> = {}): Promise<NativeGameDayReport> {
  const o: GameDayOptions = { ...DEFAULT_GAMEDAY_OPTIONS, ...overrides };
  const { env } = deployment;
  const started = Date.now();
  const failures: string[] = [];
  const poolId = deployment.primary.user_pool_id!;
  const clientId = deployment.primary.app_client_id!;
  const tag = `gn${randomUUID().slice(0, 6)}`;
  const expectedIssuer = `https://issuer-cognito-idp.${env.primaryRegion}.amazonaws.com/${poolId}`;
  // The replica's lag in the sandbox (AWS documents none: "eventually consistent"), as --delay-ms sets the custom engine's.
  const replicaLagMs = o.replicationDelayMs;
  await sandbox.admin.setCognitoReplicaLag(replicaLagMs);
  // The primary and the secondary share the pool and client ids: each client is held to its Region's endpoint.
  const at = (region: string, maxAttempts: number) => new CognitoIdentityProviderClient({ region, endpoint: regionalEndpoint(sandbox.endpoint, region), credentials: sandboxCredentials({}), maxAttempts });
  const primary = at(env.primaryRegion, 1);
  const dr = at(env.drRegion, 6);
  await sandbox.admin.clearOutbox();

  // 1. continuous sign-ups in the primary
  const confirmed: ConfirmedUser[] = [];
  let attempts = 0;
  let failedDuringOutage = 0;
  let down = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const i = attempts++;
      try {
        confirmed.push(await signUpAndConfirm(primary, clientId, { email: `user-${tag}-${i}@example.com`, givenName: `Given${i}`, familyName: `Family-${tag}` }));
      } catch {
        if (down) failedDuringOutage++;
        await sleep(200);
      }
      await sleep(o.signupPauseMs);
    }
  };
  const workers = Promise.all(Array.from({ length: o.signupConcurrency }, worker));
  while (confirmed.length === 0 && Date.now() < started + 60_000) await sleep(100);
  const primaryToken = confirmed[0] ? await signInWithEmailOtp(primary, sandbox, clientId, confirmed[0].email).catch(() => undefined) : undefined;
  await sleep(Math.min(...confirmed.map((u) => u.confirmedAt), Date.now()) + o.warmupMs - Date.now());

  const jwks = await jwksOfBothRegions(sandbox, env, poolId).catch((e: Error) => {
    failures.push(`JWKS before the cut: ${e.message}`);
    return undefined;
  });

  // 2. the cut
  const cutAt = Date.now();
  const outage = await sandbox.admin.regionOutage(env.primaryRegion);
  down = true;
  o.log(`cut: ${env.primaryRegion} is down (every service)`);
  const eligible = confirmed.filter((u) => u.confirmedAt <= cutAt - replicaLagMs - o.safetyMarginMs);
  o.log(`${eligible.length} users confirmed ≥ ${replicaLagMs + o.safetyMarginMs} ms before the cut (replica lag ${replicaLagMs} ms + margin) must be in the secondary`);

  // 3. RPO/RTO: the secondary has every eligible user, same sub
  const sameUser = async (u: ConfirmedUser) => {
    const d = await getDrUser(dr, poolId, u.email).catch(() => undefined);
    return d?.status === "CONFIRMED" && d.enabled && d.attributes.sub === u.sub;
  };
  const served = new Set<string>();
  let rtoMs: number | undefined;
  while (Date.now() < cutAt + o.rtoTimeoutMs) {
    await mapLimit(eligible.filter((u) => !served.has(u.email)), 10, async (u) => {
      if (await sameUser(u)) served.add(u.email);
    });
    if (served.size === eligible.length) {
      rtoMs = Date.now() - cutAt;
      break;
    }
    await sleep(200);
  }
  const missing = eligible.filter((u) => !served.has(u.email)).map((u) => u.email);

  // 4. sign-in at the secondary; tokens verify against both Regions' keys
  const primaryRefused = await primary.send(new SignUpCommand({ ClientId: clientId, Username: `probe-${tag}@example.com`, Password: "Probe-Passw0rd!" })).then(() => false, () => true);
  const sample = eligible.filter((_, i) => i % Math.max(1, Math.floor(eligible.length / o.signInSample)) === 0).slice(0, o.signInSample);
  const signIn = { attempted: sample.length, succeeded: 0, sameSub: 0, canonicalIdOk: 0, verifiedInBothRegions: 0, issuer: undefined as string | undefined, primaryRefusedDuringOutage: primaryRefused, errors: [] as string[] };
  let firstSignInMs: number | undefined;
  for (const u of sample) {
    try {
      const tokens = await signInWithEmailOtp(dr, sandbox, clientId, u.email);
      firstSignInMs ??= Date.now() - cutAt;
      signIn.succeeded++;
      const claims = claimsOf(tokens.IdToken!);
      signIn.issuer = String(claims.iss);
      if (claims.sub === u.sub) signIn.sameSub++;
      // The DR Region's trigger's answer (the sandbox does not rewrite claims), else the claim itself.
      if (((await triggerCanonicalIdOf(sandbox, poolId, u.email, env.drRegion)) ?? claims[CANONICAL_ID_CLAIM]) === u.sub) signIn.canonicalIdOk++;
      // The issuer the pool's IssuerConfiguration (UPDATED) promises, not the token's own claim.
      const why = jwks ? await unverified(jwks, clientId, expectedIssuer, tokens.IdToken!) : "no JWKS read before the cut";
      if (why) signIn.errors.push(`${u.email}: token not verified ${why}`);
      else signIn.verifiedInBothRegions++;
    } catch (err) {
      signIn.errors.push(`${u.email}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  o.log(`DR sign-in: ${signIn.succeeded}/${signIn.attempted}, same sub ${signIn.sameSub}, canonical id ${signIn.canonicalIdOk}, verified with both Regions' keys ${signIn.verifiedInBothRegions} (issuer ${signIn.issuer ?? "?"})`);

  // 5. what the secondary refuses by design
  const refused = async (operation: string, call: () => Promise<unknown>) => {
    const error = await call().then(() => undefined, (e: Error) => e.name);
    return { operation, refused: error === "OperationNotEnabledException", error, source: LIMITS_PAGE };
  };
  const newcomer = `dr-${tag}@example.com`;
  const documentedLimits = [
    await refused("SignUp", () => dr.send(new SignUpCommand({ ClientId: clientId, Username: newcomer, Password: "Native-Passw0rd!", UserAttributes: [{ Name: "email", Value: newcomer }] }))),
    await refused("AdminCreateUser", () => dr.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: newcomer, MessageAction: "SUPPRESS" }))),
  ];

  // 6. restore; failback is no data step: sign-ups after the restore reach the secondary
  await sleep(cutAt + o.outageMs - Date.now());
  await sandbox.admin.clearFaults(outage.id);
  down = false;
  const restoredAt = Date.now();
  o.log(`restore: ${env.primaryRegion} is back after ${restoredAt - cutAt} ms`);
  await sleep(o.afterRestoreMs);
  stop = true;
  await workers;
  const afterRestore = confirmed.filter((u) => u.confirmedAt >= restoredAt);
  const arrived = new Set<string>();
  const deadline = Date.now() + o.drainTimeoutMs;
  while (Date.now() < deadline) {
    await mapLimit(afterRestore.filter((u) => !arrived.has(u.email)), 10, async (u) => {
      if (await sameUser(u)) arrived.add(u.email);
    });
    if (arrived.size === afterRestore.length) break;
    await sleep(200);
  }
  const failbackMissing = afterRestore.filter((u) => !arrived.has(u.email)).map((u) => u.email);
  primary.destroy();
  dr.destroy();

  if (eligible.length === 0) failures.push("no users were confirmed before the cut: nothing was tested");
  if (missing.length > 0) failures.push(`RPO: ${missing.length} users confirmed ≥ ${replicaLagMs + o.safetyMarginMs} ms before the cut are not in the secondary`);
  if (signIn.attempted === 0 || signIn.succeeded < signIn.attempted) failures.push(`DR sign-in: ${signIn.succeeded}/${signIn.attempted} succeeded (${signIn.errors.join("; ")})`);
  if (signIn.sameSub < signIn.succeeded) failures.push(`DR sign-in: the same sub in ${signIn.sameSub}/${signIn.succeeded} tokens`);
  if (signIn.canonicalIdOk < signIn.succeeded) failures.push(`canonical id (the DR trigger's claim) right in ${signIn.canonicalIdOk}/${signIn.succeeded}`);
  if (signIn.verifiedInBothRegions < signIn.succeeded) failures.push(`tokens verified with both Regions' keys: ${signIn.verifiedInBothRegions}/${signIn.succeeded}`);
  if (!primaryToken) failures.push("primary sign-in before the cut failed");
  if (!primaryRefused) failures.push("the primary still answered during the outage: the cut was not real");
  for (const l of documentedLimits) if (!l.refused) failures.push(`${l.operation} at the secondary answered ${l.error ?? "success"}, not OperationNotEnabledException as AWS documents`);
  if (afterRestore.length === 0) failures.push("no sign-ups after the restore: failback not tested");
  if (failbackMissing.length > 0) failures.push(`failback: ${failbackMissing.length} users confirmed after the restore never reached the secondary`);

  return {
    mode: "native",
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    primaryRegion: env.primaryRegion,
    drRegion: env.drRegion,
    settings: { warmupMs: o.warmupMs, outageMs: o.outageMs, afterRestoreMs: o.afterRestoreMs, safetyMarginMs: o.safetyMarginMs, signupConcurrency: o.signupConcurrency, signupPauseMs: o.signupPauseMs, signInSample: o.signInSample, rtoTimeoutMs: o.rtoTimeoutMs, drainTimeoutMs: o.drainTimeoutMs, replicaLagMs },
    population: { attempts, confirmed: confirmed.length, failedDuringOutage },
    cut: { at: new Date(cutAt).toISOString(), eligible: eligible.length },
    rpo: { usersMissing: missing.length, missing },
    rto: { ms: rtoMs, firstSignInMs },
    signIn,
    documentedLimits,
    failback: { dataSteps: 0, signUpsAfterRestore: afterRestore.length, arrived: arrived.size, missing: failbackMissing },
    pass: failures.length === 0,
    failures,
  };
}

/** The JWKS each Region serves for the pool, read before the cut, as a service caches them (aws-jwt-verify does). */
async function jwksOfBothRegions(sandbox: Sandbox, env: LocalDeployment["env"], poolId: string): Promise<Record<string, Jwks>> {
  const out: Record<string, Jwks> = {};
  for (const region of [env.primaryRegion, env.drRegion]) {
    const url = `${regionalEndpoint(sandbox.endpoint, region)}/${poolId}/.well-known/jwks.json`;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`JWKS of ${poolId} in ${region}: ${res.status} from ${url}`);
    out[region] = (await res.json()) as Jwks;
  }
  return out;
}

/** The token verifies (signature, issuer, audience, expiry) with the JWKS of each Region; the first failure, or undefined. */
async function unverified(jwks: Record<string, Jwks>, clientId: string, issuer: string, idToken: string): Promise<string | undefined> {
  for (const [region, keys] of Object.entries(jwks)) {
    const verifier = JwtRsaVerifier.create({ issuer, audience: clientId, jwksUri: `https://jwks.${region}.invalid/jwks.json` });
    verifier.cacheJwks(keys);
    try {
      await verifier.verify(idToken);
    } catch (e) {
      return `with ${region}'s JWKS: ${(e as Error).name}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** A few lines for people. */
export function formatNativeReport(r: NativeGameDayReport): string {
  const s = (v: number | undefined) => (v === undefined ? "not reached" : `${(v / 1000).toFixed(2)} s`);
  return [
    `game day (native) ${r.pass ? "PASSED" : "FAILED"}: ${r.primaryRegion} cut off for ${(r.settings.outageMs / 1000).toFixed(0)} s, replica lag ${r.settings.replicaLagMs} ms`,
    `  population: ${r.population.confirmed} confirmed of ${r.population.attempts} sign-ups (${r.population.failedDuringOutage} refused during the outage)`,
    `  RPO: ${r.rpo.usersMissing} of ${r.cut.eligible} eligible users missing in ${r.drRegion}; RTO: the secondary has them all ${s(r.rto.ms)} after the cut, first sign-in ${s(r.rto.firstSignInMs)}`,
    `  sign-in at ${r.drRegion}: ${r.signIn.succeeded}/${r.signIn.attempted}, same sub ${r.signIn.sameSub}, canonical id ${r.signIn.canonicalIdOk}, verified with both Regions' keys ${r.signIn.verifiedInBothRegions}; issuer ${r.signIn.issuer ?? "?"}`,
    `  documented limits: ${r.documentedLimits.map((l) => `${l.operation} ${l.refused ? "refused" : "NOT refused"} (${l.error ?? "success"})`).join(", ")}; ${LIMITS_PAGE}`,
    `  failback: no data step; ${r.failback.arrived}/${r.failback.signUpsAfterRestore} sign-ups after the restore reached the secondary`,
    ...r.failures.map((f) => `  ✗ ${f}`),
  ].join("\n");
}
