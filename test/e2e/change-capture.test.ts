// Change capture end to end, against the deployed `local` stacks (deployed as the pipeline roles,
// authorization enforced): the primary stack's trail makes the sandbox turn each Cognito call into
// a CloudTrail event, EventBridge delivers the pool's user changes to the capture queue (after a
// delivery delay), change-capture re-reads each user and writes its next record version or a
// tombstone, and the replicator makes the DR user match. Every change an administrator or a user
// makes in the primary pool reaches DR; deletes and disables first. One deployment, scenarios in
// order (they share the pools; each uses its own users).
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  CreateGroupCommand,
  ListUsersCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand, UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANONICAL_ID_ATTRIBUTE, ENV } from "../../handlers/contract";
import { sandboxCredentials } from "../../scripts/lib/clients";
import { signUpAndConfirm, testUsers, type ConfirmedUser } from "../../scripts/drills/population";
import { reconcile, type ReconcileReport } from "../../scripts/operator/reconcile";
import { runSmoke } from "../../scripts/operator/smoke-checks";
import { names } from "../../stacks/names";
import { captureSettled, disableMapping, missingTools, startWorld, trailLogging, type World } from "./harness";

const skip = missingTools();
const CANONICAL = `custom:${CANONICAL_ID_ATTRIBUTE}`;
/** A realistic EventBridge delivery delay (AWS documents none; the sandbox's default is 2 s). */
const DELIVERY_DELAY_MS = 1000;

