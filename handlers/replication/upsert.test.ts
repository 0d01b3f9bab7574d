// The upsert against a mocked Cognito: creating, updating, enabling and grouping the DR user,
// idempotence, and failures that must never read as "the user does not exist". Every call it
// makes is checked against UPSERT_COGNITO_ACTIONS (the IAM grants). The pure plan: plan.test.ts.
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UsernameExistsException,
  UserNotFoundException,
  type AttributeType,
} from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { UPSERT_COGNITO_ACTIONS } from "../contract";
import { DR_POOL_ID, userRecord } from "../../test/support/events";
import { replicationConfig } from "./replication-config";
import { upsertDrUser } from "./upsert";

const cognito = mockClient(CognitoIdentityProviderClient);
const config = replicationConfig({ customAttributes: ["tier"] });
const ctx = { cognito: new CognitoIdentityProviderClient({ region: "us-west-2" }), userPoolId: DR_POOL_ID, config };
const meta = { $metadata: {} };

const WRITES = [
  AdminCreateUserCommand,
  AdminUpdateUserAttributesCommand,
  AdminDeleteUserAttributesCommand,
  AdminEnableUserCommand,
  AdminDisableUserCommand,
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
] as const;

/** A DR user that already matches `userRecord()`. */
function existing(attrs: Record<string, string> = {}, enabled = true, drop: string[] = []): void {
  const base: Record<string, string> = {
    sub: "dr-sub-1",
    email: "alice@example.com",
    email_verified: "true",
    name: "Alice Example",
    "custom:canonical_id": userRecord().canonicalId,
    ...attrs,
  };
  for (const d of drop) delete base[d];
  const UserAttributes: AttributeType[] = Object.entries(base).map(([Name, Value]) => ({ Name, Value }));
  cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
  cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", UserAttributes, Enabled: enabled });
}

