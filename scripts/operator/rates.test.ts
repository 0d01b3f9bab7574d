// The rate flags and the limiter they configure (the core's, handlers/replication/rate-limit.ts):
// defaults at 80 % of Cognito's quotas, overrides, each call metered in its quota category.
import { DescribeUserPoolCommand, ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { categoryOf } from "../../handlers/replication/cognito-quotas";
import { RegionLimiter, TokenBucket } from "../../handlers/replication/rate-limit";
import { usage } from "../../test/support/cli-io";
import { rateLimits } from "./rates";

describe("rate flags", () => {
  it("rates default to 80 % of Cognito's quotas and are overridable", () => {
    expect(rateLimits({})).toEqual({ UserList: 24, UserCreation: 40, UserUpdate: 20, UserRead: 96 });
    expect(rateLimits({ "quota-share": "0.5", "create-rate": "7" })).toEqual({ UserList: 15, UserCreation: 7, UserUpdate: 12.5, UserRead: 60 });
    expect(usage(() => rateLimits({ "quota-share": "2" }))).toBe('--quota-share must be a number between 0.01 and 1 (got "2")');
    expect(usage(() => rateLimits({ "list-rate": "fast" }))).toBe('--list-rate must be a number >= 0.1 (got "fast")');
  });

  it("maps Cognito operations to their quota category", () => {
    expect(categoryOf("AdminCreateUserCommand")).toBe("UserCreation");
    expect(categoryOf("AdminAddUserToGroup")).toBe("UserUpdate");
    expect(categoryOf("ListUsersInGroupCommand")).toBe("UserList");
    expect(categoryOf("AdminListGroupsForUserCommand")).toBe("UserRead");
    expect(categoryOf("DescribeUserPoolCommand")).toBeUndefined();
  });
});

describe("rate limiting", () => {
  it("a token bucket spaces requests at its rate", async () => {
    let t = 0;
    const b = new TokenBucket(10, 1, () => t, async (ms) => void (t += ms));
    for (let i = 0; i < 21; i++) await b.take();
    expect(t).toBeCloseTo(2000, -1);
    expect(b.achieved(0, t)).toBeCloseTo(10.5, 0);
  });

  it("wraps a client so each call takes a token of its category", async () => {
    const calls: string[] = [];
    const client = { send: async (c: { constructor: { name: string } }) => void calls.push(c.constructor.name), other: 1 };
    const l = new RegionLimiter("us-east-1", { UserList: 1000, UserCreation: 1000, UserUpdate: 1000, UserRead: 1000 });
    const wrapped = l.wrap(client as never) as typeof client;
    await wrapped.send(new ListUserPoolsCommand({ MaxResults: 1 }));
    await wrapped.send(new DescribeUserPoolCommand({ UserPoolId: "x" }));
    expect(calls).toEqual(["ListUserPoolsCommand", "DescribeUserPoolCommand"]);
    expect(wrapped.other).toBe(1);
    expect(l.report()).toEqual([]); // neither is a metered user operation
  });
});
