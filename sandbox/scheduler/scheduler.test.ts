// EventBridge Scheduler in a running sandbox: a schedule terraform would create fires its Lambda
// target asynchronously as its execution role; the trust policy (with aws:SourceAccount and the
// schedule group as aws:SourceArn), the role's lambda:InvokeFunction and its permissions boundary
// are decided as AWS decides them, a denial is answered with AWS's message and logged, and a
// delivery Lambda refuses with a server error is retried as the schedule's retry policy says.

import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreatePolicyCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSigV4, httpCall } from "../aws";
import { startSandbox, type Sandbox } from "../index";
import { motoMissing, UNMETERED } from "../test-support";
import { rateMs } from "./rate";

const skip = motoMissing();
const REGION = "us-west-2";
const ACCOUNT = "123456789012";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
/**
 * The trust the Scheduler User Guide recommends: the service, this account, and a schedule group
 * (the default one) as aws:SourceArn, which a schedule's own ARN would not match.
 */
const schedulerTrust = (account = ACCOUNT) =>
  doc({
    Effect: "Allow",
    Principal: { Service: "scheduler.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": account }, ArnLike: { "aws:SourceArn": `arn:aws:scheduler:*:${account}:schedule-group/default` } },
  });

describe("rate()", () => {
  it("reads Scheduler's rate expressions and nothing else", () => {
    expect(rateMs("rate(1 hour)")).toBe(3_600_000);
    expect(rateMs("rate(5 minutes)")).toBe(300_000);
    expect(rateMs("rate(2 days)")).toBe(172_800_000);
    expect(rateMs("rate(0 minutes)")).toBeUndefined();
    expect(rateMs("cron(0 12 * * ? *)")).toBeUndefined();
  });
});

