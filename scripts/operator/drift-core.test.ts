// drift's comparison: leaf differences by path, the email sender without its region, every
// trigger's function ARN, and the app clients of either pool that can write the canonical id.
import type { UserPoolClientType } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { canonicalIdWriters, comparePools, diffValues, poolSettings, triggers } from "./drift-core";

describe("drift comparison", () => {
  it("reports leaf differences by path", () => {
    expect(diffValues("pool", { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } }, { PasswordPolicy: { MinimumLength: 8, RequireSymbols: true } })).toEqual([
      { area: "pool", field: "PasswordPolicy.MinimumLength", primary: 12, dr: 8 },
    ]);
    expect(diffValues("pool", { Schema: [{ Name: "email", Required: true }] }, { Schema: [{ Name: "email", Required: false }] })[0].field).toBe("Schema[email].Required");
    expect(diffValues("c", { A: ["x"] }, { A: ["x", "y"] })).toEqual([{ area: "c", field: "A", primary: ["x"], dr: ["x", "y"] }]);
  });

  it("compares the email sender without the region of each pool's own SES identity", () => {
    const pool = (region: string, from: string) => ({
      EmailConfiguration: { EmailSendingAccount: "DEVELOPER" as const, From: from, SourceArn: `arn:aws:ses:${region}:111122223333:identity/example.com` },
    });
    expect(diffValues("pool", poolSettings(pool("us-east-1", "a@example.com")), poolSettings(pool("us-west-2", "a@example.com")))).toEqual([]);
    expect(diffValues("pool", poolSettings(pool("us-east-1", "a@example.com")), poolSettings(pool("us-west-2", "b@example.com")))).toEqual([
      { area: "pool", field: "EmailConfiguration.From", primary: "a@example.com", dr: "b@example.com" },
    ]);
  });

  it("sees a pool that no longer keeps the old email until the new one is verified", () => {
    const pool = (attrs: Array<"email">) => ({ UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: attrs } });
    expect(diffValues("pool", poolSettings(pool(["email"])), poolSettings(pool(["email"])))).toEqual([]);
    expect(diffValues("pool", poolSettings(pool(["email"])), poolSettings(pool([])))).toEqual([
      { area: "pool", field: "UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate", primary: ["email"], dr: [] },
    ]);
  });

  it("reads every trigger's function ARN", () => {
    expect(
      triggers({
        LambdaConfig: {
          PostConfirmation: "arn:aws:lambda:us-east-1:1:function:pc",
          PreTokenGeneration: "arn:aws:lambda:us-east-1:1:function:pt",
          PreTokenGenerationConfig: { LambdaArn: "arn:aws:lambda:us-east-1:1:function:pt", LambdaVersion: "V2_0" },
          KMSKeyID: "k",
        },
      }),
    ).toEqual({ PostConfirmation: "arn:aws:lambda:us-east-1:1:function:pc", PreTokenGenerationConfig: "arn:aws:lambda:us-east-1:1:function:pt" });
  });
});

