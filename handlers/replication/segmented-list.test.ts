// The segmented listing against a mocked ListUsers that honours `sub ^=` and `email ^=` filters and
// pages of 60 with opaque tokens: every segment listed once and completely, each segment's pages in
// token order, never more requests in flight than the concurrency derived from the rate, a
// caller's filter as one sequential walk, resumption, and errors that name the segment.
import { CognitoIdentityProviderClient, ListUsersCommand, type ListUsersCommandInput, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { HEX_SEGMENTS, listingConcurrency, listSegmented, segmentsFor, type SegmentPage } from "./segmented-list";

const cognitoMock = mockClient(CognitoIdentityProviderClient);
const cognito = new CognitoIdentityProviderClient({ region: "us-east-1" });

const users: UserType[] = Array.from({ length: 2000 }, (_, i) => ({
  Username: `u${i}`,
  Attributes: [
    { Name: "sub", Value: randomUUID() },
    { Name: "email", Value: `${i % 3 === 0 ? "vip" : "user"}-${i}@example.com` },
  ],
}));
const attr = (u: UserType, name: string) => u.Attributes!.find((a) => a.Name === name)!.Value!;

interface Served {
  input: ListUsersCommandInput;
}
let served: Served[];
let inFlight: number;
let maxInFlight: number;

/** ListUsers over `users` as Cognito answers it (one attribute filter, = or ^=, 60 a page). */
function serve(delayMs = 1, fail?: (input: ListUsersCommandInput) => Error | undefined) {
  cognitoMock.on(ListUsersCommand).callsFake(async (input: ListUsersCommandInput) => {
    served.push({ input });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, delayMs));
      const error = fail?.(input);
      if (error) throw error;
      const m = input.Filter ? /^(\w+) (=|\^=) "(.*)"$/.exec(input.Filter) : null;
      if (input.Filter && !m) throw Object.assign(new Error("Error while parsing filter"), { name: "InvalidParameterException" });
      const matching = m ? users.filter((u) => (m[2] === "=" ? attr(u, m[1]) === m[3] : attr(u, m[1]).startsWith(m[3]))) : users;
      // An opaque token carrying the filter, so a token used with another filter is caught.
      const start = input.PaginationToken ? JSON.parse(Buffer.from(input.PaginationToken, "base64").toString()) : { at: 0, filter: input.Filter };
      expect(start.filter).toBe(input.Filter);
      const end = start.at + (input.Limit ?? 60);
      const next = end < matching.length ? Buffer.from(JSON.stringify({ at: end, filter: input.Filter })).toString("base64") : undefined;
      return { Users: matching.slice(start.at, end), PaginationToken: next };
    } finally {
      inFlight--;
    }
  });
}

beforeEach(() => {
  cognitoMock.reset();
  served = [];
  inFlight = 0;
  maxInFlight = 0;
});

