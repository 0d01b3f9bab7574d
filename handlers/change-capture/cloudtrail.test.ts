// The parser on AWS's documented events and on the redacted, failed, foreign and malformed variants
// it must drop: each with its reason, none with a throw, none echoing a value it should not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CAPTURED_EVENT_NAMES } from "../contract";
import * as aws from "../../test/support/aws";
import { KIND_OF, parseMessage, type ParseConfig } from "./cloudtrail";

const POOL = "us-west-2_aaaaaaaaa";
const SUB = "704b1e47-34fe-40e9-8c41-504997494531";
const config: ParseConfig = { poolId: POOL, ignoredRoleArns: new Set(["arn:aws:iam::123456789012:role/cdr-prod-replicator"]), ignoredRolePrefix: "cdr-prod-" };
const body = (detail: unknown) => JSON.stringify(aws.eventBridgeCloudTrailEvent(detail));
const adminCall = (patch: Record<string, unknown> = {}) => ({ ...aws.cloudTrailAdminCall(), ...patch });
const parse = (detail: unknown, c: ParseConfig = config) => parseMessage(body(detail), c);
const dropped = (detail: unknown, c: ParseConfig = config) => {
  const p = parse(detail, c);
  return p.ok ? "kept" : p.reason;
};

describe("AWS's events", () => {
  it("managed login's Confirm_POST, as published: the user's sub from additionalEventData.requestParameters.sub, the pool from additionalEventData", () => {
    expect(parse(aws.cloudTrailManagedLoginConfirm())).toEqual({
      ok: true,
      event: { poolId: POOL, sub: SUB, eventName: "Confirm_POST", kind: "confirm", at: Date.parse("2022-05-05T23:23:32Z"), eventId: "e24ac6e5-2f70-4c6e-ad4e-2f08a547bb36" },
    });
  });

  it("a user-pools API call (assembled from the documented parts): pool from requestParameters, sub from additionalEventData", () => {
    expect(parse(adminCall())).toEqual({
      ok: true,
      event: { poolId: POOL, sub: SUB, eventName: "AdminDisableUser", kind: "disable", at: Date.parse("2022-05-05T23:24:10Z"), eventId: "0bd1586d-cd3e-4d7a-abaf-fd8bfc3912fd" },
    });
  });

  it("managed login's Signup_POST, as published, names nobody and is not a call we capture (ConfirmSignUp follows)", () => {
    expect(parse(aws.cloudTrailManagedLoginSignup())).toMatchObject({ ok: false, reason: "not-captured", facts: { eventName: "Signup_POST" } });
  });

  it("every captured call has a kind", () => {
    for (const name of CAPTURED_EVENT_NAMES) expect(KIND_OF[name], name).toMatch(/^[a-z]+$/);
    expect(Object.keys(KIND_OF).sort()).toEqual([...CAPTURED_EVENT_NAMES].sort());
  });
});

describe("where the sub is, and what is never taken for one", () => {
  const withoutSub = () => adminCall({ additionalEventData: {} });

  it("hidden everywhere (the username HIDDEN_DUE_TO_SECURITY_REASONS, no additionalEventData.sub): no-sub", () => {
    expect(dropped(withoutSub())).toBe("no-sub");
    expect(dropped(aws.withHidden(adminCall(), "additionalEventData.sub"))).toBe("no-sub");
    expect(dropped(adminCall({ additionalEventData: undefined }))).toBe("no-sub");
  });

  it("redacted variants of the published Confirm_POST: the sub or the pool hidden, dropped for it; the fields Cognito hides anyway change nothing", () => {
    const confirm = aws.cloudTrailManagedLoginConfirm();
    expect(dropped(aws.withHidden(confirm, "additionalEventData.requestParameters.sub"))).toBe("no-sub");
    expect(dropped(aws.withHidden(confirm, "additionalEventData.userPoolId"))).toBe("no-pool-id");
    expect(dropped(aws.withHidden(confirm, "additionalEventData.requestParameters.username", "additionalEventData.requestParameters.destination", "userAgent", "sourceIPAddress"))).toBe("kept");
    expect(aws.withHidden(confirm, "additionalEventData.requestParameters.sub").additionalEventData.requestParameters.sub).toEqual([aws.HIDDEN]);
  });

  it("a username that is the sub is taken; an email or any other username is not (and is never echoed)", () => {
    expect(parse({ ...withoutSub(), requestParameters: { userPoolId: POOL, username: SUB.toUpperCase() } })).toMatchObject({ ok: true, event: { sub: SUB } });
    const byEmail = parse({ ...withoutSub(), requestParameters: { userPoolId: POOL, username: "alice@example.com" } });
    expect(byEmail).toMatchObject({ ok: false, reason: "no-sub" });
    expect(JSON.stringify(byEmail)).not.toContain("alice");
    expect(dropped({ ...withoutSub(), requestParameters: { userPoolId: POOL, username: "alice" } })).toBe("no-sub");
  });

  it("SignUp's response names the new user's sub", () => {
    expect(parse({ ...withoutSub(), eventName: "SignUp", responseElements: { userConfirmed: false, userSub: SUB } })).toMatchObject({ ok: true, event: { sub: SUB, kind: "create" } });
  });

  it("additionalEventData.sub wins over the other places", () => {
    const other = "11111111-2222-4333-8444-555555555555";
    expect(parse({ ...adminCall(), requestParameters: { userPoolId: POOL, username: other } })).toMatchObject({ event: { sub: SUB } });
    const managed = aws.cloudTrailManagedLoginConfirm();
    expect(parse({ ...managed, additionalEventData: { ...managed.additionalEventData, sub: other } })).toMatchObject({ event: { sub: other } });
  });

  it("managed login's sub as a plain string is read too; a list whose first entry is hidden is no sub", () => {
    const managed = aws.cloudTrailManagedLoginConfirm();
    const rp = managed.additionalEventData.requestParameters;
    expect(parse({ ...managed, additionalEventData: { ...managed.additionalEventData, requestParameters: { ...rp, sub: SUB } } })).toMatchObject({ ok: true });
    expect(dropped({ ...managed, additionalEventData: { ...managed.additionalEventData, requestParameters: { ...rp, sub: ["HIDDEN_DUE_TO_SECURITY_REASONS", SUB] } } })).toBe("no-sub");
  });
});