describe("app clients that can write the canonical id", () => {
  const clients = (list: UserPoolClientType[]) => new Map(list.map((c) => [c.ClientName!, c]));

  it("flags a client listing custom:canonical_id, and one without WriteAttributes (which writes everything)", () => {
    const found = canonicalIdWriters(
      "dr",
      clients([
        { ClientName: "web", ClientId: "c-web", WriteAttributes: ["email", "name"] },
        { ClientName: "admin-ui", ClientId: "c-admin", WriteAttributes: ["email", "custom:canonical_id"] },
        { ClientName: "legacy", ClientId: "c-legacy" },
        { ClientName: "emptied", ClientId: "c-empty", WriteAttributes: [] },
        { ClientName: "tiers", ClientId: "c-tiers", WriteAttributes: ["custom:canonical_id_old", "custom:tier"] },
      ]),
    );
    expect(found).toEqual([
      { pool: "dr", client: "admin-ui", clientId: "c-admin", why: "WriteAttributes lists custom:canonical_id" },
      { pool: "dr", client: "emptied", clientId: "c-empty", why: "no WriteAttributes: the client can write every attribute, custom:canonical_id included" },
      { pool: "dr", client: "legacy", clientId: "c-legacy", why: "no WriteAttributes: the client can write every attribute, custom:canonical_id included" },
    ]);
  });

  it("uses the configured attribute name", () => {
    const list = clients([{ ClientName: "app", WriteAttributes: ["custom:primary_sub"] }]);
    expect(canonicalIdWriters("primary", list, "primary_sub")).toHaveLength(1);
    expect(canonicalIdWriters("primary", list)).toEqual([]);
  });

  it("comparePools reports them for either pool, even when both pools have the same client", async () => {
    const pool = (region: string, appClients: UserPoolClientType[]) => ({
      async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
        switch (cmd.constructor.name) {
          case "DescribeUserPoolCommand":
            return { UserPool: { Id: `${region}_P`, LambdaConfig: {} } };
          case "ListUserPoolClientsCommand":
            return { UserPoolClients: appClients.map((c) => ({ ClientId: c.ClientId, ClientName: c.ClientName })) };
          case "DescribeUserPoolClientCommand":
            return { UserPoolClient: appClients.find((c) => c.ClientId === cmd.input.ClientId) };
          default:
            throw new Error(`unexpected ${cmd.constructor.name}`);
        }
      },
    });
    const app = { ClientName: "app", ClientId: "c1", WriteAttributes: ["email"] };
    const open = { ClientName: "partner", ClientId: "c2" };
    const lambda = { send: async () => ({}) };
    const result = await comparePools({
      primary: { cognito: pool("us-east-1", [app, open]), lambda, poolId: "us-east-1_P", region: "us-east-1" },
      dr: { cognito: pool("us-west-2", [app, open]), lambda, poolId: "us-west-2_P", region: "us-west-2" },
    });
    expect(result.differences).toEqual([]);
    expect(result.canonicalIdWriters.map((w) => `${w.pool} ${w.client}`)).toEqual(["primary partner", "dr partner"]);
  });
});

describe("triggers present in one pool by design", () => {
  const fn = (region: string, name: string) => `arn:aws:lambda:${region}:1:function:${name}`;
  const pool = (region: string, lambdaConfig: Record<string, string>) => ({
    async send(cmd: { constructor: { name: string } }): Promise<unknown> {
      if (cmd.constructor.name === "DescribeUserPoolCommand") return { UserPool: { Id: `${region}_P`, LambdaConfig: lambdaConfig } };
      if (cmd.constructor.name === "ListUserPoolClientsCommand") return { UserPoolClients: [] };
      throw new Error(`unexpected ${cmd.constructor.name}`);
    },
  });
  const lambda = { send: async () => ({ Configuration: { CodeSha256: "same", Runtime: "nodejs22.x", Handler: "index.handler" } }) };
  const compare = (p: Record<string, string>, d: Record<string, string>, more: { primaryOnlyTriggers?: string[] } = {}) =>
    comparePools({
      primary: { cognito: pool("us-east-1", p), lambda, poolId: "us-east-1_P", region: "us-east-1" },
      dr: { cognito: pool("us-west-2", d), lambda, poolId: "us-west-2_P", region: "us-west-2" },
      ...more,
    });

  it("the DR pool's PreSignUp (D7) is expected, not drift, and says so in a note", async () => {
    const result = await compare({ PostConfirmation: fn("us-east-1", "pc") }, { PreSignUp: fn("us-west-2", "psu") });
    expect(result.differences).toEqual([]);
    expect(result.notes.some((n) => n.startsWith("PreSignUp is configured in the DR pool only"))).toBe(true);
  });

  it("any other trigger in one pool only is still drift: PreSignUp in the primary, another trigger in DR only", async () => {
    const result = await compare({ PreSignUp: fn("us-east-1", "psu") }, { PreSignUp: fn("us-west-2", "psu"), CustomMessage: fn("us-west-2", "cm") });
    expect(result.differences).toEqual([{ area: "trigger:CustomMessage", field: "(configured)", primary: null, dr: fn("us-west-2", "cm") }]);
    const primaryOnly = await compare({ PreSignUp: fn("us-east-1", "psu") }, {});
    expect(primaryOnly.differences).toEqual([{ area: "trigger:PreSignUp", field: "(configured)", primary: fn("us-east-1", "psu"), dr: null }]);
  });

  it("two-way (no primary-only triggers): a PostConfirmation missing from the DR pool is drift", async () => {
    const result = await compare({ PostConfirmation: fn("us-east-1", "pc") }, { PreSignUp: fn("us-west-2", "psu") }, { primaryOnlyTriggers: [] });
    expect(result.differences.map((d) => d.area)).toEqual(["trigger:PostConfirmation"]);
  });
});
