// Change-to-DR lag per kind of change, through change capture, against the deployed `local`
// stacks: a call in the primary pool -> (sandbox) CloudTrail event -> EventBridge rule after the
// delivery delay -> capture queue -> change-capture re-reads the user and writes the next record
// version -> global table -> DR replicator -> the DR user shows the change. Lag is measured from
// the primary call's answer to the first DR read that shows it (AdminGetUser / AdminListGroupsForUser
// every ~25 ms), as a user of the DR pool would see it.
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminListGroupsForUserCommand,
  AdminUpdateUserAttributesCommand,
  CreateGroupCommand,
  GroupExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { getDrUser, signUpAndConfirm, testUsers, type DrUser } from "../../scripts/drills/population";
import { mapLimit } from "../../scripts/lib/map-limit";
import { percentile, round } from "./stats";
import type { BenchWorld } from "./world";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OBSERVER_RATE = 10_000;
const GROUP = "bench-capture";

/** The kinds measured, in the order each sample user goes through them (create is its own user). */
export const CHANGE_KINDS = ["attributes", "disable", "enable", "groups", "delete", "create"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface KindLag {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Changes not seen in DR within the timeout. */
  missing: number;
}

export interface CaptureLagResult {
  /** The sandbox's CloudTrail -> EventBridge delivery delay (AWS documents none). */
  deliveryDelayMs: number;
  /** The sandbox's global-table replication delay. */
  replicationDelayMs: number;
  usersPerKind: number;
  concurrency: number;
  kinds: Record<ChangeKind, KindLag>;
}

/** Polls `probe` until it holds; the elapsed ms from `t0`, or undefined after the timeout. */
async function seenAfter(t0: number, timeoutMs: number, probe: () => Promise<boolean>): Promise<number | undefined> {
  for (;;) {
    if (await probe()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) return undefined;
    await sleep(25);
  }
}

export async function benchCaptureLag(
  w: BenchWorld,
  opts: { usersPerKind: number; deliveryDelayMs: number; replicationDelayMs: number; concurrency: number; timeoutMs: number; log: (s: string) => void },
): Promise<CaptureLagResult> {
  await w.reset({ replicationDelayMs: opts.replicationDelayMs });
  const { primaryRegion, drRegion } = w.deployment.env;
  const primaryPool = w.deployment.primary.user_pool_id;
  const drPool = w.deployment.dr.user_pool_id;
  // The bench's own DR reads and sign-ups must not be what throttles; the capture function's
  // re-reads in the primary keep AWS's default UserRead quota, as in production.
  await w.sandbox.admin.setQuota([
    { region: drRegion, category: "UserRead", ratePerSecond: OBSERVER_RATE },
    { region: primaryRegion, category: "UserCreation", ratePerSecond: OBSERVER_RATE },
  ]);
  await w.sandbox.admin.setEventDeliveryDelay(opts.deliveryDelayMs);
  for (const [c, pool] of [[w.primary.cognito, primaryPool], [w.dr.cognito, drPool]] as const) {
    await c.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: GROUP })).catch((err: unknown) => {
      if (!(err instanceof GroupExistsException)) throw err;
    });
  }
  const lags: Record<ChangeKind, number[]> = { attributes: [], disable: [], enable: [], groups: [], delete: [], create: [] };
  const missing: Record<ChangeKind, number> = { attributes: 0, disable: 0, enable: 0, groups: 0, delete: 0, create: 0 };
  const record = (kind: ChangeKind, ms: number | undefined) => (ms === undefined ? missing[kind]++ : lags[kind].push(ms));
  const dr = (email: string): Promise<DrUser | undefined> => getDrUser(w.dr.cognito, drPool, email);
  const drGroups = async (email: string) => ((await w.dr.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: drPool, Username: email }))).Groups ?? []).map((g) => g.GroupName);
  const tag = `cap${opts.deliveryDelayMs}${randomUUID().slice(0, 4)}`;
  let done = 0;

  await mapLimit(testUsers(opts.usersPerKind, tag), opts.concurrency, async (u) => {
    const user = await signUpAndConfirm(w.primary.cognito, w.deployment.primary.app_client_id, u);
    if ((await seenAfter(performance.now(), opts.timeoutMs, async () => (await dr(user.email))?.enabled === true)) === undefined) {
      throw new Error(`bench user ${user.sub} never reached DR after sign-up: the replication path is broken, not slow`);
    }
    const step = async (kind: ChangeKind, call: () => Promise<unknown>, shows: () => Promise<boolean>) => {
      await call();
      record(kind, await seenAfter(performance.now(), opts.timeoutMs, shows));
    };
    const name = `Changed ${randomUUID().slice(0, 6)}`;
    await step(
      "attributes",
      () => w.primary.cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: primaryPool, Username: user.email, UserAttributes: [{ Name: "name", Value: name }] })),
      async () => (await dr(user.email))?.attributes.name === name,
    );
    await step("disable", () => w.primary.cognito.send(new AdminDisableUserCommand({ UserPoolId: primaryPool, Username: user.email })), async () => (await dr(user.email))?.enabled === false);
    await step("enable", () => w.primary.cognito.send(new AdminEnableUserCommand({ UserPoolId: primaryPool, Username: user.email })), async () => (await dr(user.email))?.enabled === true);
    await step(
      "groups",
      () => w.primary.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: primaryPool, Username: user.email, GroupName: GROUP })),
      async () => (await drGroups(user.email)).includes(GROUP),
    );
    await step("delete", () => w.primary.cognito.send(new AdminDeleteUserCommand({ UserPoolId: primaryPool, Username: user.email })), async () => (await dr(user.email)) === undefined);
    // An administrator's user (no PostConfirmation): in DR, disabled until its first sign-in.
    const invited = `invited-${tag}-${done}-${randomUUID().slice(0, 6)}@example.com`;
    await step(
      "create",
      () =>
        w.primary.cognito.send(
          new AdminCreateUserCommand({
            UserPoolId: primaryPool,
            Username: invited,
            MessageAction: "SUPPRESS",
            TemporaryPassword: `Aa1!${randomUUID()}`,
            UserAttributes: [
              { Name: "email", Value: invited },
              { Name: "email_verified", Value: "true" },
            ],
          }),
        ),
      async () => (await dr(invited)) !== undefined,
    );
    if (++done % 5 === 0) opts.log(`capture lag (delivery ${opts.deliveryDelayMs} ms): ${done}/${opts.usersPerKind} users`);
  });

  const kinds = Object.fromEntries(
    CHANGE_KINDS.map((k) => {
      const xs = lags[k];
      const lag: KindLag = { samples: xs.length, p50Ms: round(percentile(xs, 50), 0), p99Ms: round(percentile(xs, 99), 0), maxMs: xs.length ? round(Math.max(...xs), 0) : Number.NaN, missing: missing[k] };
      return [k, lag];
    }),
  ) as Record<ChangeKind, KindLag>;
  return { deliveryDelayMs: opts.deliveryDelayMs, replicationDelayMs: opts.replicationDelayMs, usersPerKind: opts.usersPerKind, concurrency: opts.concurrency, kinds };
}
