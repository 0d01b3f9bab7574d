// The sandbox starts moto through sandbox/moto_server.py, which indexes users of pools
// whose usernames are email addresses. These checks hold moto's answers to what its own
// scan gives: lookups by email follow creates, email changes and deletes. It also lists a
// pool's users in O(page) per page (O(matches) for a sub filter): checked below for answers
// (every user once, deletions during a listing, tokens, errors) and for cost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpCall, motoJson } from "./aws";
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

  // The username index is rebuilt after a deletion or an email change; the sub index must not be
  // touched by that (it was: every user then listed twice by segment, and reconcile deleted each
  // DR "twin" — the real user — and made it again).
  it("lists every user once by sub segment after deletions and email changes rebuilt the username index", async () => {
    for (const email of ["f@example.com", "g@example.com", "h@example.com"]) await create(email);
    await idp("AdminDeleteUser", { UserPoolId: pool, Username: "g@example.com" });
    await idp("AdminUpdateUserAttributes", { UserPoolId: pool, Username: "h@example.com", UserAttributes: [{ Name: "email", Value: "h-new@example.com" }] });
    expect(await get("f@example.com")).toBeDefined(); // rebuilds the username index
    const whole = (await idp("ListUsers", { UserPoolId: pool })).Users as { Username: string }[];
    const bySegment: string[] = [];
    for (const p of "0123456789abcdef") bySegment.push(...((await idp("ListUsers", { UserPoolId: pool, Filter: `sub ^= "${p}"` })).Users as { Username: string }[]).map((u) => u.Username));
    expect(new Set(bySegment).size).toBe(bySegment.length);
    expect(bySegment.sort()).toEqual(whole.map((u) => u.Username).sort());
  });

  it("leaves pools without username attributes as they were", async () => {
    const plain = (await idp("CreateUserPool", { PoolName: "plain" })).UserPool.Id;
    await idp("AdminCreateUser", { UserPoolId: plain, Username: "alice", MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: "alice@example.com" }] });
    expect((await idp("AdminGetUser", { UserPoolId: plain, Username: "alice" })).Username).toBe("alice");
  });
});

