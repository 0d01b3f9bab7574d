// A user created without a password in a passwordless pool goes straight to CONFIRMED in AWS
// ("Users without passwords are automatically confirmed", Cognito developer guide, "Creating user
// accounts as administrator"). Readers running alongside the creates (as replication does) must
// never see the user in another state, not even for a moment.
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  type UserType,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSigV4 } from "./aws";
import { CognitoPlugin } from "./cognito";
import { startGateway, type Gateway } from "./gateway";
import { startMoto, type MotoServer } from "./moto";
import { motoMissing } from "./test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const USERS = 60;
const CREATORS = 6;

describe.skipIf(skip)("passwordless AdminCreateUser under concurrent reads", () => {
  let moto: MotoServer;
  let gw: Gateway;
  let cognito: CognitoPlugin;
  let pool: string;
  let client: string;
  let idp: CognitoIdentityProviderClient;

  beforeAll(async () => {
    moto = await startMoto();
    cognito = new CognitoPlugin({ motoEndpoint: moto.endpoint, regions: [REGION] });
    gw = await startGateway({ port: 0, motoEndpoint: moto.endpoint, plugins: [cognito], defaultRegion: REGION });
    idp = new CognitoIdentityProviderClient({ endpoint: gw.endpoint, region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" }, maxAttempts: 1 });
    pool = (
      await idp.send(
        new CreateUserPoolCommand({
          PoolName: "passwordless",
          UserPoolTier: "ESSENTIALS",
          UsernameAttributes: ["email"],
          Policies: { SignInPolicy: { AllowedFirstAuthFactors: ["EMAIL_OTP"] } },
        }),
      )
    ).UserPool!.Id!;
    client = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: "app", ExplicitAuthFlows: ["ALLOW_USER_AUTH"] }))).UserPoolClient!.ClientId!;
  });
  afterAll(async () => {
    idp?.destroy();
    await gw?.stop();
    await moto?.stop();
  });

  it("never shows a created user in any state but CONFIRMED", async () => {
    const emails = Array.from({ length: USERS }, (_, i) => `user-${i}@example.com`);
    /** Emails whose create has been sent, newest last: the getter reads these. */
    const sent: string[] = [];
    const seen: Record<string, number> = {};
    const note = (u: { UserStatus?: string } | UserType) => (seen[u.UserStatus ?? "?"] = (seen[u.UserStatus ?? "?"] ?? 0) + 1);
    let creating = true;

    const lister = async () => {
      while (creating) {
        // moto can fail a listing that races an insert (500); only answers count.
        const page = await idp.send(new ListUsersCommand({ UserPoolId: pool, Limit: 60 })).catch(() => undefined);
        for (const u of page?.Users ?? []) note(u);
      }
    };
    const getter = async () => {
      while (creating) {
        const recent = sent.slice(-CREATORS);
        if (recent.length === 0) await new Promise((r) => setTimeout(r, 1));
        for (const email of recent) {
          const u = await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: email })).catch(() => undefined);
          if (u) note(u);
        }
      }
    };
    const creator = async (mine: string[]) => {
      const out: Array<string | undefined> = [];
      for (const email of mine) {
        sent.push(email);
        const res = await idp.send(
          new AdminCreateUserCommand({ UserPoolId: pool, Username: email, MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }] }),
        );
        out.push(res.User?.UserStatus);
      }
      return out;
    };

    const readers = Promise.all([lister(), getter()]);
    const created = await Promise.all(Array.from({ length: CREATORS }, (_, c) => creator(emails.filter((_, i) => i % CREATORS === c)))).finally(() => {
      creating = false;
    });
    await readers;

    expect(created.flat()).toEqual(Array(USERS).fill("CONFIRMED"));
    const observations = Object.values(seen).reduce((a, b) => a + b, 0);
    expect(observations).toBeGreaterThan(0);
    expect(seen).toEqual({ CONFIRMED: observations });

    const all = await idp.send(new ListUsersCommand({ UserPoolId: pool, Limit: 60 }));
    expect(all.Users).toHaveLength(USERS);
    expect(all.Users!.every((u) => u.UserStatus === "CONFIRMED")).toBe(true);
  });

  it("signs such a user in with an emailed code", async () => {
    const email = "otp@example.com";
    await idp.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: email, MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: email }] }));
    const start = await idp.send(new InitiateAuthCommand({ ClientId: client, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: email, PREFERRED_CHALLENGE: "EMAIL_OTP" } }));
    expect(start.ChallengeName).toBe("EMAIL_OTP");
    const outbox = (await cognito.admin({ method: "GET", path: "/cognito/outbox", query: new URLSearchParams({ username: email }), body: {} }))!.body as { messages: Array<{ code: string }> };
    // The gateway signs in with the password the create set in moto: the two must agree.
    const done = await idp.send(
      new RespondToAuthChallengeCommand({ ClientId: client, ChallengeName: "EMAIL_OTP", Session: start.Session, ChallengeResponses: { USERNAME: email, EMAIL_OTP_CODE: outbox.messages.at(-1)!.code } }),
    );
    expect(done.AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it("ignores the gateway's private header from outside callers", async () => {
    const res = await fetch(gw.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.AdminCreateUser",
        authorization: fakeSigV4({ region: REGION, service: "cognito-idp" }),
        "x-sandbox-permanent-password": "1",
      },
      body: JSON.stringify({ UserPoolId: pool, Username: "outsider@example.com", TemporaryPassword: "Temp0rary!Passw0rd", MessageAction: "SUPPRESS" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { User: UserType }).User.UserStatus).toBe("FORCE_CHANGE_PASSWORD");
  });
});
