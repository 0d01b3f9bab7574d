// Re-reading the user an event is about: never trust the event, read what the pool says now.
// CloudTrail gives the sub, not the username. In pools that sign in by email the username is the
// sub, and AdminGetUser takes a local user's sub wherever the username is not an alias (Cognito
// API reference, AdminGetUser: Username), so that is one UserRead call. Federated users' usernames
// are not their sub, so when AdminGetUser finds nobody (or somebody else), ListUsers with a `sub`
// filter is asked (the Cognito guide's advice for CloudTrail subs). Nobody there either: the user
// no longer exists, which the caller turns into a tombstone.
import { AdminGetUserCommand, AdminListGroupsForUserCommand, ListUsersCommand, type CognitoIdentityProviderClient, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { attributeMap } from "../replication/attributes";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;

export type ReRead = { found: true; user: UserType; groups: string[] } | { found: false };

const notFound = (err: unknown): boolean => (err as { name?: string } | null)?.name === "UserNotFoundException";
const subOf = (user: UserType): string | undefined => attributeMap(user.Attributes).sub;

async function byUsername(cognito: Cognito, poolId: string, username: string): Promise<UserType | undefined> {
  try {
    const out = await cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));
    return {
      Username: out.Username,
      Attributes: out.UserAttributes,
      UserCreateDate: out.UserCreateDate,
      UserLastModifiedDate: out.UserLastModifiedDate,
      Enabled: out.Enabled,
      UserStatus: out.UserStatus,
    };
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

async function bySubFilter(cognito: Cognito, poolId: string, sub: string): Promise<UserType | undefined> {
  // `sub` is UUID-shaped (the parser checked), so it cannot break out of the quotes.
  const out = await cognito.send(new ListUsersCommand({ UserPoolId: poolId, Filter: `sub = "${sub}"`, Limit: 1 }));
  return out.Users?.[0];
}

async function groupsOf(cognito: Cognito, poolId: string, username: string): Promise<string[]> {
  const groups: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: username, Limit: 60, NextToken }));
    for (const g of out.Groups ?? []) if (g.GroupName) groups.push(g.GroupName);
    NextToken = out.NextToken;
  } while (NextToken);
  return groups.sort();
}

/** The user with this sub as the pool has it now, with its groups; `found: false` when it has none. */
export async function readPrimaryUser(cognito: Cognito, poolId: string, sub: string): Promise<ReRead> {
  let user = await byUsername(cognito, poolId, sub);
  // A user whose username merely equals this sub (possible where usernames are free-form) is not it.
  if (!user || subOf(user) !== sub) user = await bySubFilter(cognito, poolId, sub);
  if (!user?.Username || subOf(user) !== sub) return { found: false };
  try {
    return { found: true, user, groups: await groupsOf(cognito, poolId, user.Username) };
  } catch (err) {
    // Deleted between the two reads: it is gone, as a tombstone will say.
    if (notFound(err)) return { found: false };
    throw err;
  }
}