// Every call the upsert makes, across all these tests: the IAM grants are built from
// UPSERT_COGNITO_ACTIONS, so a call outside it would be denied in AWS.
const called = new Set<string>();
beforeEach(() => {
  for (const c of cognito.calls()) called.add(`cognito-idp:${(c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, "")}`);
  cognito.reset();
});
afterAll(() => {
  for (const c of cognito.calls()) called.add(`cognito-idp:${(c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, "")}`);
  expect([...called].filter((a) => !(UPSERT_COGNITO_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  expect([...UPSERT_COGNITO_ACTIONS].filter((a) => !called.has(a))).toEqual([]);
});

describe("upsertDrUser", () => {
  it("creates a new user with one call", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1" } });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "created", changes: ["create"] });
    expect(cognito.calls()).toHaveLength(1);
  });

  it("creates, then disables and adds groups", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1" } });
    const result = await upsertDrUser(ctx, userRecord({ enabled: false, groups: ["b", "a"] }));
    expect(result.changes).toEqual(["create", "disable", "groups:+2-0"]);
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-sub-1" });
    expect(cognito).toHaveReceivedNthCommandWith(AdminAddUserToGroupCommand, 1, { GroupName: "a", Username: "dr-sub-1" });
    expect(cognito).toHaveReceivedNthCommandWith(AdminAddUserToGroupCommand, 2, { GroupName: "b" });
  });

  it("an admin-created user that never signed in (forceChangePassword) is created, then disabled, with its groups", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1" } });
    const result = await upsertDrUser(ctx, userRecord({ forceChangePassword: true, groups: ["a"] }));
    expect(result).toEqual({ action: "created", changes: ["create", "disable", "groups:+1-0"] });
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-sub-1" });
  });

  it("the user set its password in the primary (the flag gone): the disabled DR copy is enabled", async () => {
    existing({}, false);
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "updated", changes: ["enable"] });
    expect(cognito).toHaveReceivedCommandWith(AdminEnableUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-sub-1" });
  });

  it("a replay of an equal user makes no write call besides the discovering create", async () => {
    existing();
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "unchanged", changes: [] });
    const written = cognito.calls().filter((c) => WRITES.slice(1).some((w) => c.args[0] instanceof w));
    expect(written).toEqual([]);
    expect(cognito).toHaveReceivedCommandWith(AdminGetUserCommand, { Username: "alice@example.com" });
  });

  it("updates only what differs, using the DR username", async () => {
    existing({ name: "Old Name", locale: "de" }, false);
    cognito.on(AdminListGroupsForUserCommand).resolvesOnce({ Groups: [{ GroupName: "gone" }], NextToken: "t" }).resolvesOnce({ Groups: [{ GroupName: "keep" }] });
    const result = await upsertDrUser(ctx, userRecord({ groups: ["keep", "new"] }));
    expect(result).toEqual({ action: "updated", changes: ["attributes:1", "deleted:1", "enable", "groups:+1-1"] });
    expect(cognito).toHaveReceivedCommandWith(AdminUpdateUserAttributesCommand, {
      UserPoolId: DR_POOL_ID,
      Username: "dr-sub-1",
      UserAttributes: [{ Name: "name", Value: "Alice Example" }],
    });
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserAttributesCommand, { Username: "dr-sub-1", UserAttributeNames: ["locale"] });
    expect(cognito).toHaveReceivedCommandWith(AdminEnableUserCommand, { Username: "dr-sub-1" });
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, { Username: "dr-sub-1", GroupName: "new" });
    expect(cognito).toHaveReceivedCommandWith(AdminRemoveUserFromGroupCommand, { Username: "dr-sub-1", GroupName: "gone" });
    expect(cognito).toHaveReceivedCommandWith(AdminListGroupsForUserCommand, { NextToken: "t" });
  });

  it("another canonical id under the same email is a permanent CONFLICT_SAME_EMAIL", async () => {
    existing({ "custom:canonical_id": "someone-else" });
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "CONFLICT_SAME_EMAIL", retryable: false });
    expect(cognito).not.toHaveReceivedCommand(AdminUpdateUserAttributesCommand);
  });

  it("a DR user without a canonical id is a conflict too", async () => {
    existing({}, true, ["custom:canonical_id"]);
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "CANONICAL_ID_CONFLICT" });
  });

  it("an email change finds the user by the previous email and updates it", async () => {
    cognito.on(AdminGetUserCommand, { Username: "old@example.com" }).resolves({
      Username: "dr-sub-1",
      Enabled: true,
      UserAttributes: [
        { Name: "email", Value: "old@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "name", Value: "Alice Example" },
        { Name: "custom:canonical_id", Value: userRecord().canonicalId },
      ],
    });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    const result = await upsertDrUser(ctx, userRecord(), { previousEmail: "old@example.com" });
    expect(result.action).toBe("updated");
    expect(cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
    expect(cognito).toHaveReceivedCommandWith(AdminUpdateUserAttributesCommand, {
      Username: "dr-sub-1",
      UserAttributes: [
        { Name: "email", Value: "alice@example.com" },
        { Name: "email_verified", Value: "true" },
      ],
    });
  });

  it("a previous email now held by someone else's DR user is never taken over: the user is created under the new email", async () => {
    for (const other of ["someone-else", undefined]) {
      cognito.reset();
      const UserAttributes = [
        { Name: "email", Value: "old@example.com" },
        { Name: "name", Value: "Bob Other" },
        ...(other ? [{ Name: "custom:canonical_id", Value: other }] : []),
      ];
      cognito.on(AdminGetUserCommand, { Username: "old@example.com" }).resolves({ Username: "dr-bob", Enabled: true, UserAttributes });
      cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [{ GroupName: "bobs-group" }] });
      cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-alice", UserStatus: "CONFIRMED" } });
      await expect(upsertDrUser(ctx, userRecord(), { previousEmail: "old@example.com" })).resolves.toEqual({ action: "created", changes: ["create"] });
      expect(cognito).toHaveReceivedCommandWith(AdminCreateUserCommand, { Username: "alice@example.com" });
      // Nothing is written to the other person's user.
      const touched = cognito.calls().filter((c) => (c.args[0].input as { Username?: string }).Username === "dr-bob");
      expect(touched).toEqual([]);
      expect(cognito.calls().filter((c) => WRITES.slice(1).some((w) => c.args[0] instanceof w))).toEqual([]);
    }
  });

  it("an email change whose old user is gone creates the user under the new email", async () => {
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-2" } });
    await expect(upsertDrUser(ctx, userRecord(), { previousEmail: "old@example.com" })).resolves.toMatchObject({ action: "created" });
  });

  it("a missing group is a permanent GROUP_NOT_FOUND", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1" } });
    cognito.on(AdminAddUserToGroupCommand).rejects(new ResourceNotFoundException({ message: "no group", ...meta }));
    await expect(upsertDrUser(ctx, userRecord({ groups: ["ghost"] }))).rejects.toMatchObject({ reason: "GROUP_NOT_FOUND", retryable: false });
  });

  it("InvalidParameterException is a permanent ATTRIBUTE_REJECTED", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new InvalidParameterException({ message: "Invalid phone number format.", ...meta }));
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "ATTRIBUTE_REJECTED", retryable: false });
  });

  it("throttling after the SDK's retries is a retryable THROTTLED", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new TooManyRequestsException({ message: "slow down", ...meta }));
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "THROTTLED", retryable: true });
  });

  it("a user the DR pool does not confirm is removed again and fails permanently with NOT_CONFIRMED", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1", UserStatus: "FORCE_CHANGE_PASSWORD" } });
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "NOT_CONFIRMED", retryable: false, message: expect.stringContaining("FORCE_CHANGE_PASSWORD") });
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-sub-1" });
    expect(cognito).not.toHaveReceivedCommand(AdminAddUserToGroupCommand);
  });

  it("a CONFIRMED user is kept", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1", UserStatus: "CONFIRMED" } });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "created", changes: ["create"] });
    expect(cognito).not.toHaveReceivedCommand(AdminDeleteUserCommand);
  });

  it("our own user left FORCE_CHANGE_PASSWORD is created again, and kept once the pool confirms it", async () => {
    existing();
    cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", Enabled: true, UserStatus: "FORCE_CHANGE_PASSWORD", UserAttributes: [{ Name: "custom:canonical_id", Value: userRecord().canonicalId }] });
    cognito.on(AdminCreateUserCommand).rejectsOnce(new UsernameExistsException({ message: "exists", ...meta })).resolves({ User: { Username: "dr-sub-2", UserStatus: "CONFIRMED" } });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "created", changes: ["create"] });
    expect(cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 1);
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { Username: "dr-sub-1" });
  });

  it("someone else's FORCE_CHANGE_PASSWORD user is never deleted", async () => {
    existing({ "custom:canonical_id": "someone-else" });
    cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", Enabled: true, UserStatus: "FORCE_CHANGE_PASSWORD", UserAttributes: [{ Name: "custom:canonical_id", Value: "someone-else" }] });
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "CONFLICT_SAME_EMAIL" });
    expect(cognito).not.toHaveReceivedCommand(AdminDeleteUserCommand);
  });

  it("a user that vanishes between create and read is retried", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "TRANSIENT", retryable: true });
  });
});