describe("segmented listing", () => {
  it("lists every segment once and completely, each segment's pages in token order", async () => {
    serve();
    const pages: SegmentPage[] = [];
    const summary = await listSegmented(cognito, "p", { targetRate: 30, onPage: (p) => void pages.push(p) });
    const listed = pages.flatMap((p) => p.users.map((u) => u.Username));
    expect(listed).toHaveLength(users.length);
    expect(new Set(listed).size).toBe(users.length);
    // Every page of a segment holds only that segment's subs; the first request of each segment has no token.
    for (const p of pages) for (const u of p.users) expect(attr(u, "sub").startsWith(p.segment)).toBe(true);
    const firsts = served.filter((s) => !s.input.PaginationToken).map((s) => s.input.Filter);
    expect(firsts.sort()).toEqual(HEX_SEGMENTS.map((s) => `sub ^= "${s}"`).sort());
    // Token order: each request of a segment carries the token the previous page of that segment returned.
    for (const segment of HEX_SEGMENTS) {
      const mine = pages.filter((p) => p.segment === segment);
      const requests = served.filter((s) => s.input.Filter === `sub ^= "${segment}"`).map((s) => s.input.PaginationToken);
      expect(requests).toEqual([undefined, ...mine.slice(0, -1).map((p) => p.nextToken)]);
      expect(mine.at(-1)?.nextToken).toBeUndefined();
    }
    expect(summary).toEqual({ segments: 16, concurrency: listingConcurrency(30, 0.15, 16), pages: pages.length, users: users.length });
  });

  it("keeps no more requests in flight than Little's law asks for the target rate", async () => {
    expect(listingConcurrency(30, 0.15, 16)).toBe(6); // ceil(4.5) + 1
    expect(listingConcurrency(24, 0.1, 16)).toBe(4);
    expect(listingConcurrency(1000, 1, 16)).toBe(16); // never more than the segments
    expect(listingConcurrency(0.5, 0.05, 16)).toBe(2);
    expect(listingConcurrency(30, 0.15, 1)).toBe(1);
    expect(() => listingConcurrency(0, 0.1, 16)).toThrow(/target rate must be a positive number/);
    serve(3);
    const summary = await listSegmented(cognito, "p", { targetRate: 10, pageSeconds: 0.2, onPage: () => undefined });
    expect(summary.concurrency).toBe(3);
    expect(maxInFlight).toBe(3);
  });

  it("walks a caller's filter as one sequential listing (no sub prefix can be added to it)", async () => {
    serve();
    const pages: SegmentPage[] = [];
    const summary = await listSegmented(cognito, "p", { targetRate: 30, filter: 'email ^= "vip-"', onPage: (p) => void pages.push(p) });
    expect(served.map((s) => s.input.Filter)).toEqual(served.map(() => 'email ^= "vip-"'));
    expect(maxInFlight).toBe(1);
    expect(pages.flatMap((p) => p.users)).toHaveLength(667);
    expect(summary).toMatchObject({ segments: 1, concurrency: 1, users: 667 });
    expect(segmentsFor({ filter: 'email ^= "x"', segments: HEX_SEGMENTS })).toEqual([""]);
  });

  it("resumes each segment where it stopped and skips finished ones", async () => {
    serve();
    const first: SegmentPage[] = [];
    await listSegmented(cognito, "p", { targetRate: 30, segments: ["a"], onPage: (p) => void first.push(p) });
    expect(first.length).toBeGreaterThan(1);
    served = [];
    const rest: SegmentPage[] = [];
    const start = { a: { token: first[0].nextToken }, b: { done: true } };
    await listSegmented(cognito, "p", { targetRate: 30, segments: ["a", "b"], start, onPage: (p) => void rest.push(p) });
    expect(rest.map((p) => p.users.map((u) => u.Username))).toEqual(first.slice(1).map((p) => p.users.map((u) => u.Username)));
    expect(served.every((s) => s.input.Filter === 'sub ^= "a"')).toBe(true);
  });

  it("rejects with the failing segment named, its AWS error name kept, and handles no page after", async () => {
    serve(1, (input) => (input.Filter === 'sub ^= "7"' && input.PaginationToken ? Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" }) : undefined));
    let afterFailure = false;
    let failed = false;
    const run = listSegmented(cognito, "us-east-1_P", {
      targetRate: 30,
      onPage: () => {
        if (failed) afterFailure = true;
      },
    }).catch((err: Error) => {
      failed = true;
      throw err;
    });
    await expect(run).rejects.toMatchObject({ name: "TooManyRequestsException", segment: "7", message: 'listing pool us-east-1_P, segment sub ^= "7", page 2: Rate exceeded' });
    expect(afterFailure).toBe(false);
  });

  it("refuses segments that are not sub prefixes, or overlap", () => {
    expect(() => segmentsFor({ segments: ['a" or "'] })).toThrow(/is not a sub prefix/);
    expect(() => segmentsFor({ segments: ["a", "ab"] })).toThrow(/overlap/);
    expect(() => segmentsFor({ segments: [] })).toThrow(/at least one segment/);
  });
});
