import { Readable } from "node:stream";
import { AdminGetUserCommand, CognitoIdentityProviderClient, InvalidParameterException, InternalErrorException, TooManyRequestsException } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { classifyAwsError } from "./classify";
import { DeadlineExceededError } from "./deadline";
import { GroupNotFoundError } from "./errors";
import * as aws from "../testing/aws";

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

describe("Cognito's errors as they come over the wire", () => {
  // AWS's documented status and body, parsed by the SDK itself: what the handlers classify in AWS.
  function cognitoAnswering(name: aws.CognitoErrorName): CognitoIdentityProviderClient {
    const { status, body } = aws.cognitoError(name);
    return new CognitoIdentityProviderClient({
      region: "us-west-2",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
      requestHandler: {
        handle: async () => ({
          response: { statusCode: status, headers: { "content-type": "application/x-amz-json-1.1" }, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
        }),
      },
    });
  }

  it.each([
    ["TooManyRequestsException", "THROTTLED", true],
    ["InternalErrorException", "TRANSIENT", true],
  ] as const)("%s is %s", async (name, reason, retryable) => {
    const err = await cognitoAnswering(name).send(new AdminGetUserCommand({ UserPoolId: "us-west-2_EXAMPLE", Username: "u" })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name, $metadata: { httpStatusCode: aws.cognitoError(name).status } });
    expect(classifyAwsError(err)).toMatchObject({ reason, retryable });
  });

  it.each(["UserNotFoundException", "UsernameExistsException"] as const)("%s keeps the name the upsert branches on", async (name) => {
    const err = await cognitoAnswering(name).send(new AdminGetUserCommand({ UserPoolId: "us-west-2_EXAMPLE", Username: "u" })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name, message: aws.cognitoError(name).body.message });
  });
});