describe("upsertDrUser: failures are never mistaken for absence, and users are not deleted by accident", () => {
  const throttled = () => new TooManyRequestsException({ message: "slow down", ...meta });
  /** The attributes of the DR user that is ours and matches `userRecord()`. */
  const ours = (): AttributeType[] => [
    { Name: "email", Value: "alice@example.com" },
    { Name: "email_verified", Value: "true" },
    { Name: "name", Value: "Alice Example" },
    { Name: "custom:canonical_id", Value: userRecord().canonicalId },
  ];

  it("a user disabled in the primary is disabled in DR too, and the change is reported", async () => {
    existing();
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(upsertDrUser(ctx, userRecord({ enabled: false }))).resolves.toEqual({ action: "updated", changes: ["disable"] });
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, { UserPoolId: DR_POOL_ID, Username: "dr-sub-1" });
    expect(cognito).not.toHaveReceivedCommand(AdminEnableUserCommand);
  });

  it("a DR user whose Enabled the response omits counts as enabled: no enable call", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
    cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", UserAttributes: ours() });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "unchanged", changes: [] });
    expect(cognito).not.toHaveReceivedCommand(AdminEnableUserCommand);
  });

  it("a failed look-up by the previous email fails the upsert instead of creating a second user under the new email", async () => {
    cognito.on(AdminGetUserCommand).rejects(throttled());
    await expect(upsertDrUser(ctx, userRecord(), { previousEmail: "old@example.com" })).rejects.toMatchObject({ reason: "THROTTLED", retryable: true });
    expect(cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
  });

  it("a failed read after UsernameExists keeps its cause; only a missing user reads as 'vanished'", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
    cognito.on(AdminGetUserCommand).rejects(throttled());
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "THROTTLED" });
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "no", ...meta }));
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ reason: "TRANSIENT", message: "user existed at create but not at read; retrying" });
  });

  it("only a missing group is a permanent GROUP_NOT_FOUND (with the AWS error as cause); a throttled group call stays retryable", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "dr-sub-1", UserStatus: "CONFIRMED" } });
    const missing = new ResourceNotFoundException({ message: "no group", ...meta });
    cognito.on(AdminAddUserToGroupCommand).rejects(missing);
    await expect(upsertDrUser(ctx, userRecord({ groups: ["ghost"] }))).rejects.toMatchObject({ reason: "GROUP_NOT_FOUND", message: expect.stringContaining('"ghost"'), cause: missing });
    cognito.on(AdminAddUserToGroupCommand).rejects(throttled());
    await expect(upsertDrUser(ctx, userRecord({ groups: ["admins"] }))).rejects.toMatchObject({ reason: "THROTTLED", retryable: true });
  });

  it("a conflict says whether the DR user belongs to someone else (naming both ids) or to nobody", async () => {
    existing({ "custom:canonical_id": "someone-else" });
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ message: expect.stringContaining(`carries canonical id someone-else, this record's is ${userRecord().canonicalId}`) });
    existing({}, true, ["custom:canonical_id"]);
    await expect(upsertDrUser(ctx, userRecord())).rejects.toMatchObject({ message: "the DR user with this email carries no canonical id" });
  });

  it("our own user in any state but FORCE_CHANGE_PASSWORD is updated in place, never deleted (that would lose its password)", async () => {
    for (const UserStatus of ["CONFIRMED", "RESET_REQUIRED", undefined] as const) {
      cognito.reset();
      cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
      cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", Enabled: true, UserStatus, UserAttributes: ours() });
      cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
      await expect(upsertDrUser(ctx, userRecord({ attributes: { ...userRecord().attributes, name: "Alice New" } }))).resolves.toEqual({ action: "updated", changes: ["attributes:1"] });
      expect(cognito).not.toHaveReceivedCommand(AdminDeleteUserCommand);
    }
  });

  it("an OldImage with the same email still takes the create path, so our FORCE_CHANGE_PASSWORD leftover is recreated", async () => {
    cognito.on(AdminCreateUserCommand).rejectsOnce(new UsernameExistsException({ message: "exists", ...meta })).resolves({ User: { Username: "dr-sub-2", UserStatus: "CONFIRMED" } });
    cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", Enabled: true, UserStatus: "FORCE_CHANGE_PASSWORD", UserAttributes: ours() });
    await expect(upsertDrUser(ctx, userRecord(), { previousEmail: "alice@example.com" })).resolves.toEqual({ action: "created", changes: ["create"] });
    expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, { Username: "dr-sub-1" });
  });

  it("an email change whose new-email user is our leftover: looked up by the old email once, removed once, created again", async () => {
    cognito.on(AdminGetUserCommand, { Username: "old@example.com" }).rejects(new UserNotFoundException({ message: "no", ...meta }));
    cognito.on(AdminGetUserCommand, { Username: "alice@example.com" }).resolves({ Username: "dr-sub-1", Enabled: true, UserStatus: "FORCE_CHANGE_PASSWORD", UserAttributes: ours() });
    cognito.on(AdminCreateUserCommand).rejectsOnce(new UsernameExistsException({ message: "exists", ...meta })).resolves({ User: { Username: "dr-sub-2", UserStatus: "CONFIRMED" } });
    await expect(upsertDrUser(ctx, userRecord(), { previousEmail: "old@example.com" })).resolves.toEqual({ action: "created", changes: ["create"] });
    const calls = cognito.calls().map((c) => `${c.args[0].constructor.name.replace(/Command$/, "")} ${(c.args[0].input as { Username?: string }).Username}`);
    expect(calls).toEqual(["AdminGetUser old@example.com", "AdminCreateUser alice@example.com", "AdminGetUser alice@example.com", "AdminDeleteUser dr-sub-1", "AdminCreateUser alice@example.com"]);
  });

  it("a user still FORCE_CHANGE_PASSWORD after being created again is deleted only once, then left to reconcile", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", ...meta }));
    cognito.on(AdminGetUserCommand).resolves({ Username: "dr-sub-1", Enabled: true, UserStatus: "FORCE_CHANGE_PASSWORD", UserAttributes: ours() });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(upsertDrUser(ctx, userRecord())).resolves.toEqual({ action: "unchanged", changes: [] });
    expect(cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 1);
    expect(cognito).toHaveReceivedCommandTimes(AdminCreateUserCommand, 2);
  });
});