describe("pools", () => {
  it("another pool's call is dropped; so is one naming no pool or a hidden one", () => {
    expect(dropped(adminCall({ requestParameters: { userPoolId: "us-west-2_bbbbbbbbb", username: "HIDDEN_DUE_TO_SECURITY_REASONS" } }))).toBe("other-pool");
    expect(dropped(adminCall({ requestParameters: { username: "HIDDEN_DUE_TO_SECURITY_REASONS" } }))).toBe("no-pool-id");
    expect(dropped(adminCall({ requestParameters: { userPoolId: "HIDDEN_DUE_TO_SECURITY_REASONS" } }))).toBe("no-pool-id");
    expect(dropped(adminCall({ requestParameters: null }))).toBe("no-pool-id");
    const managed = aws.cloudTrailManagedLoginConfirm();
    expect(dropped({ ...managed, additionalEventData: { ...managed.additionalEventData, userPoolId: "us-west-2_bbbbbbbbb" } })).toBe("other-pool");
  });
});

describe("failed calls", () => {
  it("an errorCode drops the event and is named; the empty errorCode of a success (as published) does not", () => {
    expect(parse(adminCall({ errorCode: "UserNotFoundException", errorMessage: "User does not exist." }))).toEqual({
      ok: false,
      reason: "failed-call",
      facts: { eventName: "AdminDisableUser", eventId: "0bd1586d-cd3e-4d7a-abaf-fd8bfc3912fd", errorCode: "UserNotFoundException" },
    });
    expect(parse(adminCall({ errorCode: "", errorMessage: "" }))).toMatchObject({ ok: true });
    expect(parse(adminCall({ errorCode: "bob@example.com" }))).toMatchObject({ reason: "failed-call", facts: { errorCode: undefined } });
  });
});