interface DrView {
  username: string;
  enabled: boolean;
  status: string;
  attributes: Record<string, string>;
  groups?: string[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every DR user carrying `canonicalId` (there must be at most one). */
async function drUsersOf(cognito: CognitoIdentityProviderClient, poolId: string, canonicalId: string): Promise<DrView[]> {
  const out: DrView[] = [];
  let token: string | undefined;
  do {
    const page = await cognito.send(new ListUsersCommand({ UserPoolId: poolId, PaginationToken: token }));
    for (const u of page.Users ?? []) {
      const attributes = Object.fromEntries((u.Attributes ?? []).map((a) => [a.Name!, a.Value ?? ""]));
      if (attributes[CANONICAL] === canonicalId) out.push({ username: u.Username!, enabled: u.Enabled ?? false, status: u.UserStatus ?? "", attributes });
    }
    token = page.PaginationToken;
  } while (token);
  return out;
}

describe.skipIf(skip)("change capture: every change to a primary user reaches DR", { timeout: 900_000 }, () => {
  let w: World;
  let drPool: string;
  let primaryPool: string;
  let clientId: string;
  const tag = randomUUID().slice(0, 8);
  let n = 0;
  const user = async (): Promise<ConfirmedUser> => signUpAndConfirm(w.primary.cognito, clientId, testUsers(1, `${tag}-${n++}`)[0]!);
  const inDr = (u: { sub: string }) => drUsersOf(w.dr.cognito, drPool, u.sub);
  /** The one DR user of `u` once `ok` holds for it. */
  const drWhen = (u: { sub: string }, what: string, ok: (d: DrView) => boolean) =>
    until(what, async () => {
      const found = await inDr(u);
      return found.length === 1 && ok(found[0]!) ? found[0] : undefined;
    });
  const admin = {
    update: (u: ConfirmedUser, attrs: Record<string, string>) =>
      w.primary.cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: primaryPool, Username: u.email, UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })) })),
  };

  beforeAll(async () => {
    w = await startWorld({ replicationDelayMs: 200 });
    await w.sandbox.admin.setEventDeliveryDelay(DELIVERY_DELAY_MS);
    drPool = w.deployment.dr.user_pool_id;
    primaryPool = w.deployment.primary.user_pool_id;
    clientId = w.deployment.primary.app_client_id;
    for (const [c, pool] of [[w.primary.cognito, primaryPool], [w.dr.cognito, drPool]] as const) await c.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: "support" }));
  });
  afterAll(async () => {
    await w?.sandbox.admin.clearFaults();
    await w?.stop();
  });

  it("disable, then enable: DR follows each", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", (d) => d.enabled);
    await w.primary.cognito.send(new AdminDisableUserCommand({ UserPoolId: primaryPool, Username: u.email }));
    await drWhen(u, "disabled in DR", (d) => !d.enabled);
    await w.primary.cognito.send(new AdminEnableUserCommand({ UserPoolId: primaryPool, Username: u.email }));
    await drWhen(u, "enabled again in DR", (d) => d.enabled);
  });

  it("an attribute changed, then removed; an email changed: the same DR user follows", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    await admin.update(u, { name: "Ada Lovelace" });
    await drWhen(u, "the name in DR", (d) => d.attributes.name === "Ada Lovelace");
    await w.primary.cognito.send(new AdminDeleteUserAttributesCommand({ UserPoolId: primaryPool, Username: u.email, UserAttributeNames: ["name"] }));
    await drWhen(u, "the name removed in DR", (d) => d.attributes.name === undefined);
    const moved = `moved-${tag}-${n++}@example.com`;
    await admin.update(u, { email: moved, email_verified: "true" });
    const d = await drWhen(u, "the new email in DR", (x) => x.attributes.email === moved);
    expect(d.attributes[CANONICAL]).toBe(u.sub);
  });

  it("added to a group, then removed from it", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    await w.primary.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: primaryPool, Username: u.email, GroupName: "support" }));
    const inGroup = async () => {
      const [d] = await inDr(u);
      if (!d) return [] as string[];
      const { AdminListGroupsForUserCommand } = await import("@aws-sdk/client-cognito-identity-provider");
      return ((await w.dr.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: drPool, Username: d.username }))).Groups ?? []).map((g) => g.GroupName!);
    };
    await until("in the DR group", async () => ((await inGroup()).includes("support") ? true : undefined));
    await w.primary.cognito.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: primaryPool, Username: u.email, GroupName: "support" }));
    await until("out of the DR group", async () => ((await inGroup()).length === 0 ? true : undefined));
  });

  it("deleted in the primary: gone from DR (the environment's deletion policy is delete)", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    await w.primary.cognito.send(new AdminDeleteUserCommand({ UserPoolId: primaryPool, Username: u.email }));
    await until("gone from DR", async () => ((await inDr(u)).length === 0 ? true : undefined));
  });

  it("deleted in the primary with the environment's deletion policy `disable`: the DR user stays, disabled", async () => {
    // The setting reaches the replicator as DELETION_POLICY (test/stacks/change-capture.test.ts);
    // here the deployed replicator is switched to it, as a deploy with <ENV>_DELETION_POLICY=disable would.
    const lambda = new LambdaClient({ region: w.deployment.env.drRegion, endpoint: w.sandbox.endpoint, credentials: sandboxCredentials({}) });
    const fn = names(w.deployment.env).fn("replicate-user");
    const vars = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))).Environment?.Variables ?? {};
    expect(vars[ENV.DELETION_POLICY]).toBe("delete");
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: { ...vars, [ENV.DELETION_POLICY]: "disable" } } }));
    try {
      const u = await user();
      await drWhen(u, "the sign-up in DR", (d) => d.enabled);
      await w.primary.cognito.send(new AdminDeleteUserCommand({ UserPoolId: primaryPool, Username: u.email }));
      const d = await drWhen(u, "disabled (not deleted) in DR", (x) => !x.enabled);
      expect(d.attributes.email).toBe(u.email);
    } finally {
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: vars } }));
    }
  });

  it("an administrator's user: in DR but disabled while the primary says FORCE_CHANGE_PASSWORD, enabled once the password is set", async () => {
    const email = `invited-${tag}-${n++}@example.com`;
    const created = await w.primary.cognito.send(
      new AdminCreateUserCommand({ UserPoolId: primaryPool, Username: email, MessageAction: "SUPPRESS", TemporaryPassword: "Aa1!temporary-password", UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }] }),
    );
    const sub = created.User!.Attributes!.find((a) => a.Name === "sub")!.Value!;
    await drWhen({ sub }, "the invited user in DR, disabled", (d) => !d.enabled && d.attributes.email === email);
    await w.primary.cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: primaryPool, Username: email, Password: "Aa1!permanent-password", Permanent: true }));
    await drWhen({ sub }, "enabled in DR once confirmed in the primary", (d) => d.enabled);
  });

  it("ten rapid changes to one user: DR ends at the last state", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    for (let i = 0; i < 10; i++) await admin.update(u, { given_name: `Rapid${i}` });
    await drWhen(u, "the last of ten changes in DR", (d) => d.attributes.given_name === "Rapid9");
    // The positive signal that nothing older lands later: every delivery done, every record applied.
    await w.sandbox.admin.flushEvents(30_000);
    await w.sandbox.admin.flushReplication(30_000);
    expect((await inDr(u))[0]!.attributes.given_name).toBe("Rapid9");
  });

  it("a change followed at once by a delete: a tombstone, no resurrection by the late change", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    await admin.update(u, { family_name: "Late" });
    await w.primary.cognito.send(new AdminDeleteUserCommand({ UserPoolId: primaryPool, Username: u.email }));
    await until("gone from DR", async () => ((await inDr(u)).length === 0 ? true : undefined));
    await w.sandbox.admin.flushEvents(30_000);
    await w.sandbox.admin.flushReplication(30_000);
    expect(await inDr(u)).toEqual([]);
  });

  it("a deleted user's email signed up again by someone else: the newcomer gets a DR user of their own", async () => {
    const first = await user();
    await drWhen(first, "the first user in DR", () => true);
    await w.primary.cognito.send(new AdminDeleteUserCommand({ UserPoolId: primaryPool, Username: first.email }));
    const again = await signUpAndConfirm(w.primary.cognito, clientId, { email: first.email, givenName: "New", familyName: "Comer" });
    expect(again.sub).not.toBe(first.sub);
    const d = await drWhen(again, "the newcomer in DR with their own canonical id", (x) => x.attributes.email === first.email && x.enabled);
    expect(d.attributes.given_name).toBe("New");
    expect(await inDr(first)).toEqual([]);
  });

  it("the capture function unavailable for 30 s (its mapping disabled): every change arrives after it is back", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    const lambda = new LambdaClient({ region: w.deployment.env.primaryRegion, endpoint: w.sandbox.endpoint, credentials: sandboxCredentials({}) });
    const mapping = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names(w.deployment.env).fn("change-capture") }))).EventSourceMappings![0]!;
    await captureSettled(w); // the sign-up's own events are handled before the function goes away
    await disableMapping(lambda, mapping.UUID!);
    try {
      await w.primary.cognito.send(new AdminDisableUserCommand({ UserPoolId: primaryPool, Username: u.email }));
      await admin.update(u, { locale: "fr" });
      await new Promise((r) => setTimeout(r, 30_000));
      const [d] = await inDr(u);
      expect(d!.enabled, "nothing captured while the function is away").toBe(true);
    } finally {
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
    }
    await drWhen(u, "both changes after recovery", (d) => !d.enabled && d.attributes.locale === "fr");
  });

  it("a user confirmed while the primary's table and fallback queue both fail reaches DR through capture once they are back", async () => {
    const region = w.deployment.env.primaryRegion;
    // PostConfirmation's writes fail; Cognito, CloudTrail and EventBridge go on.
    const faults = [
      await w.sandbox.admin.injectFault({ service: "dynamodb", region, operations: ["PutItem"], errorRate: 1 }),
      await w.sandbox.admin.injectFault({ service: "sqs", region, operations: ["SendMessage"], errorRate: 1 }),
    ];
    let u: ConfirmedUser;
    try {
      u = await user();
      await new Promise((r) => setTimeout(r, 3000));
      expect(await inDr(u)).toEqual([]);
    } finally {
      for (const f of faults) await w.sandbox.admin.clearFaults(f.id);
    }
    await drWhen(u!, "the in-flight user in DR after the restore", (d) => d.enabled);
  });

  it("the trail stopped: nothing is captured, and reconcile reports what capture missed", async () => {
    const u = await user();
    await drWhen(u, "the sign-up in DR", () => true);
    await trailLogging(w, false);
    try {
      await w.primary.cognito.send(new AdminDisableUserCommand({ UserPoolId: primaryPool, Username: u.email }));
      await w.sandbox.admin.flushEvents(30_000);
      await w.sandbox.admin.flushReplication(30_000);
      await new Promise((r) => setTimeout(r, 3 * DELIVERY_DELAY_MS));
      expect((await inDr(u))[0]!.enabled, "no trail, no events, no capture").toBe(true);
      const smoke = await runSmoke(w.deployment.env, ["primary"]);
      expect(smoke.failed.join("\n"), "the smoke check names the stopped trail").toMatch(/trail \S+ is not logging/);
      const report = await reconcileReport(w);
      expect(report.counts.enabled).toBeGreaterThanOrEqual(1);
      expect(report.missedByCapture.enabled).toBeGreaterThanOrEqual(1);
    } finally {
      await trailLogging(w, true);
    }
  });
});

/** `npm run reconcile --json` (report only) against the deployed pools, with no grace for recent changes. */
async function reconcileReport(w: World): Promise<ReconcileReport> {
  let out = "";
  const saved = process.env.SANDBOX_ENDPOINT;
  process.env.SANDBOX_ENDPOINT = w.sandbox.endpoint;
  try {
    await reconcile.execute(["--env", "local", "--json", "--capture-grace", "0"], { stdout: (t) => void (out += t), stderr: () => undefined, isTTY: false });
  } finally {
    if (saved === undefined) delete process.env.SANDBOX_ENDPOINT;
    else process.env.SANDBOX_ENDPOINT = saved;
  }
  return JSON.parse(out) as ReconcileReport;
}
