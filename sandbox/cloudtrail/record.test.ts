// The pieces of the CloudTrail → EventBridge emulation that need no moto: the record's shape and
// redaction, which trails' selectors record management events, which rules an event reaches, and
// what a target receives.

import { describe, expect, it } from "vitest";
import { busEvent } from "../eventbridge";
import { targetInput } from "../eventbridge/input";
import { ruleMatches, type Rule } from "../eventbridge/rules";
import type { AwsRequest } from "../types";
import { cloudTrailRecord, HIDDEN, isReadOnly, redact } from "./record";
import { managementEvents } from "./trails";

const ACCOUNT = "123456789012";
const POOL = "us-west-2_abcDEF123";
const SUB = "704b1e47-34fe-40e9-8c41-504997494531";

function request(operation: string, json: unknown, headers: Record<string, string> = {}): AwsRequest {
  return { method: "POST", path: "/", query: new URLSearchParams(), headers: { "user-agent": "aws-sdk-js/3", ...headers }, body: Buffer.from(JSON.stringify(json)), service: "cognito-idp", region: "us-west-2", operation, json };
}
const ok = (body: unknown = {}) => ({ status: 200, headers: { "x-amzn-requestid": "req-1" }, body: Buffer.from(JSON.stringify(body)) });

/**
 * The top-level fields of the Cognito developer guide's example records ("Example Amazon Cognito
 * events", understanding-amazon-cognito-entries.html, e.g. Signup_POST), less
 * `serviceEventDetails`, which only service events (eventType AwsServiceEvent) carry.
 */
const DOCUMENTED_FIELDS = [
  "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
  "requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "eventType",
  "managementEvent", "recipientAccountId", "eventCategory",
].sort();

describe("a Cognito call's CloudTrail record", () => {
  const admin = { kind: "admin" as const };

  it("has the documented fields, the username hidden and the user's sub beside it", () => {
    const r = cloudTrailRecord({ req: request("AdminDisableUser", { UserPoolId: POOL, Username: "alice@example.com" }), res: ok(), principal: admin, accessKeyId: "sandbox", account: ACCOUNT, sub: SUB });
    expect(Object.keys(r).sort()).toEqual(DOCUMENTED_FIELDS);
    expect(r).toMatchObject({
      eventVersion: "1.08",
      eventSource: "cognito-idp.amazonaws.com",
      eventName: "AdminDisableUser",
      awsRegion: "us-west-2",
      userAgent: "aws-sdk-js/3",
      requestParameters: { userPoolId: POOL, username: HIDDEN },
      responseElements: null,
      additionalEventData: { sub: SUB },
      requestID: "req-1",
      readOnly: false,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: "Management",
      userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${ACCOUNT}:user/moto`, accountId: ACCOUNT, accessKeyId: "sandbox" },
    });
    expect(r.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(r)).not.toContain("alice@example.com");
  });

  it("names a role session as AssumedRole with the role as its session issuer", () => {
    const principal = { kind: "role" as const, partition: "aws", accountId: ACCOUNT, roleArn: `arn:aws:iam::${ACCOUNT}:role/app/replicator`, roleName: "replicator", sessionName: "fn", issuedAt: "2026-01-01T00:00:00Z" };
    const r = cloudTrailRecord({ req: request("AdminEnableUser", { UserPoolId: POOL, Username: "u" }), res: ok(), principal, accessKeyId: "ASIAEXAMPLE", account: ACCOUNT });
    expect(r.userIdentity).toEqual({
      type: "AssumedRole",
      principalId: "AROAREPLICATOR:fn",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/replicator/fn`,
      accountId: ACCOUNT,
      accessKeyId: "ASIAEXAMPLE",
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: "AROAREPLICATOR", arn: `arn:aws:iam::${ACCOUNT}:role/app/replicator`, accountId: ACCOUNT, userName: "replicator" },
        attributes: { creationDate: "2026-01-01T00:00:00Z", mfaAuthenticated: "false" },
      },
    });
  });

  it("gives an unsigned call the documented {accountId} identity and the pool it names by client or token", () => {
    const r = cloudTrailRecord({ req: request("SignUp", { ClientId: "client1", Username: "bob", Password: "Secret1!", UserAttributes: [{ Name: "email", Value: "bob@example.com" }] }), res: ok({ UserSub: SUB, UserConfirmed: false, CodeDeliveryDetails: { Destination: "b***@e***", DeliveryMedium: "EMAIL", AttributeName: "email" } }), principal: admin, account: ACCOUNT, sub: SUB, userPoolId: POOL });
    expect(r.userIdentity).toEqual({ accountId: ACCOUNT });
    expect(r.requestParameters).toEqual({ clientId: "client1", username: HIDDEN, password: HIDDEN, userAttributes: [{ name: "email", value: HIDDEN }] });
    expect(r.responseElements).toEqual({ userSub: SUB, userConfirmed: false, codeDeliveryDetails: { destination: HIDDEN, deliveryMedium: "EMAIL", attributeName: "email" } });
    expect(r.additionalEventData).toEqual({ sub: SUB, userPoolId: POOL });
  });

  it("records a failed call with its errorCode and errorMessage and no response", () => {
    const res = { status: 400, headers: {}, body: Buffer.from(JSON.stringify({ __type: "UserNotFoundException", message: "User does not exist." })) };
    const r = cloudTrailRecord({ req: request("AdminDeleteUser", { UserPoolId: POOL, Username: "gone" }), res, principal: admin, accessKeyId: "sandbox", account: ACCOUNT });
    expect(r).toMatchObject({ errorCode: "UserNotFoundException", errorMessage: "User does not exist.", responseElements: null });
  });

  it("hides tokens, codes and attribute values wherever they are", () => {
    expect(redact({ AccessToken: "t", ConfirmationCode: "1", UserAttributeNames: ["email"], Users: [{ Username: "u", Attributes: [{ Name: "email", Value: "x" }] }] })).toEqual({
      accessToken: HIDDEN,
      confirmationCode: HIDDEN,
      userAttributeNames: ["email"],
      users: [{ username: HIDDEN, attributes: [{ name: "email", value: HIDDEN }] }],
    });
  });

  it("marks reads readOnly", () => {
    expect(["ListUsers", "AdminGetUser", "DescribeUserPool", "AdminListGroupsForUser", "GetUser"].every(isReadOnly)).toBe(true);
    expect(["AdminDisableUser", "SignUp", "InitiateAuth", "AdminAddUserToGroup"].some(isReadOnly)).toBe(false);
  });
});

