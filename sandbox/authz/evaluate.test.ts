// The authorizer's decisions against the cases AWS documents (IAM User Guide, "Policy evaluation
// logic" and "Troubleshoot access denied error messages"; KMS developer guide, "Key policies";
// DynamoDB developer guide's key policy for a customer managed key; Cognito developer guide's
// function policy for triggers). No moto: the policies are given.

import { describe, expect, it } from "vitest";
import { deniedMessage, evaluate, type AuthzRequest, type PolicySet } from "./evaluate";
import { roleSession, type ServicePrincipal } from "./principal";

const ACCOUNT = "111122223333";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app-role`;
const TABLE = `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/Books`;
const KEY = `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const session = roleSession(ROLE, "fn");

const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });
const req = (action: string, resource: string, context: Record<string, string | string[]> = {}): AuthzRequest => ({
  principal: session,
  action,
  resource,
  resourceAccount: ACCOUNT,
  context: { "aws:PrincipalArn": ROLE, "aws:PrincipalAccount": ACCOUNT, ...context },
});
const identity = (...statements: object[]): PolicySet => ({ identity: [{ name: "inline", policy: doc(...statements) }] });

describe("evaluate", () => {
  it("allows what an identity policy allows and names the statement", async () => {
    const d = await evaluate(req("dynamodb:PutItem", TABLE), identity({ Sid: "Write", Effect: "Allow", Action: "dynamodb:PutItem", Resource: TABLE }));
    expect(d).toMatchObject({ allowed: true, statements: ["identity:inline#Write"] });
  });

  it("denies implicitly when nothing allows, with AWS's message", async () => {
    const r = req("dynamodb:DeleteItem", TABLE);
    const d = await evaluate(r, identity({ Sid: "Write", Effect: "Allow", Action: "dynamodb:PutItem", Resource: TABLE }));
    expect(d.allowed).toBe(false);
    expect(deniedMessage(r, d)).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/app-role/fn is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:DeleteItem action`,
    );
  });

  it("lets an explicit deny win over any allow", async () => {
    const r = req("dynamodb:PutItem", TABLE);
    const d = await evaluate(
      r,
      identity({ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }, { Sid: "NoWrites", Effect: "Deny", Action: "dynamodb:PutItem", Resource: TABLE }),
    );
    expect(d).toMatchObject({ allowed: false, denial: { explicit: true, policyType: "identity-based policy" }, statements: ["identity:inline#NoWrites"] });
    expect(deniedMessage(r, d)).toMatch(/with an explicit deny in an? identity-based policy$/);
  });

  it("grants within one account when only the resource policy allows (SQS queue policy)", async () => {
    const queue = `arn:aws:sqs:us-west-2:${ACCOUNT}:jobs`;
    const d = await evaluate(req("sqs:SendMessage", queue), {
      identity: [],
      resource: doc({ Sid: "RoleSends", Effect: "Allow", Principal: { AWS: ROLE }, Action: "sqs:SendMessage", Resource: queue }),
    });
    expect(d).toMatchObject({ allowed: true, statements: ["resource#RoleSends"] });
  });

  it("requires the key policy for KMS: an identity allow alone is not enough", async () => {
    const d = await evaluate(req("kms:Decrypt", KEY), { ...identity({ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY }), resource: doc() });
    expect(d.allowed).toBe(false);
  });

  describe("key policy with kms:EncryptionContext (Cognito's documented policy for a pool's key), which the simulator alone never matches", () => {
    const POOL = `arn:aws:cognito-idp:us-west-2:${ACCOUNT}:userpool/us-west-2_abc`;
    const cognito: ServicePrincipal = { kind: "service", service: "cognito-idp.amazonaws.com", sourceArn: POOL, sourceAccount: ACCOUNT };
    const keyPolicy = doc(
      {
        Sid: "CognitoForThisPool",
        Effect: "Allow",
        Principal: { Service: "cognito-idp.amazonaws.com" },
        Action: "kms:GenerateDataKeyWithoutPlaintext",
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": POOL }, StringLike: { "kms:EncryptionContext:aws:cognito-idp:userpool-arn": POOL } },
      },
      { Sid: "NotThatOne", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:aws:cognito-idp:userpool-arn": `${POOL}-denied` } } },
    );
    const asCognito = (context: Record<string, string>): AuthzRequest => ({ principal: cognito, action: "kms:GenerateDataKeyWithoutPlaintext", resource: KEY, resourceAccount: ACCOUNT, context: { "aws:SourceArn": POOL, "aws:SourceAccount": ACCOUNT, ...context } });

    it("allows Cognito with the pool's encryption context, and names the statement", async () => {
      const d = await evaluate(asCognito({ "kms:EncryptionContext:aws:cognito-idp:userpool-arn": POOL }), { identity: [], resource: keyPolicy });
      expect(d).toMatchObject({ allowed: true, statements: ["resource#CognitoForThisPool"] });
    });

    it("denies another pool's context, a missing context, and lets a Deny on a context win", async () => {
      for (const context of [{ "kms:EncryptionContext:aws:cognito-idp:userpool-arn": `${POOL}x` }, {}] as Array<Record<string, string>>) {
        expect((await evaluate(asCognito(context), { identity: [], resource: keyPolicy })).allowed).toBe(false);
      }
      const denied = await evaluate(asCognito({ "kms:EncryptionContext:aws:cognito-idp:userpool-arn": `${POOL}-denied` }), { identity: [], resource: doc({ ...keyPolicy.Statement[0], Condition: { ArnEquals: { "aws:SourceArn": POOL } } }, keyPolicy.Statement[1]) });
      expect(denied).toMatchObject({ allowed: false, denial: { explicit: true } });
    });

    it("decides negated and IfExists clauses as IAM does when the key is missing, and leaves other operators to the simulator", async () => {
      const allowIf = (Condition: object) => doc({ Sid: "A", Effect: "Allow", Principal: { Service: "cognito-idp.amazonaws.com" }, Action: "kms:GenerateDataKeyWithoutPlaintext", Resource: "*", Condition });
      const ec = "kms:EncryptionContext:aws:cognito-idp:userpool-arn";
      const decide = async (Condition: object, context: Record<string, string>) => (await evaluate(asCognito(context), { identity: [], resource: allowIf(Condition) })).allowed;
      expect(await decide({ StringNotEquals: { [ec]: POOL } }, {})).toBe(true); // a negated operator holds for a missing key
      expect(await decide({ StringNotEquals: { [ec]: POOL } }, { [ec]: POOL })).toBe(false);
      expect(await decide({ StringEqualsIfExists: { [ec]: POOL } }, {})).toBe(true);
      expect(await decide({ StringEqualsIfExists: { [ec]: POOL } }, { [ec]: "other" })).toBe(false);
      expect(await decide({ StringLike: { [ec]: "arn:aws:cognito-idp:*:*:userpool/*" } }, { [ec]: POOL })).toBe(true);
      // Not decided here (no error, as before this resolver existed): the simulator drops the key, so Null sees it missing.
      expect(await decide({ Null: { [ec]: "true" } }, { [ec]: POOL })).toBe(true);
    });
  });

  describe("key policy with kms:ViaService (DynamoDB's example for a customer managed key)", () => {
    // The account root as principal delegates to IAM: the role needs its own allow too.
    const keyPolicy = doc({
      Sid: "AllowThroughDynamoDB",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
      Resource: "*",
      Condition: { StringLike: { "kms:ViaService": "dynamodb.*.amazonaws.com" }, StringEquals: { "kms:CallerAccount": ACCOUNT } },
    });
    const viaDynamoDb = { "kms:ViaService": "dynamodb.us-west-2.amazonaws.com", "kms:CallerAccount": ACCOUNT };

    it("allows the role's Decrypt made through DynamoDB", async () => {
      const d = await evaluate(req("kms:Decrypt", KEY, viaDynamoDb), { ...identity({ Sid: "UseKey", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY }), resource: keyPolicy });
      expect(d).toMatchObject({ allowed: true });
      expect(d.statements).toEqual(expect.arrayContaining(["identity:inline#UseKey", "resource#AllowThroughDynamoDB"]));
    });

    it("denies the same Decrypt made directly (no kms:ViaService)", async () => {
      const d = await evaluate(req("kms:Decrypt", KEY, { "kms:CallerAccount": ACCOUNT }), { ...identity({ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY }), resource: keyPolicy });
      expect(d.allowed).toBe(false);
    });

    it("denies a role that the key policy delegates to but whose identity policy has no KMS grant (the table writers' defect)", async () => {
      const r = req("kms:Decrypt", KEY, viaDynamoDb);
      const d = await evaluate(r, { ...identity({ Effect: "Allow", Action: "dynamodb:PutItem", Resource: TABLE }), resource: keyPolicy });
      expect(d.allowed).toBe(false);
      expect(deniedMessage(r, d)).toContain("is not authorized to perform: kms:Decrypt on resource: " + KEY);
    });
  });

  describe("a condition that does not match (Cognito's trigger permission)", () => {
    const fn = `arn:aws:lambda:us-west-2:${ACCOUNT}:function:post-confirmation`;
    const pool = (id: string) => `arn:aws:cognito-idp:us-west-2:${ACCOUNT}:userpool/us-west-2_${id}`;
    const fnPolicy = doc({
      Sid: "AllowCognito",
      Effect: "Allow",
      Principal: { Service: "cognito-idp.amazonaws.com" },
      Action: "lambda:InvokeFunction",
      Resource: fn,
      Condition: { StringEquals: { "AWS:SourceAccount": ACCOUNT }, ArnLike: { "AWS:SourceArn": pool("ours") } },
    });
    const cognito = (source: string): AuthzRequest => ({
      principal: { kind: "service", service: "cognito-idp.amazonaws.com" } satisfies ServicePrincipal,
      action: "lambda:InvokeFunction",
      resource: fn,
      resourceAccount: ACCOUNT,
      context: { "aws:SourceArn": source, "aws:SourceAccount": ACCOUNT },
    });

    it("allows the pool the policy names", async () => {
      expect((await evaluate(cognito(pool("ours")), { identity: [], resource: fnPolicy })).allowed).toBe(true);
    });

    it("denies another pool, naming the resource-based policy", async () => {
      const r = cognito(pool("theirs"));
      const d = await evaluate(r, { identity: [], resource: fnPolicy });
      expect(d.allowed).toBe(false);
      expect(deniedMessage(r, d)).toBe(
        `User: cognito-idp.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${fn} because no resource-based policy allows the lambda:InvokeFunction action`,
      );
    });
  });

  it("honours a permissions boundary", async () => {
    const d = await evaluate(req("dynamodb:PutItem", TABLE), {
      ...identity({ Effect: "Allow", Action: "dynamodb:PutItem", Resource: TABLE }),
      boundary: { name: "boundary", policy: doc({ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }) },
    });
    expect(d).toMatchObject({ allowed: false, denial: { policyType: "permissions boundary" } });
  });

  it("lets only the services a trust policy names assume the role", async () => {
    const trust = doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });
    const assume = (service: string): AuthzRequest => ({ principal: { kind: "service", service }, action: "sts:AssumeRole", resource: ROLE, resourceAccount: ACCOUNT, context: {} });
    expect((await evaluate(assume("lambda.amazonaws.com"), { identity: [], resource: trust })).allowed).toBe(true);
    expect((await evaluate(assume("scheduler.amazonaws.com"), { identity: [], resource: trust })).allowed).toBe(false);
  });
});

describe("statement labels", () => {
  it("number statements without a Sid from 1, as the unused-grant report expects", async () => {
    const d = await evaluate(req("dynamodb:PutItem", TABLE), identity({ Effect: "Allow", Action: "dynamodb:GetItem", Resource: TABLE }, { Effect: "Allow", Action: "dynamodb:PutItem", Resource: TABLE }));
    expect(d.statements).toEqual(["identity:inline#2"]);
  });
});
