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

  it("names the missing permission of an access denial (action and ARN only), KMS denials included", () => {
    const kms = Object.assign(
      new Error(
        "KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: User: arn:aws:sts::123456789012:assumed-role/r/fn is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/mrk-1 because no identity-based policy allows the kms:Decrypt action (Service: AWSKMS; ...)",
      ),
      { name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } },
    );
    expect(classifyAwsError(kms).message).toBe("unexpected error: AccessDeniedException (HTTP 400): KMS key access denied: kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key/mrk-1");
    const cognito = Object.assign(new Error("User: arn:aws:sts::1:assumed-role/r/fn is not authorized to perform: cognito-idp:AdminCreateUser on resource: arn:aws:cognito-idp:us-west-2:1:userpool/us-west-2_x because no identity-based policy allows it"), {
      name: "AccessDeniedException",
    });
    expect(classifyAwsError(cognito).message).toBe("unexpected error: AccessDeniedException: cognito-idp:AdminCreateUser on arn:aws:cognito-idp:us-west-2:1:userpool/us-west-2_x");
    // Anything else in a denial's message (here an address) is not copied.
    expect(classifyAwsError(Object.assign(new Error("denied for bob@example.com"), { name: "AccessDeniedException" })).message).not.toContain("bob");
  });

  it("passes ReplicationErrors through and never copies the AWS message", () => {
    const g = new GroupNotFoundError("admins");
    expect(classifyAwsError(g)).toBe(g);
    const e = classifyAwsError(new InvalidParameterException({ message: "bad bob@example.com", ...meta }));
    expect(e.message).not.toContain("bob");
  });
});
