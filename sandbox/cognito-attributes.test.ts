// App clients' attribute permissions, which moto stores and never checks (sandbox/cognito/client-attributes.ts
// and the ID token patch in moto_server.py): a client writes only its WriteAttributes, reads only its
// ReadAttributes, a client without the lists gets Cognito's default, and Admin* calls are not limited.
import {
  AdminConfirmSignUpCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  GetUserCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  UpdateUserPoolClientCommand,
  type AttributeType,
} from "@aws-sdk/client-cognito-identity-provider";
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CognitoPlugin } from "./cognito";
import { decodeJwt } from "./cognito/helpers";
import { startGateway, type Gateway } from "./gateway";
import { startMoto, type MotoServer } from "./moto";
import { motoMissing } from "./test-support";

const skip = motoMissing();
const REGION = "us-east-1";
const PASSWORD = "Passw0rd!Passw0rd";
const UNAUTHORIZED = { name: "NotAuthorizedException", message: "A client attempted to write unauthorized attribute", $metadata: { httpStatusCode: 400 } };

describe.skipIf(skip)("app clients' read and write attributes", () => {
  let moto: MotoServer;
  let gw: Gateway;
  let idp: CognitoIdentityProviderClient;
  let pool: string;
  /** Writes email and name; reads those, email_verified and the canonical id (as the stacks' client does). */
  let app: string;
  /** No lists: Cognito's default. */
  let open: string;

  beforeAll(async () => {
    moto = await startMoto();
    const cognito = new CognitoPlugin({ motoEndpoint: moto.endpoint, regions: [REGION] });
    gw = await startGateway({ port: 0, motoEndpoint: moto.endpoint, plugins: [cognito], defaultRegion: REGION });
    idp = new CognitoIdentityProviderClient({ endpoint: gw.endpoint, region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" }, maxAttempts: 1 });
    pool = (
      await idp.send(
        new CreateUserPoolCommand({
          PoolName: "attributes",
          UsernameAttributes: ["email"],
          Schema: [
            { Name: "canonical_id", AttributeDataType: "String", Mutable: true },
            { Name: "tier", AttributeDataType: "String", Mutable: true },
          ],
        }),
      )
    ).UserPool!.Id!;
    app = (
      await idp.send(
        new CreateUserPoolClientCommand({
          UserPoolId: pool,
          ClientName: "app",
          WriteAttributes: ["email", "name"],
          ReadAttributes: ["email", "email_verified", "name", "custom:canonical_id"],
        }),
      )
    ).UserPoolClient!.ClientId!;
    open = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: "open" }))).UserPoolClient!.ClientId!;
  });
  afterAll(async () => {
    idp?.destroy();
    await gw?.stop();
    await moto?.stop();
  });

  const attrs = (o: Record<string, string>): AttributeType[] => Object.entries(o).map(([Name, Value]) => ({ Name, Value }));
  const signUp = (clientId: string, email: string, extra: Record<string, string> = {}) =>
    idp.send(new SignUpCommand({ ClientId: clientId, Username: email, Password: PASSWORD, UserAttributes: attrs({ email, ...extra }) }));
  const userOf = (email: string) => idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: email }));
  async function signIn(clientId: string, email: string) {
    const out = await idp.send(new AdminInitiateAuthCommand({ UserPoolId: pool, ClientId: clientId, AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: email, PASSWORD } }));
    return out.AuthenticationResult!;
  }
  /** A confirmed user with a name, a verified email and, set by an administrator, a canonical id and a tier. */
  async function confirmedUser(email: string): Promise<string> {
    const { UserSub } = await signUp(app, email, { name: "Ada" });
    await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: pool, Username: email }));
    await idp.send(
      new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: email, UserAttributes: attrs({ email_verified: "true", "custom:canonical_id": UserSub!, "custom:tier": "gold" }) }),
    );
    return UserSub!;
  }

  it("refuses a SignUp that sets an attribute the client may not write, and creates no user", async () => {
    const victim = "00000000-0000-4000-8000-000000000001";
    await expect(signUp(app, "thief@example.com", { "custom:canonical_id": victim })).rejects.toMatchObject(UNAUTHORIZED);
    await expect(userOf("thief@example.com")).rejects.toMatchObject({ name: "UserNotFoundException" });
    // One unauthorized attribute among allowed ones is enough.
    await expect(signUp(app, "thief@example.com", { name: "T", "custom:tier": "gold" })).rejects.toMatchObject(UNAUTHORIZED);
  });

  it("accepts a SignUp that sets only the client's WriteAttributes", async () => {
    const out = await signUp(app, "ok@example.com", { name: "Ok" });
    expect(out.UserSub).toBeTruthy();
    const user = await userOf("ok@example.com");
    expect(user.UserAttributes?.find((a) => a.Name === "name")?.Value).toBe("Ok");
  });

  it("lets a client without WriteAttributes write standard and custom attributes, but not the verified flags", async () => {
    await expect(signUp(open, "open@example.com", { name: "Open", "custom:tier": "gold" })).resolves.toMatchObject({ UserSub: expect.any(String) });
    await expect(signUp(open, "flag@example.com", { email_verified: "true" })).rejects.toMatchObject(UNAUTHORIZED);
  });

  it("refuses UpdateUserAttributes outside the token's client's WriteAttributes; Admin* is not limited", async () => {
    await confirmedUser("update@example.com");
    const { AccessToken } = await signIn(app, "update@example.com");
    await expect(idp.send(new UpdateUserAttributesCommand({ AccessToken, UserAttributes: attrs({ "custom:canonical_id": "someone-else" }) }))).rejects.toMatchObject(UNAUTHORIZED);
    await idp.send(new UpdateUserAttributesCommand({ AccessToken, UserAttributes: attrs({ name: "Renamed" }) }));
    const user = await userOf("update@example.com");
    const map = Object.fromEntries((user.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    expect(map.name).toBe("Renamed");
    expect(map["custom:canonical_id"]).not.toBe("someone-else");
  });

  it("follows a client's new WriteAttributes at once", async () => {
    await confirmedUser("changed@example.com");
    const { AccessToken } = await signIn(app, "changed@example.com");
    const update = () => idp.send(new UpdateUserAttributesCommand({ AccessToken, UserAttributes: attrs({ "custom:tier": "silver" }) }));
    await expect(update()).rejects.toMatchObject(UNAUTHORIZED);
    await idp.send(new UpdateUserPoolClientCommand({ UserPoolId: pool, ClientId: app, WriteAttributes: ["email", "name", "custom:tier"], ReadAttributes: ["email", "email_verified", "name", "custom:canonical_id"] }));
    try {
      await update();
    } finally {
      await idp.send(new UpdateUserPoolClientCommand({ UserPoolId: pool, ClientId: app, WriteAttributes: ["email", "name"], ReadAttributes: ["email", "email_verified", "name", "custom:canonical_id"] }));
    }
    await expect(update()).rejects.toMatchObject(UNAUTHORIZED);
  });

  it("answers GetUser with the token's client's ReadAttributes (and sub) only", async () => {
    const sub = await confirmedUser("read@example.com");
    const names = async (clientId: string) => {
      const { AccessToken } = await signIn(clientId, "read@example.com");
      const me = await idp.send(new GetUserCommand({ AccessToken }));
      return Object.fromEntries((me.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    };
    expect(await names(app)).toEqual({ sub, email: "read@example.com", email_verified: "true", name: "Ada", "custom:canonical_id": sub });
    expect(await names(open)).toMatchObject({ sub, name: "Ada", "custom:tier": "gold", "custom:canonical_id": sub });
  });

  it("puts only readable attributes in the ID token, which still verifies against moto's keys", async () => {
    const sub = await confirmedUser("token@example.com");
    const idToken = (await signIn(app, "token@example.com")).IdToken!;
    const { keys } = (await (await fetch(`${moto.endpoint}/${pool}/.well-known/jwks.json`)).json()) as { keys: Array<JsonWebKey & { kid: string }> };
    const [header, payload, signature] = idToken.split(".");
    const key = keys.find((k) => k.kid === decodeJwt(`x.${header}`)?.kid)!;
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), createPublicKey({ key, format: "jwk" }), Buffer.from(signature!, "base64url"))).toBe(true);
    const appToken = decodeJwt(idToken)!;
    expect(appToken).toMatchObject({ sub, aud: app, token_use: "id", email: "token@example.com", email_verified: true, name: "Ada", "custom:canonical_id": sub });
    expect(appToken).not.toHaveProperty("custom:tier");
    const openToken = decodeJwt((await signIn(open, "token@example.com")).IdToken)!;
    expect(openToken).toMatchObject({ sub, aud: open, name: "Ada", "custom:tier": "gold", "custom:canonical_id": sub });
  });
});
