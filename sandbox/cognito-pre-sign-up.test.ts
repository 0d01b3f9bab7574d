// The PreSignUp trigger (sandbox/cognito/pre-sign-up.ts) through the real Lambda plugin: it runs
// before SignUp and AdminCreateUser with the event Cognito sends, a throwing function refuses the
// call with Cognito's error and nothing is created, autoVerifyEmail verifies the new user's email,
// and the pool echoes its LambdaConfig as terraform set it (so a plan after apply is empty).

import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  SignUpCommand,
  UpdateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSigV4, httpCall } from "./aws";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();
const REGION = "us-west-2";
const PASSWORD = "Passw0rd!Passw0rd";
const creds = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };

// Like the project's DR trigger: administrators' creates pass, self sign-ups only when asked to.
const GATE = `exports.handler = async (event) => {
  if (event.triggerSource === "PreSignUp_SignUp" && (event.request.validationData || {}).open !== "yes") throw new Error("Sign-ups are closed here");
  return event;
};`;
const AUTO_VERIFY = "exports.handler = async (event) => { event.response.autoVerifyEmail = true; return event; };";

describe.skipIf(skip)("the PreSignUp trigger", { timeout: 90_000 }, () => {
  let sb: Sandbox;
  let idp: CognitoIdentityProviderClient;
  let lambda: LambdaClient;
  let roleArn: string;

  beforeAll(async () => {
    sb = await startSandbox({ cognitoQuotas: UNMETERED });
    idp = new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region: REGION, credentials: creds, maxAttempts: 1 });
    lambda = new LambdaClient({ endpoint: sb.endpoint, region: REGION, credentials: creds });
    const body = new URLSearchParams({
      Action: "CreateRole",
      Version: "2010-05-08",
      RoleName: "pre-sign-up-role",
      AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
    }).toString();
    const res = await httpCall(sb.endpoint, "POST", "/", { "content-type": "application/x-www-form-urlencoded", authorization: fakeSigV4({ region: REGION, service: "iam" }) }, Buffer.from(body));
    roleArn = /<Arn>([^<]+)<\/Arn>/.exec(res.body.toString())![1]!;
  });
  afterAll(async () => {
    idp?.destroy();
    await sb?.stop();
  });

  /** A function, and a pool (emails as usernames, as the project's) whose PreSignUp it is, with a client. */
  async function poolWith(name: string, source: string) {
    const code = zipSync({ "index.js": strToU8(source) });
    const fn = (await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: "nodejs22.x", Handler: "index.handler", Role: roleArn, Code: { ZipFile: code }, Timeout: 3 }))).FunctionArn!;
    const created = (await idp.send(new CreateUserPoolCommand({ PoolName: name, UsernameAttributes: ["email"], LambdaConfig: { PreSignUp: fn } }))).UserPool!;
    await lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: "cognito", Action: "lambda:InvokeFunction", Principal: "cognito-idp.amazonaws.com", SourceArn: created.Arn }));
    const client = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: created.Id!, ClientName: "app" }))).UserPoolClient!.ClientId!;
    return { fn, pool: created.Id!, client };
  }
  const invocations = async (pool: string) => (await sb.admin.triggers()).filter((t) => t.userPoolId === pool && t.trigger === "PreSignUp");
  const exists = (pool: string, email: string) =>
    idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: email })).then(
      () => true,
      (e: Error) => (e.name === "UserNotFoundException" ? false : Promise.reject(e)),
    );

  it("refuses a self sign-up the function throws on, creating nothing, and passes an administrator's create", async () => {
    const { fn, pool, client } = await poolWith("pre-sign-up-gate", GATE);
    await expect(idp.send(new SignUpCommand({ ClientId: client, Username: "shut@example.com", Password: PASSWORD }))).rejects.toMatchObject({
      name: "UserLambdaValidationException",
      message: "PreSignUp failed with error Sign-ups are closed here.",
      $metadata: { httpStatusCode: 400 },
    });
    expect(await exists(pool, "shut@example.com")).toBe(false);

    const [refused] = await invocations(pool);
    expect(refused).toMatchObject({ functionArn: fn, triggerSource: "PreSignUp_SignUp", error: { name: "FunctionError" } });
    expect(refused!.event).toEqual({
      version: "1",
      region: REGION,
      userPoolId: pool,
      userName: "shut@example.com",
      callerContext: { awsSdkVersion: expect.stringMatching(/^aws-sdk-/), clientId: client },
      triggerSource: "PreSignUp_SignUp",
      request: { userAttributes: { email: "shut@example.com" }, validationData: null },
      response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
    });

    await idp.send(
      new SignUpCommand({
        ClientId: client,
        Username: "open@example.com",
        Password: PASSWORD,
        UserAttributes: [{ Name: "name", Value: "Open" }],
        ValidationData: [{ Name: "open", Value: "yes" }],
        ClientMetadata: { from: "test" },
      }),
    );
    expect(await exists(pool, "open@example.com")).toBe(true);
    expect((await invocations(pool))[1]?.event).toMatchObject({
      request: { userAttributes: { email: "open@example.com", name: "Open" }, validationData: { open: "yes" }, clientMetadata: { from: "test" } },
    });

    await idp.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: "copy@example.com", MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: "copy@example.com" }] }));
    expect(await exists(pool, "copy@example.com")).toBe(true);
    const admin = (await invocations(pool))[2]!;
    expect(admin).toMatchObject({ triggerSource: "PreSignUp_AdminCreateUser" });
    expect(admin.error).toBeUndefined();
    expect(admin.event).toMatchObject({ callerContext: { clientId: "CLIENT_ID_NOT_APPLICABLE" }, request: { userAttributes: { email: "copy@example.com" }, validationData: null } });
  });

  it("refuses an AdminCreateUser the function throws on, creating nothing", async () => {
    const { pool } = await poolWith("pre-sign-up-none", "exports.handler = async () => { throw new Error('no users at all'); };");
    await expect(idp.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: "nobody@example.com", MessageAction: "SUPPRESS" }))).rejects.toMatchObject({
      name: "UserLambdaValidationException",
      message: "PreSignUp failed with error no users at all.",
    });
    expect(await exists(pool, "nobody@example.com")).toBe(false);
  });

  it("verifies the new user's email when the function sets autoVerifyEmail", async () => {
    const { pool, client } = await poolWith("pre-sign-up-verify", AUTO_VERIFY);
    await idp.send(new SignUpCommand({ ClientId: client, Username: "v@example.com", Password: PASSWORD }));
    const user = await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: "v@example.com" }));
    expect(user.UserAttributes).toEqual(expect.arrayContaining([{ Name: "email_verified", Value: "true" }]));
    expect(user.UserStatus).toBe("UNCONFIRMED"); // autoConfirmUser is not emulated (README)
  });

  it("echoes LambdaConfig.PreSignUp after CreateUserPool and UpdateUserPool, as terraform reads it back", async () => {
    const { fn, pool } = await poolWith("pre-sign-up-echo", "exports.handler = async (e) => e;");
    expect((await idp.send(new DescribeUserPoolCommand({ UserPoolId: pool }))).UserPool!.LambdaConfig).toEqual({ PreSignUp: fn });
    // terraform's update sends the whole configuration again.
    await idp.send(new UpdateUserPoolCommand({ UserPoolId: pool, LambdaConfig: { PreSignUp: fn, PostConfirmation: fn } }));
    expect((await idp.send(new DescribeUserPoolCommand({ UserPoolId: pool }))).UserPool!.LambdaConfig).toEqual({ PreSignUp: fn, PostConfirmation: fn });
  });
});
