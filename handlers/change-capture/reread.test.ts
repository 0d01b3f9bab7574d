// Re-reading by sub: AdminGetUser with the sub first, ListUsers with a sub filter when that finds
// nobody or somebody else, groups on every page; gone means gone, errors are not absence.
import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  InternalErrorException,
  ListUsersCommand,
  TooManyRequestsException,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { readPrimaryUser } from "./reread";

const cognito = mockClient(CognitoIdentityProviderClient);
const client = () => new CognitoIdentityProviderClient({ region: "us-east-1" });
const POOL = "us-east-1_Primary1";
const SUB = "704b1e47-34fe-40e9-8c41-504997494531";
const meta = { $metadata: {} };
const created = new Date(Date.UTC(2026, 0, 1));
const attrs = (sub: string) => [
  { Name: "sub", Value: sub },
  { Name: "email", Value: "alice@example.com" },
];

beforeEach(() => {
  cognito.reset();
  cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
});

describe("readPrimaryUser", () => {
  it("one AdminGetUser with the sub as username, then the groups (all pages, sorted)", async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: SUB, UserAttributes: attrs(SUB), Enabled: false, UserStatus: "CONFIRMED", UserCreateDate: created });
    cognito.on(AdminListGroupsForUserCommand).resolvesOnce({ Groups: [{ GroupName: "b" }], NextToken: "t" }).resolvesOnce({ Groups: [{ GroupName: "a" }, {}] });
    const out = await readPrimaryUser(client(), POOL, SUB);
    expect(out).toEqual({ found: true, user: { Username: SUB, Attributes: attrs(SUB), Enabled: false, UserStatus: "CONFIRMED", UserCreateDate: created, UserLastModifiedDate: undefined }, groups: ["a", "b"] });
    expect(cognito).toHaveReceivedCommandWith(AdminGetUserCommand, { UserPoolId: POOL, Username: SUB });
    expect(cognito).toHaveReceivedNthCommandWith(AdminListGroupsForUserCommand, 2, { UserPoolId: POOL, Username: SUB, Limit: 60, NextToken: "t" });
    expect(cognito).not.toHaveReceivedCommand(ListUsersCommand);
  });

  it("not found by the sub (a federated user's username is not its sub): found with ListUsers' sub filter", async () => {
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: "Google_123", Attributes: attrs(SUB), Enabled: true, UserStatus: "EXTERNAL_PROVIDER" }] });
    const out = await readPrimaryUser(client(), POOL, SUB);
    expect(out).toMatchObject({ found: true, user: { Username: "Google_123" } });
    expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, { UserPoolId: POOL, Filter: `sub = "${SUB}"`, Limit: 1 });
    expect(cognito).toHaveReceivedCommandWith(AdminListGroupsForUserCommand, { Username: "Google_123" });
  });

  it("a user whose username is this sub but whose sub is another is not it: the filter decides", async () => {
    const other = "11111111-2222-4333-8444-555555555555";
    cognito.on(AdminGetUserCommand).resolves({ Username: SUB, UserAttributes: attrs(other) });
    cognito.on(ListUsersCommand).resolves({ Users: [] });
    await expect(readPrimaryUser(client(), POOL, SUB)).resolves.toEqual({ found: false });
    expect(cognito).toHaveReceivedCommand(ListUsersCommand);
  });

  it("nobody under either: not found (a tombstone); a filter answer with another sub or no username is not it either", async () => {
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    cognito.on(ListUsersCommand).resolves({});
    await expect(readPrimaryUser(client(), POOL, SUB)).resolves.toEqual({ found: false });
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: "x", Attributes: attrs("11111111-2222-4333-8444-555555555555") }] });
    await expect(readPrimaryUser(client(), POOL, SUB)).resolves.toEqual({ found: false });
    cognito.on(ListUsersCommand).resolves({ Users: [{ Attributes: attrs(SUB) }] });
    await expect(readPrimaryUser(client(), POOL, SUB)).resolves.toEqual({ found: false });
    expect(cognito).not.toHaveReceivedCommand(AdminListGroupsForUserCommand);
  });

  it("deleted between the user and its groups: not found", async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: SUB, UserAttributes: attrs(SUB) });
    cognito.on(AdminListGroupsForUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    await expect(readPrimaryUser(client(), POOL, SUB)).resolves.toEqual({ found: false });
  });

  it("throttling and service errors are errors, never absence (a tombstone for a live user would delete its DR copy)", async () => {
    cognito.on(AdminGetUserCommand).rejects(new TooManyRequestsException({ message: "slow", ...meta }));
    await expect(readPrimaryUser(client(), POOL, SUB)).rejects.toMatchObject({ name: "TooManyRequestsException" });
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    cognito.on(ListUsersCommand).rejects(new InternalErrorException({ message: "x", ...meta }));
    await expect(readPrimaryUser(client(), POOL, SUB)).rejects.toMatchObject({ name: "InternalErrorException" });
    cognito.on(AdminGetUserCommand).resolves({ Username: SUB, UserAttributes: attrs(SUB) });
    cognito.on(AdminListGroupsForUserCommand).rejects(new TooManyRequestsException({ message: "slow", ...meta }));
    await expect(readPrimaryUser(client(), POOL, SUB)).rejects.toMatchObject({ name: "TooManyRequestsException" });
  });
});
