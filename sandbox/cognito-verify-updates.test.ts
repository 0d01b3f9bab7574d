// AttributesRequireVerificationBeforeUpdate (sandbox/cognito/attribute-verification.ts): a changed
// email stays pending until the user verifies it with the code from the outbox, or an administrator
// sets it with email_verified true in the same call; the pool echoes the setting as terraform set it,
// and keeps its username attributes through UpdateUserPool (which moto drops).

import {
  AdminConfirmSignUpCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  GetUserAttributeVerificationCodeCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  UpdateUserPoolCommand,
  VerifyUserAttributeCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const PASSWORD = "Passw0rd!Passw0rd";
const VERIFY_EMAIL = { AttributesRequireVerificationBeforeUpdate: ["email" as const] };

describe.skipIf(skip)("verifying updates to email addresses", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let idp: CognitoIdentityProviderClient;

  beforeAll(async () => {
    sb = await startSandbox({ cognitoQuotas: UNMETERED, lambda: false });
    idp = new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" }, maxAttempts: 1 });
  });
  afterAll(async () => {
    idp?.destroy();
    await sb?.stop();
  });

  /** A pool as the project's (emails as usernames, auto-verified), its client, and a confirmed user with a verified email. */
  async function setup(name: string, settings: typeof VERIFY_EMAIL | null = VERIFY_EMAIL) {
    const pool = (await idp.send(new CreateUserPoolCommand({ PoolName: name, UsernameAttributes: ["email"], AutoVerifiedAttributes: ["email"], UserAttributeUpdateSettings: settings ?? undefined }))).UserPool!.Id!;
    const client = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: "app", ExplicitAuthFlows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }))).UserPoolClient!.ClientId!;
    const email = `${name}@example.com`;
    await idp.send(new SignUpCommand({ ClientId: client, Username: email, Password: PASSWORD }));
    await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: pool, Username: email }));
    await idp.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: email, UserAttributes: [{ Name: "email_verified", Value: "true" }] }));
    const signIn = async (as = email) =>
      (await idp.send(new AdminInitiateAuthCommand({ UserPoolId: pool, ClientId: client, AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: as, PASSWORD } }))).AuthenticationResult!.AccessToken!;
    const attrs = async (as = email) => Object.fromEntries(((await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: as }))).UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    return { pool, email, signIn, attrs };
  }
  const codeFor = async (destination: string) => (await sb.admin.outbox(destination)).filter((m) => m.kind === "VERIFY_ATTRIBUTE").pop()?.code;

  it("echoes UserAttributeUpdateSettings after CreateUserPool and UpdateUserPool, as terraform reads it back", async () => {
    const { pool } = await setup("echo");
    expect((await idp.send(new DescribeUserPoolCommand({ UserPoolId: pool }))).UserPool!.UserAttributeUpdateSettings).toEqual(VERIFY_EMAIL);
    await idp.send(new UpdateUserPoolCommand({ UserPoolId: pool, AutoVerifiedAttributes: ["email"], UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: [] } }));
    const updated = (await idp.send(new DescribeUserPoolCommand({ UserPoolId: pool }))).UserPool!;
    expect(updated.UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: [] });
    // UpdateUserPool cannot change the usernames' attributes; moto alone would drop them.
    expect(updated.UsernameAttributes).toEqual(["email"]);
    expect((await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: "echo@example.com" }))).Username).toBeDefined();
  });

  it("keeps the old email until the user verifies the new one with the code sent to it", async () => {
    const { email, signIn, attrs } = await setup("self");
    const token = await signIn();
    const out = await idp.send(
      new UpdateUserAttributesCommand({
        AccessToken: token,
        UserAttributes: [
          { Name: "email", Value: "self-new@example.com" },
          { Name: "name", Value: "Renamed" },
        ],
      }),
    );
    expect(out.CodeDeliveryDetailsList).toEqual([{ Destination: "s***@e***.com", DeliveryMedium: "EMAIL", AttributeName: "email" }]);
    expect(await attrs()).toMatchObject({ email, email_verified: "true", name: "Renamed" }); // the other attribute applies at once
    await signIn(); // "Your user can sign in ... with the original attribute value until they verify the new value"

    const code = await codeFor("self-new@example.com");
    expect(code).toMatch(/^\d{6}$/);
    await expect(idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: "email", Code: code === "000000" ? "111111" : "000000" }))).rejects.toMatchObject({ name: "CodeMismatchException" });
    expect((await attrs()).email).toBe(email);

    // A new code for the pending value replaces the first.
    await idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: "email" }));
    const second = await codeFor("self-new@example.com");
    await idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: "email", Code: second! }));
    expect(await attrs("self-new@example.com")).toMatchObject({ email: "self-new@example.com", email_verified: "true" });
    // moto keys an access token by the name signed in with: after the email changes, sign in anew (README).
    const again = await signIn("self-new@example.com");
    await expect(idp.send(new VerifyUserAttributeCommand({ AccessToken: again, AttributeName: "email", Code: second! }))).rejects.toMatchObject({ name: "CodeMismatchException" });
  });

  it("applies an administrator's new email at once with email_verified true in the same call, else keeps it pending", async () => {
    const { pool, email, signIn, attrs } = await setup("admin");
    await idp.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: email, UserAttributes: [{ Name: "email", Value: "admin-pending@example.com" }] }));
    expect(await attrs()).toMatchObject({ email, email_verified: "true" });
    const code = await codeFor("admin-pending@example.com");
    expect(code).toBeDefined();

    // The replicator's call (D8): email with email_verified true applies now and drops the pending value.
    await idp.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: pool,
        Username: email,
        UserAttributes: [
          { Name: "email", Value: "admin-now@example.com" },
          { Name: "email_verified", Value: "true" },
        ],
      }),
    );
    expect(await attrs("admin-now@example.com")).toMatchObject({ email: "admin-now@example.com", email_verified: "true" });
    expect(await codeFor("admin-now@example.com")).toBeUndefined(); // no message when verified in the call
    const token = await signIn("admin-now@example.com");
    await expect(idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: "email", Code: code! }))).rejects.toMatchObject({ name: "CodeMismatchException" });
    expect((await attrs("admin-now@example.com")).email).toBe("admin-now@example.com");
  });

  it("changes the email at once in a pool without the setting (moto's own behaviour)", async () => {
    const { signIn, attrs } = await setup("plain", null);
    const out = await idp.send(new UpdateUserAttributesCommand({ AccessToken: await signIn(), UserAttributes: [{ Name: "email", Value: "plain-new@example.com" }] }));
    expect(out.CodeDeliveryDetailsList ?? []).toEqual([]);
    expect((await attrs("plain-new@example.com")).email).toBe("plain-new@example.com");
  });
});
