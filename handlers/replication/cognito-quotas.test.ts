// The quota table is AWS's data, so these tests check what can be checked without copying it:
// every operation it names is a real user-pool API (the SDK has its command), each is in one
// category and at most one per-user set, and every call the upsert makes is metered, per account
// and per user, as AWS meters it (reads against the user's read quota, changes against its write quota).
import * as cognito from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { UPSERT_COGNITO_ACTIONS } from "../contract";
import { CATEGORY_OF, categoryOf, COGNITO_QUOTAS, PER_USER_READ, PER_USER_WRITE } from "./cognito-quotas";

const commands = cognito as unknown as Record<string, unknown>;
const upsertOps = UPSERT_COGNITO_ACTIONS.map((a) => a.replace("cognito-idp:", ""));

describe("Cognito's quota table", () => {
  it("names only real user-pool operations (the SDK has a command for each)", () => {
    const named = [...Object.keys(CATEGORY_OF), ...PER_USER_READ, ...PER_USER_WRITE];
    expect(named.filter((op) => typeof commands[`${op}Command`] !== "function")).toEqual([]);
  });

  it("gives every category a positive default rate", () => {
    expect(Object.values(CATEGORY_OF).filter((c) => !(COGNITO_QUOTAS[c] > 0))).toEqual([]);
  });

  it("keeps the per-user read and write sets apart", () => {
    expect([...PER_USER_READ].filter((op) => PER_USER_WRITE.has(op))).toEqual([]);
  });

  it("meters every call the upsert makes against an account category", () => {
    expect(upsertOps.filter((op) => categoryOf(op) === undefined)).toEqual([]);
    expect(categoryOf("AdminCreateUserCommand")).toBe("UserCreation");
  });

  it("meters every upsert call on an existing user against that user's read or write quota", () => {
    const onExisting = upsertOps.filter((op) => op !== "AdminCreateUser");
    const reads = onExisting.filter((op) => /^Admin(Get|List)/.test(op));
    const writes = onExisting.filter((op) => !reads.includes(op));
    expect(reads.filter((op) => !PER_USER_READ.has(op))).toEqual([]);
    expect(writes.filter((op) => !PER_USER_WRITE.has(op))).toEqual([]);
    expect(PER_USER_READ.has("AdminCreateUser") || PER_USER_WRITE.has("AdminCreateUser")).toBe(false);
  });
});
