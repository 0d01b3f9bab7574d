// Cognito triggers through the real Lambda plugin: a PostConfirmation function deployed with the
// Lambda API runs in a child process on ConfirmSignUp; a throwing handler fails the confirmation
// with Cognito's error; a function whose resource policy does not let the pool invoke it fails it
// the way AWS does.

import { CognitoIdentityProviderClient, AdminConfirmSignUpCommand, CreateUserPoolCommand, SignUpCommand, CreateUserPoolClientCommand } from "@aws-sdk/client-cognito-identity-provider";
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSigV4, httpCall } from "./aws";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();
const REGION = "us-east-1";

describe.skipIf(skip)("Cognito triggers run on the Lambda plugin", () => {
  let sb: Sandbox;
  const creds = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
  let roleArn: string;

  beforeAll(async () => {
    sb = await startSandbox({ cognitoQuotas: UNMETERED });
    // IAM (query protocol) straight through the gateway: moto wants the function's role to exist.
    const body = Buffer.from(
      new URLSearchParams({
        Action: "CreateRole",
        Version: "2010-05-08",
        RoleName: "trigger-role",
        AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      }).toString(),
    );
    const res = await httpCall(sb.endpoint, "POST", "/", {
      "content-type": "application/x-www-form-urlencoded",
      authorization: fakeSigV4({ region: REGION, service: "iam" }),
    }, body);
    expect(res.status).toBe(200);
    roleArn = /<Arn>([^<]+)<\/Arn>/.exec(res.body.toString())![1]!;
  });
  afterAll(async () => {
    await sb?.stop();
  });

  async function deploy(name: string, source: string): Promise<string> {
    const zip = zipSync({ "index.js": strToU8(source) });
    const out = await new LambdaClient({ endpoint: sb.endpoint, region: REGION, credentials: creds }).send(
      new CreateFunctionCommand({ FunctionName: name, Runtime: "nodejs22.x", Handler: "index.handler", Role: roleArn, Code: { ZipFile: zip }, Timeout: 3 }),
    );
    return out.FunctionArn!;
  }

  it("invokes PostConfirmation and maps a handler error to UserLambdaValidationException", { timeout: 60_000 }, async () => {
    const ok = await deploy("post-confirmation-ok", "exports.handler = async (event) => { console.log('confirmed', event.userName); return event; };");
    const bad = await deploy("post-confirmation-bad", "exports.handler = async () => { throw new Error('no thanks'); };");
    const idp = new CognitoIdentityProviderClient({ endpoint: sb.endpoint, region: REGION, credentials: creds, maxAttempts: 1 });
    const lambda = new LambdaClient({ endpoint: sb.endpoint, region: REGION, credentials: creds });
    const pool = async (fn: string, permitted = true) => {
      const created = (await idp.send(new CreateUserPoolCommand({ PoolName: fn, UsernameAttributes: ["email"], LambdaConfig: { PostConfirmation: fn } }))).UserPool!;
      const id = created.Id!;
      // What AWS requires of a trigger created outside the console: a resource policy naming the pool.
      if (permitted) {
        await lambda.send(new AddPermissionCommand({ FunctionName: fn, StatementId: `cognito-${id}`, Action: "lambda:InvokeFunction", Principal: "cognito-idp.amazonaws.com", SourceArn: created.Arn }));
      }
      const client = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: id, ClientName: "c" }))).UserPoolClient!.ClientId!;
      await idp.send(new SignUpCommand({ ClientId: client, Username: "u@example.com", Password: "Passw0rd!Passw0rd", UserAttributes: [{ Name: "email", Value: "u@example.com" }] }));
      return id;
    };

    const okPool = await pool(ok);
    await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: okPool, Username: "u@example.com" }));
    const [inv] = (await sb.admin.triggers()).filter((t) => t.userPoolId === okPool);
    expect(inv?.error).toBeUndefined();
    expect(inv?.result).toMatchObject({ triggerSource: "PostConfirmation_ConfirmSignUp", userPoolId: okPool, response: {} });
    expect(sb.lambda!.logs("post-confirmation-ok", REGION).some((l) => l.line.includes("confirmed"))).toBe(true);

    const badPool = await pool(bad);
    await expect(idp.send(new AdminConfirmSignUpCommand({ UserPoolId: badPool, Username: "u@example.com" }))).rejects.toMatchObject({
      name: "UserLambdaValidationException",
      message: "PostConfirmation failed with error no thanks.",
    });

    const silent = await deploy("post-confirmation-unpermitted", "exports.handler = async (event) => event;");
    const unpermittedPool = await pool(silent, false);
    await expect(idp.send(new AdminConfirmSignUpCommand({ UserPoolId: unpermittedPool, Username: "u@example.com" }))).rejects.toMatchObject({
      name: "UnexpectedLambdaException",
      message: "PostConfirmation invocation failed due to error AccessDeniedException.",
    });
    expect(sb.lambda!.stats().functions.find((f) => f.name === "post-confirmation-unpermitted")?.invocations ?? 0).toBe(0);
  });
});