describe("a trail's management events", () => {
  it("are all of them by default, and what the selectors keep otherwise", () => {
    expect(managementEvents({})).toEqual({ read: true, write: true });
    expect(managementEvents({ EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: "WriteOnly" }] })).toEqual({ read: false, write: true });
    expect(managementEvents({ EventSelectors: [{ IncludeManagementEvents: false, ReadWriteType: "All", DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] }] })).toEqual({ read: false, write: false });
    expect(managementEvents({ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, { Field: "readOnly", Equals: ["false"] }] }] })).toEqual({ read: false, write: true });
    expect(managementEvents({ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Data"] }] }] })).toEqual({ read: false, write: false });
  });
});

describe("rules and targets", () => {
  const record = (eventName: string) =>
    cloudTrailRecord({ req: request(eventName, { UserPoolId: POOL }), res: ok(), principal: { kind: "admin" }, accessKeyId: "sandbox", account: ACCOUNT });
  const rule = (pattern: object, State = "ENABLED"): Rule => ({ Name: "r", Arn: `arn:aws:events:us-west-2:${ACCOUNT}:rule/r`, State, EventPattern: JSON.stringify(pattern), targets: [] });
  const capture = { source: ["aws.cognito-idp"], "detail-type": ["AWS API Call via CloudTrail"], detail: { eventName: [{ wildcard: "Admin*User" }], requestParameters: { userPoolId: [POOL] } } };

  it("is the documented EventBridge event around the record", () => {
    const e = busEvent(record("AdminDisableUser"));
    expect(Object.keys(e).sort()).toEqual(["account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"]);
    expect(e).toMatchObject({ version: "0", "detail-type": "AWS API Call via CloudTrail", source: "aws.cognito-idp", account: ACCOUNT, region: "us-west-2", resources: [] });
  });

  it("reaches a rule whose pattern matches, unless disabled", () => {
    const e = busEvent(record("AdminDisableUser"));
    expect(ruleMatches(rule(capture), e)).toBe(true);
    expect(ruleMatches(rule(capture, "DISABLED"), e)).toBe(false);
    expect(ruleMatches(rule({ ...capture, detail: { ...capture.detail, requestParameters: { userPoolId: ["us-west-2_other"] } } }), e)).toBe(false);
    expect(ruleMatches(rule({ source: ["aws.cognito-idp"], detail: { eventName: [{ "anything-but": { prefix: "Admin" } }] } }), e)).toBe(false);
  });

  it("sends Get/List/Describe events only to rules that ask for read-only management events", () => {
    const all = { source: ["aws.cognito-idp"] };
    expect(ruleMatches(rule(all), busEvent(record("ListUsers")))).toBe(false);
    expect(ruleMatches(rule(all, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"), busEvent(record("ListUsers")))).toBe(true);
    // Read-only, but not named Describe/Get/List: an enabled rule receives it.
    expect(ruleMatches(rule(all), busEvent(record("AdminGetUser")))).toBe(true);
  });

  it("hands a target the event, its Input, or the part its InputPath names", () => {
    const e = busEvent(record("AdminDisableUser"));
    expect(targetInput({ Id: "a", Arn: "x" }, e)).toEqual({ payload: JSON.stringify(e) });
    expect(targetInput({ Id: "a", Arn: "x", Input: '{"k":1}' }, e)).toEqual({ payload: '{"k":1}' });
    expect(targetInput({ Id: "a", Arn: "x", InputPath: "$.detail.eventName" }, e)).toEqual({ payload: '"AdminDisableUser"' });
    expect(targetInput({ Id: "a", Arn: "x", InputTransformer: { InputTemplate: "<x>" } }, e)).toHaveProperty("error");
  });
});