describe.skipIf(skip)("ListUsers in the sandbox's moto", () => {
  const USERS = 1200;
  const SEGMENTS = [..."0123456789abcdef"];
  let moto: MotoServer;
  let pool: string;
  /** Every user's username -> sub, in creation order (after beforeAll). */
  const created = new Map<string, string>();
  const idp = (op: string, input: unknown) => motoJson(moto.endpoint, "cognito-idp", REGION, op, input);
  type User = { Username: string; Attributes: { Name: string; Value: string }[] };
  type Page = { Users: User[]; PaginationToken?: string };
  const sub = (u: User) => u.Attributes.find((a) => a.Name === "sub")?.Value;

  /** One page, and how many users moto looked at for it (the patch's count; NaN without it). */
  async function page(input: Record<string, unknown>): Promise<Page & { examined: number }> {
    const body = Buffer.from(JSON.stringify({ UserPoolId: pool, ...input }));
    const res = await httpCall(moto.endpoint, "POST", "/", {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSCognitoIdentityProviderService.ListUsers",
      authorization: `AWS4-HMAC-SHA256 Credential=sandbox/20260101/${REGION}/cognito-idp/aws4_request, SignedHeaders=host, Signature=0`,
      "x-sandbox-count-work": "1",
    }, body);
    const json = JSON.parse(res.body.toString()) as Page & { __type?: string; message?: string };
    if (res.status !== 200) throw Object.assign(new Error(json.message), { code: json.__type });
    return { ...json, examined: Number(res.headers["x-sandbox-count-work"]) };
  }

  async function listAll(input: Record<string, unknown> = {}): Promise<{ users: User[]; pages: (Page & { examined: number })[] }> {
    const pages: (Page & { examined: number })[] = [];
    let token: string | undefined;
    do {
      const p = await page({ ...input, ...(token ? { PaginationToken: token } : {}) });
      pages.push(p);
      token = p.PaginationToken;
    } while (token);
    return { users: pages.flatMap((p) => p.Users), pages };
  }

  async function create(username: string): Promise<string> {
    const user = (await idp("AdminCreateUser", { UserPoolId: pool, Username: username, MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] })).User as User;
    created.set(username, sub(user)!);
    return username;
  }

  beforeAll(async () => {
    moto = await startMoto();
    pool = (await idp("CreateUserPool", { PoolName: "listing" })).UserPool.Id;
    // Eight at a time, so creation order is moto's to tell: an email filter is moto's own code,
    // which keeps its users in creation order.
    for (let i = 0; i < USERS; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, USERS - i) }, (_, k) => create(`user-${String(i + k).padStart(5, "0")}`)));
    }
    const inOrder = (await listAll({ Filter: 'email ^= "user-"' })).users.map((u) => u.Username);
    expect(inOrder.slice().sort()).toEqual([...created.keys()].sort());
    const subs = new Map(created);
    created.clear();
    for (const u of inOrder) created.set(u, subs.get(u)!);
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("lists every user once, in creation order, in pages of Limit (default 60), the last without a token", async () => {
    const { users, pages } = await listAll();
    expect(users.map((u) => u.Username)).toEqual([...created.keys()]);
    expect(pages.map((p) => p.Users.length)).toEqual(Array(USERS / 60).fill(60));
    expect(pages.at(-1)!.PaginationToken).toBeUndefined();
    const seven = await listAll({ Limit: 7 });
    expect(seven.users.map((u) => u.Username)).toEqual([...created.keys()]);
    expect(seven.pages.slice(0, -1).every((p) => p.Users.length === 7)).toBe(true);
    // The same token asked twice (a retried call) gives the same page.
    const again = await page({ Limit: 7, PaginationToken: seven.pages[3]!.PaginationToken });
    expect(again.Users).toEqual(seven.pages[4]!.Users);
  });

  it("lists 16 sub-prefix segments in parallel that cover the pool exactly once; sub = finds one user", async () => {
    const segments = await Promise.all(SEGMENTS.map((p) => listAll({ Filter: `sub ^= "${p}"`, Limit: 60 })));
    segments.forEach((s, i) => expect(s.users.every((u) => sub(u)!.startsWith(SEGMENTS[i]!))).toBe(true));
    const all = segments.flatMap((s) => s.users.map((u) => u.Username));
    expect(all.sort()).toEqual([...created.keys()].sort());
    // Within a segment, moto's order: creation order.
    const order = [...created.keys()];
    for (const s of segments) expect(s.users.map((u) => order.indexOf(u.Username))).toEqual(s.users.map((u) => order.indexOf(u.Username)).sort((a, b) => a - b));
    const [name, id] = [...created.entries()][321]!;
    expect((await listAll({ Filter: `sub = "${id}"` })).users.map((u) => u.Username)).toEqual([name]);
    expect((await listAll({ Filter: `sub = "${id.slice(0, 8)}"` })).users).toEqual([]);
    // Another attribute's filter: moto's own.
    expect((await listAll({ Filter: `email ^= "user-0012"` })).users.map((u) => u.Username)).toEqual(order.filter((n) => n.startsWith("user-0012")));
  });

  it("skips users deleted during a listing and leaves out users created during it", async () => {
    const first = await page({ Limit: 60 });
    const order = [...created.keys()];
    // The first user of the next page among them: the token must not depend on it.
    const doomed = [order[60]!, order[61]!, order[500]!, order[1199]!];
    for (const u of doomed) {
      await idp("AdminDeleteUser", { UserPoolId: pool, Username: u });
      created.delete(u);
    }
    const late = await create("user-late");
    let token = first.PaginationToken;
    const rest: User[] = [];
    while (token) {
      const p = await page({ Limit: 60, PaginationToken: token });
      rest.push(...p.Users);
      token = p.PaginationToken;
    }
    const listed = [...first.Users, ...rest].map((u) => u.Username);
    expect(listed).toEqual(order.filter((u) => !doomed.includes(u)));
    expect(listed).not.toContain(late);
    // A listing begun now sees the new user and not the deleted ones, by segment too.
    expect((await listAll()).users.map((u) => u.Username)).toEqual([...created.keys()]);
    const segments = await Promise.all(SEGMENTS.map((p) => listAll({ Filter: `sub ^= "${p}"` })));
    expect(segments.flatMap((s) => s.users.map((u) => u.Username)).sort()).toEqual([...created.keys()].sort());
  });

  it("answers moto's errors: bad token, token of another filter, unknown pool, bad filter", async () => {
    const first = await page({ Limit: 10 });
    await expect(page({ PaginationToken: "not-a-token" })).rejects.toMatchObject({ code: "InvalidToken", message: "Invalid Token: Invalid token" });
    await expect(page({ PaginationToken: first.PaginationToken, Filter: 'sub ^= "a"' })).rejects.toMatchObject({ code: "InvalidToken" });
    await expect(page({ UserPoolId: `${REGION}_nope` })).rejects.toMatchObject({ code: "ResourceNotFoundException" });
    await expect(page({ Filter: 'shoe_size = "9"' })).rejects.toMatchObject({ code: "InvalidParameterException", message: "Invalid search attribute: shoe_size" });
    await expect(page({ Filter: "sub ^= a" })).rejects.toMatchObject({ code: "InvalidParameterException", message: "Error while parsing filter" });
  });

  // Why a count and not a clock: on a loaded two-core machine a per-page time flakes, while the
  // number of users the listing looks at is exact. Unpatched moto scans the whole pool for every
  // page (pages x N in all; for 16 segments 16 x that); it sends no count, so this fails there.
  it("costs O(N) for a whole listing and O(matches) for a sub segment, not O(N) per page", async () => {
    const n = created.size;
    const { pages } = await listAll({ Limit: 60 });
    expect(pages.every((p) => Number.isInteger(p.examined))).toBe(true);
    // The first page takes the listing's snapshot (n); every later page looks at its own users.
    expect(pages[0]!.examined).toBeLessThanOrEqual(n + 61);
    for (const p of pages.slice(1)) expect(p.examined).toBeLessThanOrEqual(61);
    const segments = await Promise.all(SEGMENTS.map((p) => listAll({ Filter: `sub ^= "${p}"`, Limit: 60 })));
    const total = segments.flatMap((s) => s.pages).reduce((a, p) => a + p.examined, 0);
    // Each segment: a binary search (log2 n) and its matches twice (index, then pages).
    expect(total).toBeLessThanOrEqual(2 * n + SEGMENTS.length * (Math.log2(n) + 4));
  });
});
