import { InvalidParameterException, InternalErrorException, TooManyRequestsException } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { classifyAwsError } from "./classify";
import { DeadlineExceededError } from "./deadline";
import { GroupNotFoundError } from "./errors";

const meta = { $metadata: { httpStatusCode: 400 } };

describe("classifyAwsError", () => {
  it.each([
    ["TooManyRequestsException", new TooManyRequestsException({ message: "m", ...meta }), "THROTTLED", true],
    ["ProvisionedThroughputExceeded", Object.assign(new Error("m"), { name: "ProvisionedThroughputExceededException" }), "THROTTLED", true],
    ["HTTP 429", Object.assign(new Error("m"), { name: "Weird", $metadata: { httpStatusCode: 429 } }), "THROTTLED", true],
    ["InternalErrorException", new InternalErrorException({ message: "m", $metadata: { httpStatusCode: 500 } }), "TRANSIENT", true],
    ["503 server fault", Object.assign(new Error("m"), { name: "ServiceUnavailable", $fault: "server" }), "TRANSIENT", true],
    ["deadline", new DeadlineExceededError(10), "TRANSIENT", true],
    ["ECONNRESET", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "TRANSIENT", true],
    ["AccessDenied (infrastructure)", Object.assign(new Error("m"), { name: "AccessDeniedException", $fault: "client" }), "TRANSIENT", true],
    ["InvalidParameterException", new InvalidParameterException({ message: "m", ...meta }), "ATTRIBUTE_REJECTED", false],
    ["ValidationException", Object.assign(new Error("m"), { name: "ValidationException" }), "INVALID_RECORD", false],
    ["a thrown string", "boom", "TRANSIENT", true],
  ])("%s", (_label, err, reason, retryable) => {
    expect(classifyAwsError(err)).toMatchObject({ reason, retryable });
  });

  it("passes ReplicationErrors through and never copies the AWS message", () => {
    const g = new GroupNotFoundError("admins");
    expect(classifyAwsError(g)).toBe(g);
    const e = classifyAwsError(new InvalidParameterException({ message: "bad bob@example.com", ...meta }));
    expect(e.message).not.toContain("bob");
  });
});
