// The sandbox starts moto through sandbox/moto_server.py, which indexes users of pools
// whose usernames are email addresses. These checks hold moto's answers to what its own
// scan gives: lookups by email follow creates, email changes and deletes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { motoJson } from "./aws";
import { startMoto, type MotoServer } from "./moto";
import { motoMissing } from "./test-support";

const skip = motoMissing();
const REGION = "us-west-2";

describe.skipIf(skip)("moto with the sandbox's username index", () => {
  let moto: MotoServer;
  let pool: string;
  const idp = (op: string, input: unknown) => motoJson(moto.endpoint, "cognito-idp", REGION, op, input);
  const get = (email: string) =>
    idp("AdminGetUser", { UserPoolId: pool, Username: email }).then(
      (u: { Username: string }) => u.Username,
      (e: { code?: string }) => (e.code === "UserNotFoundException" ? undefined : Promise.reject(e as Error)),
    );
  const create = async (email: string): Promise<string> =>
    (await idp("AdminCreateUser", { UserPoolId: pool, Username: email, MessageAction: "SUPPRESS" })).User.Username;

  beforeAll(async () => {
    moto = await startMoto();
    pool = (await idp("CreateUserPool", { PoolName: "index", UsernameAttributes: ["email"] })).UserPool.Id;
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("finds users by email and by username, and refuses a second user with the same email", async () => {
    const a = await create("a@example.com");
    const b = await create("b@example.com");
    expect(await get("a@example.com")).toBe(a);
    expect(await get("b@example.com")).toBe(b);
    expect(await get(a)).toBe(a);
    await expect(create("a@example.com")).rejects.toMatchObject({ code: "UsernameExistsException" });
  });

  it("follows an email change: the new address finds the user, the old one nobody", async () => {
    const c = await create("c-old@example.com");
    await idp("AdminUpdateUserAttributes", { UserPoolId: pool, Username: c, UserAttributes: [{ Name: "email", Value: "c-new@example.com" }] });
    expect(await get("c-new@example.com")).toBe(c);
    expect(await get("c-old@example.com")).toBeUndefined();
    // The old address is free again.
    const d = await create("c-old@example.com");
    expect(d).not.toBe(c);
    expect(await get("c-old@example.com")).toBe(d);
  });

  it("forgets a deleted user", async () => {
    const e = await create("e@example.com");
    await idp("AdminDeleteUser", { UserPoolId: pool, Username: "e@example.com" });
    expect(await get("e@example.com")).toBeUndefined();
    expect(await get(e)).toBeUndefined();
    expect(await create("e@example.com")).not.toBe(e);
  });

  it("leaves pools without username attributes as they were", async () => {
    const plain = (await idp("CreateUserPool", { PoolName: "plain" })).UserPool.Id;
    await idp("AdminCreateUser", { UserPoolId: plain, Username: "alice", MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: "alice@example.com" }] });
    expect((await idp("AdminGetUser", { UserPoolId: plain, Username: "alice" })).Username).toBe("alice");
  });
});