describe.skipIf(!!skip)("EventBridge Scheduler in the sandbox", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  const admin = { region: REGION, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } };
  let iam: IAMClient;
  let fn: string;

  /** CreateSchedule (REST-JSON; the project has no Scheduler client) through the gateway, as terraform sends it. */
  async function createSchedule(name: string, roleArn: string, retries = 0) {
    const body = Buffer.from(
      JSON.stringify({
        ScheduleExpression: "rate(1 hour)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: fn, RoleArn: roleArn, Input: '{"schedule":"<aws.scheduler.schedule-arn>","attempt":"<aws.scheduler.attempt-number>"}', RetryPolicy: { MaximumRetryAttempts: retries, MaximumEventAgeInSeconds: 60 } },
      }),
    );
    const res = await httpCall(sb.endpoint, "POST", `/schedules/${name}`, { "content-type": "application/json", authorization: fakeSigV4({ region: REGION, service: "scheduler" }) }, body);
    return { status: res.status, body: JSON.parse(res.body.toString()) as Record<string, string> };
  }

  async function scheduleRole(name: string, opts: { invoke?: boolean; boundary?: string; trust?: string } = {}): Promise<string> {
    const role = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: opts.trust ?? schedulerTrust(), PermissionsBoundary: opts.boundary }));
    const action = opts.invoke === false ? "lambda:GetFunction" : "lambda:InvokeFunction";
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "invoke", PolicyDocument: doc({ Sid: "InvokeTarget", Effect: "Allow", Action: action, Resource: fn }) }));
    return role.Role!.Arn!;
  }

  const runs = () => sb.lambda!.logs("ticker", REGION).filter((l) => l.line.includes("tick "));

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, cognitoQuotas: UNMETERED });
    iam = new IAMClient({ ...admin, endpoint: sb.endpoint });
    const fnRole = await iam.send(new CreateRoleCommand({ RoleName: "ticker-role", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    const code = zipSync({ "index.js": strToU8("exports.handler = async (event) => { console.log('tick ' + JSON.stringify(event)); };") });
    const created = await new LambdaClient({ ...admin, endpoint: sb.endpoint }).send(
      new CreateFunctionCommand({ FunctionName: "ticker", Runtime: "nodejs22.x", Handler: "index.handler", Role: fnRole.Role!.Arn!, Code: { ZipFile: code } }),
    );
    fn = created.FunctionArn!;
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("fires the target asynchronously as the execution role, with the Input's context attributes", async () => {
    const role = await scheduleRole("ticker-schedule-role");
    expect((await createSchedule("ticker", role)).status).toBe(200);
    await sb.admin.clearAuthzDecisions();
    const firing = await sb.admin.fireSchedule("ticker", REGION);
    expect(firing).toMatchObject({ schedule: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/ticker`, invoked: true, denied: false, attempts: 1 });
    await expect.poll(() => runs().length, { timeout: 10_000 }).toBe(1);
    expect(runs()[0]!.line).toContain(`tick {"schedule":"arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/ticker","attempt":"1"}`);
    const decisions = await sb.admin.authzDecisions();
    expect(decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal: "scheduler.amazonaws.com", action: "sts:AssumeRole", resource: role, allowed: true }),
        expect.objectContaining({ principal: `arn:aws:sts::${ACCOUNT}:assumed-role/ticker-schedule-role/ticker`, action: "lambda:InvokeFunction", resource: fn, allowed: true, statements: ["identity:invoke#InvokeTarget"] }),
      ]),
    );
    expect(await sb.admin.scheduleFirings()).toEqual([firing]);
  });

  it("denies a firing whose role may not invoke the function, with Lambda's message, and runs nothing", async () => {
    const role = await scheduleRole("no-invoke-role", { invoke: false });
    await createSchedule("no-invoke", role);
    const before = runs().length;
    const firing = await sb.admin.fireSchedule("no-invoke", REGION);
    expect(firing).toMatchObject({ invoked: false, denied: true, attempts: 1 });
    expect(firing.reason).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/no-invoke-role/no-invoke is not authorized to perform: lambda:InvokeFunction on resource: ${fn} because no identity-based policy allows the lambda:InvokeFunction action`,
    );
    expect(await sb.admin.authzDecisions()).toEqual(expect.arrayContaining([expect.objectContaining({ action: "lambda:InvokeFunction", allowed: false, reason: firing.reason })]));
    await new Promise((r) => setTimeout(r, 300));
    expect(runs().length).toBe(before);
  });

  it("holds the execution role to its permissions boundary", async () => {
    const boundary = await iam.send(new CreatePolicyCommand({ PolicyName: "no-lambda", PolicyDocument: doc({ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }) }));
    const role = await scheduleRole("bounded-schedule-role", { boundary: boundary.Policy!.Arn });
    await createSchedule("bounded", role);
    const firing = await sb.admin.fireSchedule("bounded", REGION);
    expect(firing.reason).toMatch(/because no permissions boundary allows the lambda:InvokeFunction action$/);
  });

  it("lets only a trust naming Scheduler and this account's schedule groups be assumed, at create time and when it fires", async () => {
    const foreign = await scheduleRole("foreign-trust-role", { trust: schedulerTrust("111122223333") });
    expect(await createSchedule("foreign", foreign)).toEqual({
      status: 400,
      body: expect.objectContaining({ message: "The execution role you provide must allow AWS EventBridge Scheduler to assume the role." }),
    });
    // A trust changed after the schedule was created: the firing is denied at the assume step.
    const role = await scheduleRole("changed-trust-role");
    await createSchedule("changed", role);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "changed-trust-role", PolicyDocument: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }));
    const firing = await sb.admin.fireSchedule("changed", REGION);
    expect(firing).toMatchObject({ invoked: false, denied: true, attempts: 0 });
    expect(firing.reason).toBe(`User: scheduler.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: ${role} because no resource-based policy allows the sts:AssumeRole action`);
    const assumed = (await sb.admin.authzDecisions()).filter((d) => d.action === "sts:AssumeRole" && d.resource === role);
    expect(assumed.map((d) => d.allowed)).toEqual([true, false]); // at CreateSchedule, then at the firing
  });

  it("retries a delivery Lambda refuses with a server error, as often as the retry policy allows", async () => {
    const role = await scheduleRole("retry-schedule-role");
    await createSchedule("retried", role, 1);
    await sb.admin.injectFault({ service: "lambda", errorRate: 1 });
    try {
      const firing = await sb.admin.fireSchedule("retried", REGION);
      expect(firing).toMatchObject({ invoked: false, denied: false, attempts: 2 });
      expect(firing.reason).toMatch(/^Lambda answered 500: /);
    } finally {
      await sb.admin.clearFaults();
    }
  });

  it("answers 404 for a schedule moto does not have", async () => {
    await expect(sb.admin.fireSchedule("nope", REGION)).rejects.toMatchObject({ status: 404 });
  });
});
