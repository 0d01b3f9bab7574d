// The limiter that keeps the operator tools and the scheduled reconcile inside their share of
// Cognito's quotas: categories, bucket sizing, refill arithmetic on a fake clock, and the wrapper.
import { AdminGetUserCommand, CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
// (categoryOf is covered by scripts/operator/rates.test.ts.)
import { COGNITO_QUOTAS } from "./cognito-quotas";
import { RegionLimiter, TokenBucket } from "./rate-limit";

describe("TokenBucket", () => {
  function clocked(rate: number, burst?: number) {
    let t = 1_000;
    const sleeps: number[] = [];
    const b = new TokenBucket(rate, burst, () => t, async (ms) => {
      sleeps.push(ms);
      t += ms;
    });
    return { b, sleeps, advance: (ms: number) => (t += ms), now: () => t };
  }

  it("holds a fifth of a second of requests by default, at least one", () => {
    expect(new TokenBucket(50).burst).toBe(10);
    expect(new TokenBucket(3).burst).toBe(1);
    expect(new TokenBucket(0.5).burst).toBe(1);
  });

  it("refuses a rate that is not a positive number, saying which", () => {
    for (const bad of [0, -1, Number.NaN]) expect(() => new TokenBucket(bad)).toThrow(new RangeError(`a rate must be a positive number (got ${bad})`));
    expect(() => new TokenBucket(0.01)).not.toThrow();
  });

  it("refills at its rate: waits exactly for the missing part of a token", async () => {
    const { b, sleeps, advance } = clocked(10, 1);
    await b.take(); // the burst token
    advance(50); // half a token back at 10/s
    await b.take();
    expect(sleeps).toEqual([50]);
    advance(1_000); // a full second refills only up to the burst
    await b.take();
    await b.take();
    expect(sleeps).toEqual([50, 100]);
    expect(b.taken).toBe(4);
  });

  it("reports the rate achieved over a window, and 0 for an empty one", async () => {
    const { b, now } = clocked(1_000, 5);
    for (let i = 0; i < 5; i++) await b.take();
    expect(b.achieved(now() - 2_000, now())).toBe(2.5);
    expect(b.achieved(now(), now())).toBe(0);
  });
});

describe("RegionLimiter", () => {
  const rates = { UserCreation: 1_000, UserUpdate: 1_000, UserRead: 1_000, UserList: 1_000 };

  it("takes a token of the command's category before each send, and passes everything else through", async () => {
    const sent: string[] = [];
    class AdminGetUserCommand {}
    class DescribeUserPoolCommand {}
    const client = { region: "us-west-2", send: async (c: object) => void sent.push(c.constructor.name) };
    const limiter = new RegionLimiter("us-west-2", rates);
    const wrapped = limiter.wrap(client as never) as typeof client;
    await wrapped.send(new AdminGetUserCommand());
    await wrapped.send(new AdminGetUserCommand());
    await wrapped.send(new DescribeUserPoolCommand());
    expect(sent).toEqual(["AdminGetUserCommand", "AdminGetUserCommand", "DescribeUserPoolCommand"]);
    expect(wrapped.region).toBe("us-west-2");
    expect([...limiter.buckets.keys()]).toEqual(["UserRead"]);
    expect(limiter.bucket("UserRead")!.taken).toBe(2);
  });

  it("meters no category it has no rate for (AdminSetUserPassword: UserAccountRecovery)", async () => {
    const sent: string[] = [];
    class AdminSetUserPasswordCommand {}
    const client = { send: async (c: object) => void sent.push(c.constructor.name) };
    const limiter = new RegionLimiter("us-east-1", rates);
    const wrapped = limiter.wrap(client as never) as typeof client;
    await wrapped.send(new AdminSetUserPasswordCommand());
    expect(sent).toEqual(["AdminSetUserPasswordCommand"]);
    expect(limiter.bucket("UserAccountRecovery")).toBeUndefined();
    expect(limiter.buckets.size).toBe(0);
  });

  it("reports per category the requests, the rate achieved and its fraction of the bound", async () => {
    const limiter = new RegionLimiter("us-east-1", { ...rates, UserList: 4 });
    const b = limiter.bucket("UserList")!;
    await b.take();
    await b.take();
    const since = 0;
    expect(limiter.report(since + 1_000, since)).toEqual([{ region: "us-east-1", category: "UserList", bound: 4, quota: COGNITO_QUOTAS.UserList, requests: 2, achieved: 2, fractionOfBound: 0.5 }]);
  });
});

describe("RegionLimiter.attach (the replicator's client)", () => {
  // An HTTP handler answering Cognito's 500 InternalErrorException `failures` times, then a user.
  function flakyCognito(failures: number) {
    let calls = 0;
    const answer = (status: number, body: object) => ({ response: { statusCode: status, headers: { "content-type": "application/x-amz-json-1.1" }, body: new TextEncoder().encode(JSON.stringify(body)) } });
    const requestHandler = {
      handle: async () => (++calls <= failures ? answer(500, { __type: "InternalErrorException", message: "injected" }) : answer(200, { Username: "u1", UserAttributes: [] })),
    };
    const client = new CognitoIdentityProviderClient({ region: "us-west-2", credentials: { accessKeyId: "k", secretAccessKey: "s" }, maxAttempts: 3, requestHandler: requestHandler as never });
    return { client, calls: () => calls };
  }

  it("takes a token for every attempt, the SDK's retries included, so retries stay inside the share", async () => {
    const { client, calls } = flakyCognito(2);
    const limiter = new RegionLimiter("us-west-2", { UserRead: 1_000 });
    await limiter.attach(client).send(new AdminGetUserCommand({ UserPoolId: "us-west-2_x", Username: "u1" }));
    expect(calls()).toBe(3);
    expect(limiter.bucket("UserRead")!.taken).toBe(3);
  });

  it("meters nothing it has no rate for", async () => {
    const { client, calls } = flakyCognito(0);
    const limiter = new RegionLimiter("us-west-2", {});
    await limiter.attach(client).send(new AdminGetUserCommand({ UserPoolId: "us-west-2_x", Username: "u1" }));
    expect(calls()).toBe(1);
    expect(limiter.buckets.size).toBe(0);
  });
});

describe("RegionLimiter.limit (every caller's entry)", () => {
  it("meters an SDK client per attempt and anything else per command", async () => {
    let calls = 0;
    const requestHandler = {
      handle: async () => ({
        response: {
          statusCode: ++calls === 1 ? 500 : 200,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: new TextEncoder().encode(JSON.stringify(calls === 1 ? { __type: "InternalErrorException", message: "injected" } : { Username: "u1", UserAttributes: [] })),
        },
      }),
    };
    const sdk = new CognitoIdentityProviderClient({ region: "us-west-2", credentials: { accessKeyId: "k", secretAccessKey: "s" }, maxAttempts: 3, requestHandler: requestHandler as never });
    const perAttempt = new RegionLimiter("us-west-2", { UserRead: 1_000 });
    await perAttempt.limit(sdk).send(new AdminGetUserCommand({ UserPoolId: "us-west-2_x", Username: "u1" }));
    expect([calls, perAttempt.bucket("UserRead")!.taken]).toEqual([2, 2]);

    const fake = { send: async (_c: unknown) => ({}) };
    const perCommand = new RegionLimiter("us-west-2", { UserRead: 1_000 });
    await perCommand.limit(fake as never as typeof fake).send(new AdminGetUserCommand({ UserPoolId: "us-west-2_x", Username: "u1" }));
    expect(perCommand.bucket("UserRead")!.taken).toBe(1);
  });
});
