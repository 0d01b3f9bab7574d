// Creates confirmed users in the primary pool the way people do (SignUp then
// ConfirmSignUp, which fires PostConfirmation) and watches them arrive in the DR
// pool. Shared by the demo, the end-to-end tests, the game day and benchmarks.
import {
  AdminGetUserCommand,
  ListUsersCommand,
  ConfirmSignUpCommand,
  SignUpCommand,
  UserNotFoundException,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { randomBytes, randomUUID } from "node:crypto";
import { CANONICAL_ID_ATTRIBUTE } from "../../handlers/contract";

export interface TestUser {
  email: string;
  givenName: string;
  familyName: string;
}

export interface ConfirmedUser extends TestUser {
  sub: string;
  confirmedAt: number;
}

export interface DrUser {
  status: string;
  enabled: boolean;
  attributes: Record<string, string>;
}

export interface ListedUser extends DrUser {
  username: string;
  email: string;
}

export function testUsers(count: number, tag = randomUUID().slice(0, 8)): TestUser[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `user-${tag}-${i}@example.com`,
    givenName: `Given${i}`,
    familyName: `Family-${tag}`,
  }));
}

/** A password that satisfies the pools' policy; nobody needs to know it. */
function throwawayPassword(): string {
  return `Aa1!${randomBytes(12).toString("base64url")}`;
}

export async function signUpAndConfirm(cognito: CognitoIdentityProviderClient, clientId: string, user: TestUser): Promise<ConfirmedUser> {
  const signUp = await cognito.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: user.email,
      Password: throwawayPassword(),
      UserAttributes: [
        { Name: "email", Value: user.email },
        { Name: "given_name", Value: user.givenName },
        { Name: "family_name", Value: user.familyName },
      ],
    }),
  );
  await cognito.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: user.email, ConfirmationCode: "000000" }));
  return { ...user, sub: signUp.UserSub!, confirmedAt: Date.now() };
}

export async function getDrUser(cognito: CognitoIdentityProviderClient, poolId: string, email: string): Promise<DrUser | undefined> {
  try {
    const u = await cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: email }));
    return {
      status: u.UserStatus ?? "UNKNOWN",
      enabled: u.Enabled ?? false,
      attributes: Object.fromEntries((u.UserAttributes ?? []).map((a) => [a.Name!, a.Value ?? ""])),
    };
  } catch (err) {
    if (err instanceof UserNotFoundException) return undefined;
    throw err;
  }
}

/** Whether the DR user is what replication promises: confirmed, enabled, same attributes and canonical id. */
export function drUserMatches(user: ConfirmedUser, dr: DrUser | undefined): boolean {
  return (
    dr !== undefined &&
    dr.status === "CONFIRMED" &&
    dr.enabled &&
    dr.attributes.email === user.email &&
    dr.attributes.given_name === user.givenName &&
    dr.attributes.family_name === user.familyName &&
    dr.attributes[`custom:${CANONICAL_ID_ATTRIBUTE}`] === user.sub
  );
}

/** ListUsers calls a second waitForDr allows itself: a third of the UserList quota (30/s), which the replicator does not use. */
const LIST_CALLS_PER_SECOND = 10;

function commonPrefix(values: string[]): string {
  let prefix = values[0] ?? "";
  for (const v of values) while (!v.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * Polls until every user matches in DR or the deadline passes. Resolves with each user's arrival
 * time (ms since epoch, to the poll) or undefined for the missing. Each poll lists the pool by the
 * pending users' common email prefix (ListUsers: 60 users a call, from the UserList quota) rather
 * than reading each user (AdminGetUser: the UserRead quota the replicator spends on every record),
 * and polls less often when that takes several pages.
 */
export async function waitForDr(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  users: ConfirmedUser[],
  opts: { timeoutMs: number; pollMs?: number },
): Promise<Map<string, number | undefined>> {
  const arrived = new Map<string, number | undefined>(users.map((u) => [u.email, undefined]));
  const deadline = Date.now() + opts.timeoutMs;
  if (users.length === 0) return arrived;
  for (;;) {
    const pending = users.filter((u) => arrived.get(u.email) === undefined);
    const listed = await listUsers(cognito, poolId, commonPrefix(pending.map((u) => u.email)));
    const byEmail = new Map(listed.map((u) => [u.email, u]));
    const now = Date.now();
    for (const u of pending) if (drUserMatches(u, byEmail.get(u.email))) arrived.set(u.email, now);
    if ([...arrived.values()].every((t) => t !== undefined) || Date.now() > deadline) return arrived;
    const pages = Math.max(1, Math.ceil(listed.length / 60));
    await new Promise((r) => setTimeout(r, Math.max(opts.pollMs ?? 0, (pages * 1000) / LIST_CALLS_PER_SECOND)));
  }
}

/** The users of a pool whose email starts with `emailPrefix` (every user when it is empty), from ListUsers pages of 60. */
export async function listUsers(cognito: CognitoIdentityProviderClient, poolId: string, emailPrefix = ""): Promise<ListedUser[]> {
  const users: ListedUser[] = [];
  let token: string | undefined;
  do {
    const page = await cognito.send(
      new ListUsersCommand({ UserPoolId: poolId, ...(emailPrefix ? { Filter: `email ^= "${emailPrefix}"` } : {}), PaginationToken: token, Limit: 60 }),
    );
    for (const u of page.Users ?? []) {
      const attributes = Object.fromEntries((u.Attributes ?? []).map((a) => [a.Name!, a.Value ?? ""]));
      users.push({ username: u.Username ?? "", email: attributes.email ?? "", status: u.UserStatus ?? "UNKNOWN", enabled: u.Enabled ?? false, attributes });
    }
    token = page.PaginationToken;
  } while (token);
  return users;
}

/** Every user in a pool whose email starts with `prefix` (ListUsers pages of 60). */
export async function listByEmailPrefix(cognito: CognitoIdentityProviderClient, poolId: string, prefix: string): Promise<string[]> {
  return (await listUsers(cognito, poolId, prefix)).map((u) => u.email);
}
