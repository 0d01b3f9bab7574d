// Two-way mode on the real `local` stacks (sandbox, authorization enforced): both regions capture
// and apply. What must hold:
// - loop safety: with changes made in both pools for a while (TWO_WAY_SOAK_S, default 45 s), the
//   records written equal the user changes made (an applied change never comes back), and both
//   pools end with every user's last value;
// - a change made in either pool reaches the other;
// - the same user changed in both regions before either change crossed: the higher version wins
//   in both pools; a deletion made last wins over an older change;
// - an email change waits for verification in both pools (AttributesRequireVerificationBeforeUpdate):
//   the DR copy keeps the verified address until the user verifies the new one.
import {
  AdminDeleteUserCommand,
  AdminUpdateUserAttributesCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  UpdateUserAttributesCommand,
  VerifyUserAttributeCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOT_A_RECORD_MARK, TABLE_KEY } from "../../handlers/contract";
import { getDrUser, signUpAndConfirm, testUsers, type ConfirmedUser } from "../../scripts/drills/population";
import { names } from "../../stacks/names";
import { missingTools, readStream, startWorld, type World } from "./harness";

const skip = missingTools();
const SOAK_MS = Number(process.env.TWO_WAY_SOAK_S ?? 45) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await sleep(250);
  }
}

describe.skipIf(skip)("two-way replication (sandbox, real stacks, authorization enforced)", () => {
  let w: World;
  const users: ConfirmedUser[] = [];
  const pool = (region: "primary" | "dr") => (region === "primary" ? w.deployment.primary.user_pool_id : w.deployment.dr.user_pool_id);
  const client = (region: "primary" | "dr") => (region === "primary" ? w.primary.cognito : w.dr.cognito);
  const givenName = async (region: "primary" | "dr", email: string) => (await getDrUser(client(region), pool(region), email))?.attributes.given_name;
  const setGivenName = (region: "primary" | "dr", email: string, value: string) =>
    client(region).send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool(region), Username: email, UserAttributes: [{ Name: "given_name", Value: value }] }));

  beforeAll(async () => {
    w = await startWorld({ mode: "two-way" });
    for (const u of testUsers(8)) users.push(await signUpAndConfirm(w.primary.cognito, w.deployment.primary.app_client_id, u));
    for (const u of users) await until(`${u.email} in DR`, () => getDrUser(w.dr.cognito, pool("dr"), u.email), (d) => d?.status === "CONFIRMED");
  }, 900_000);
  afterAll(async () => {
    await w?.stop();
  }, 600_000);

  it("a change made in either pool reaches the other, in seconds", { timeout: 120_000 }, async () => {
    const [a, b] = users;
    await setGivenName("primary", a.email, "from-primary");
    await setGivenName("dr", b.email, "from-dr");
    await until("primary change in DR", () => givenName("dr", a.email), (v) => v === "from-primary");
    await until("DR change in the primary", () => givenName("primary", b.email), (v) => v === "from-dr");
  });

  it("loop safety: under changes in both pools, records written = changes made, and both pools end equal", { timeout: SOAK_MS + 240_000 }, async () => {
    const n = names(w.deployment.env);
    const before = { primary: (await readStream(w.primary, n.table)).tail, dr: (await readStream(w.dr, n.table)).tail };
    const start = Date.now();
    const last = new Map<string, string>();
    let changes = 0;
    // One change a second, round robin over the users (each user changed every ~8 s, long enough to
    // have crossed both ways), alternating the pool each round.
    for (let tick = 0; Date.now() - start < SOAK_MS; tick++) {
      const u = users[tick % users.length];
      const region = Math.floor(tick / users.length) % 2 === 0 ? "primary" : "dr";
      const value = `v${tick}-${region}`;
      await setGivenName(region, u.email, value);
      last.set(u.email, value);
      changes++;
      await sleep(Math.max(0, start + (tick + 1) * 1000 - Date.now()));
    }
    for (const [email, value] of last) {
      for (const region of ["primary", "dr"] as const) await until(`${email} in ${region}`, () => givenName(region, email), (v) => v === value, 90_000);
    }
    // Nothing more arrives: every record written since `start`, from either region's stream.
    await sleep(10_000);
    await w.sandbox.admin.flushReplication(30_000);
    const seen = new Set<string>();
    for (const [c, after] of [[w.primary, before.primary], [w.dr, before.dr]] as const) {
      for (const r of (await readStream(c, n.table, after)).records) {
        const key = r.dynamodb?.Keys?.[TABLE_KEY]?.S ?? "";
        const version = r.dynamodb?.NewImage?.version?.N;
        if (r.eventName === "REMOVE" || key.includes(NOT_A_RECORD_MARK) || !version) continue;
        if (Number(version) >= start) seen.add(`${key}@${version}`);
      }
    }
    console.log(`loop safety: ${changes} changes in ${Math.round(SOAK_MS / 1000)} s (both pools), ${seen.size} records written`);
    expect(changes).toBeGreaterThanOrEqual(Math.floor(SOAK_MS / 1000) - 2);
    expect(seen.size).toBe(changes);
  });

  it("the same user changed in both regions before either change crossed: the later change wins in both pools", { timeout: 180_000 }, async () => {
    const u = users[2];
    const { delayMs } = await w.sandbox.admin.replication();
    await w.sandbox.admin.setReplicationDelay(6_000);
    try {
      await setGivenName("primary", u.email, "split-primary-first");
      await sleep(1_500);
      await setGivenName("dr", u.email, "split-dr-later");
      for (const region of ["primary", "dr"] as const) await until(`${region} converges`, () => givenName(region, u.email), (v) => v === "split-dr-later", 90_000);
      // And stays there: the older change does not come back.
      await sleep(8_000);
      expect(await givenName("primary", u.email)).toBe("split-dr-later");
      expect(await givenName("dr", u.email)).toBe("split-dr-later");
    } finally {
      await w.sandbox.admin.setReplicationDelay(delayMs);
    }
  });

  it("a deletion made after a change in the other region wins in both pools", { timeout: 180_000 }, async () => {
    const u = users[3];
    const { delayMs } = await w.sandbox.admin.replication();
    await w.sandbox.admin.setReplicationDelay(6_000);
    try {
      await setGivenName("dr", u.email, "changed-before-the-delete");
      await sleep(1_500);
      await w.primary.cognito.send(new AdminDeleteUserCommand({ UserPoolId: pool("primary"), Username: u.email }));
      await until("gone from DR", () => getDrUser(w.dr.cognito, pool("dr"), u.email), (d) => d === undefined, 90_000);
      await sleep(8_000);
      expect(await getDrUser(w.primary.cognito, pool("primary"), u.email)).toBeUndefined();
      expect(await getDrUser(w.dr.cognito, pool("dr"), u.email)).toBeUndefined();
    } finally {
      await w.sandbox.admin.setReplicationDelay(delayMs);
    }
  });

  it("an email change waits for verification: both pools keep the verified address until the user verifies the new one", { timeout: 180_000 }, async () => {
    const u = users[4];
    const tokens = await signIn(w.primary.cognito, w.deployment.primary.app_client_id, u.email);
    const newEmail = `moved-${u.email}`;
    await w.primary.cognito.send(new UpdateUserAttributesCommand({ AccessToken: tokens.AccessToken, UserAttributes: [{ Name: "email", Value: newEmail }] }));
    // Not yet: the primary keeps the old, verified address, and so does DR.
    await sleep(5_000);
    expect((await getDrUser(w.primary.cognito, pool("primary"), u.email))?.attributes.email).toBe(u.email);
    expect((await getDrUser(w.dr.cognito, pool("dr"), u.email))?.attributes.email).toBe(u.email);
    const code = (await w.sandbox.admin.outbox(newEmail)).at(-1)?.code ?? (await w.sandbox.admin.outbox(u.email)).at(-1)?.code;
    expect(code).toBeTruthy();
    await w.primary.cognito.send(new VerifyUserAttributeCommand({ AccessToken: tokens.AccessToken, AttributeName: "email", Code: code! }));
    await until("the new address in DR", () => getDrUser(w.dr.cognito, pool("dr"), newEmail), (d) => d?.attributes.email === newEmail && d.attributes.email_verified === "true", 90_000);
  });

  async function signIn(cognito: CognitoIdentityProviderClient, clientId: string, email: string) {
    const start = await cognito.send(new InitiateAuthCommand({ AuthFlow: "USER_AUTH", ClientId: clientId, AuthParameters: { USERNAME: email, PREFERRED_CHALLENGE: "EMAIL_OTP" } }));
    const code = (await w.sandbox.admin.outbox(email)).at(-1)?.code;
    const done = await cognito.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: "EMAIL_OTP", Session: start.Session, ChallengeResponses: { USERNAME: email, EMAIL_OTP_CODE: code! } }));
    return done.AuthenticationResult!;
  }
});