describe("loop safety: this project's own roles", () => {
  const as = (roleName: string, path = "") => {
    const record = adminCall();
    const identity = structuredClone(record.userIdentity) as { arn: string; sessionContext: { sessionIssuer: { arn: string; userName: string } } };
    identity.arn = `arn:aws:sts::123456789012:assumed-role/${roleName}/session-1`;
    identity.sessionContext.sessionIssuer.arn = `arn:aws:iam::123456789012:role/${path}${roleName}`;
    identity.sessionContext.sessionIssuer.userName = roleName;
    return { ...record, userIdentity: identity };
  };

  it("a session of a listed role ARN, or of a role whose name has the prefix, is not captured", () => {
    expect(dropped(as("cdr-prod-replicator"))).toBe("own-role");
    expect(dropped(as("cdr-prod-reconcile"))).toBe("own-role");
    expect(dropped(as("ops-admin"), { ...config, ignoredRolePrefix: undefined })).toBe("kept");
    expect(dropped(as("cdr-prod-replicator"), { ...config, ignoredRolePrefix: undefined })).toBe("own-role");
    expect(dropped(as("operator", "team/"), { ...config, ignoredRoleArns: new Set(["arn:aws:iam::123456789012:role/team/operator"]) })).toBe("own-role");
  });

  it("other roles, IAM users and unauthenticated callers are captured; a prefix matches the start of the name only", () => {
    expect(dropped(as("ops-admin"))).toBe("kept");
    expect(dropped(as("x-cdr-prod-replicator"))).toBe("kept");
    expect(dropped(adminCall({ userIdentity: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/cdr-prod-alice", userName: "cdr-prod-alice" } }))).toBe("kept");
    expect(dropped(aws.cloudTrailManagedLoginConfirm())).toBe("kept");
  });

  it("without the session issuer, the role name is read from the assumed-role session ARN", () => {
    const record = as("cdr-prod-backfill");
    const { sessionContext: _dropped, ...bare } = record.userIdentity as Record<string, unknown>;
    expect(dropped({ ...record, userIdentity: bare })).toBe("own-role");
    expect(dropped({ ...record, userIdentity: { ...bare, arn: "arn:aws:sts::123456789012:assumed-role/ops/s" } })).toBe("kept");
  });
});

describe("challenge answers", () => {
  const answer = (challengeName?: string) => adminCall({ eventName: "RespondToAuthChallenge", requestParameters: { clientId: "1example23456789", ...(challengeName ? { challengeName } : {}) } });

  it("only the one that sets a password (NEW_PASSWORD_REQUIRED) is captured; an OTP sign-in is not; a hidden or absent name is re-read", () => {
    // No userPoolId in RespondToAuthChallenge's request: the managed pool id comes from nowhere, so these name it.
    const withPool = (d: ReturnType<typeof answer>) => ({ ...d, additionalEventData: { sub: SUB, userPoolId: POOL } });
    expect(dropped(withPool(answer("NEW_PASSWORD_REQUIRED")))).toBe("kept");
    expect(dropped(withPool(answer("EMAIL_OTP")))).toBe("not-password-change");
    expect(dropped(withPool(answer("SMS_MFA")))).toBe("not-password-change");
    expect(dropped(withPool(answer("HIDDEN_DUE_TO_SECURITY_REASONS")))).toBe("kept");
    expect(dropped(withPool(answer()))).toBe("kept");
    expect(parse(withPool(answer("NEW_PASSWORD_REQUIRED")))).toMatchObject({ event: { kind: "password" } });
  });
});

describe("shapes it does not know", () => {
  it.each([
    ["not JSON", "{"],
    ["a JSON array", "[]"],
    ["null", "null"],
    ["another detail-type", JSON.stringify({ ...aws.eventBridgeCloudTrailEvent(adminCall()), "detail-type": "AWS Console Sign In via CloudTrail" })],
    ["another source", JSON.stringify({ ...aws.eventBridgeCloudTrailEvent(adminCall()), source: "aws.s3" })],
    ["no detail", JSON.stringify({ ...aws.eventBridgeCloudTrailEvent(adminCall()), detail: undefined })],
    ["a detail that is a string", JSON.stringify({ ...aws.eventBridgeCloudTrailEvent(adminCall()), detail: "x" })],
    ["another eventSource", body(adminCall({ eventSource: "cognito-identity.amazonaws.com" }))],
  ])("%s is dropped with a reason", (_label, message) => {
    const p = parseMessage(message, config);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(["not-json", "not-cloudtrail"]).toContain(p.reason);
  });

  it("a call we do not capture is named when its name has an API name's shape, and not otherwise", () => {
    expect(parse(adminCall({ eventName: "AdminGetUser" }))).toEqual({ ok: false, reason: "not-captured", facts: { eventName: "AdminGetUser", eventId: "0bd1586d-cd3e-4d7a-abaf-fd8bfc3912fd" } });
    expect(parse(adminCall({ eventName: "bob@example.com" }))).toEqual({ ok: false, reason: "not-captured", facts: { eventName: undefined, eventId: "0bd1586d-cd3e-4d7a-abaf-fd8bfc3912fd" } });
    expect(parse(adminCall({ eventName: 42 }))).toMatchObject({ reason: "not-captured" });
  });

  it("the event time falls back to the envelope's; with neither it is dropped", () => {
    const envelope = aws.eventBridgeCloudTrailEvent(adminCall({ eventTime: undefined }));
    expect(parseMessage(JSON.stringify({ ...envelope, time: "2022-05-05T23:25:00Z" }), config)).toMatchObject({ ok: true, event: { at: Date.parse("2022-05-05T23:25:00Z") } });
    expect(parseMessage(JSON.stringify({ ...envelope, time: "soon" }), config)).toMatchObject({ ok: false, reason: "no-time" });
  });

  it("whatever the body, parsing never throws and never returns a value it was not asked for", () => {
    const canary = "leak.canary@example.com";
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify({ source: "aws.cognito-idp", "detail-type": "AWS API Call via CloudTrail", detail: { eventSource: "cognito-idp.amazonaws.com", eventName: "AdminDisableUser", x: v, errorCode: canary } }) ?? "")), (message) => {
        const p = parseMessage(message, config);
        expect(JSON.stringify(p)).not.toContain(canary);
      }),
      { numRuns: 300 },
    );
  });
});
