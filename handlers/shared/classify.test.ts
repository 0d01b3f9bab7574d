import { Readable } from "node:stream";
import { AdminGetUserCommand, CognitoIdentityProviderClient, InvalidParameterException, InternalErrorException, TooManyRequestsException } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { classifyAwsError } from "./classify";
import { DeadlineExceededError } from "./deadline";
import { GroupNotFoundError } from "./errors";
import * as aws from "../../test/support/aws";

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

/** What an SDK client throws: a named Error plus the SDK's metadata; the AWS message is never copied. */
const sdkError = (name: string | undefined, extra: Record<string, unknown> = {}) => Object.assign(new Error("AWS text that may name alice@example.com"), { name, ...extra });

describe("classifyAwsError by error name", () => {
  // Throttling codes as the AWS SDK's retry strategy knows them (@smithy/core,
  // service-error-classification THROTTLING_ERROR_CODES), those the services used here return.
  it.each([
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "RequestThrottledException",
    "SlowDown",
    "LimitExceededException",
  ])("%s is THROTTLED and retryable, keeping the SDK error as cause", (name) => {
    const err = sdkError(name);
    const e = classifyAwsError(err);
    expect(e).toMatchObject({ name: "ThrottledError", reason: "THROTTLED", retryable: true, message: name });
    expect(e.cause).toBe(err);
  });

  it("a bare HTTP 429 is THROTTLED too, described by its status", () => {
    expect(classifyAwsError({ $metadata: { httpStatusCode: 429 } })).toMatchObject({ reason: "THROTTLED", message: "throttled (HTTP 429)" });
  });

  it.each(["InvalidParameterException", "InvalidParameterValueException", "AliasExistsException", "UnsupportedUserStateException"])(
    "%s (the service refused a value of the user) is ATTRIBUTE_REJECTED, permanent",
    (name) => {
      const err = sdkError(name, { $metadata: { httpStatusCode: 400 } });
      const e = classifyAwsError(err);
      expect(e).toMatchObject({ name: "AttributeRejectedError", reason: "ATTRIBUTE_REJECTED", retryable: false, message: `rejected by the service: ${name} (HTTP 400)` });
      expect(e.cause).toBe(err);
    },
  );

  it.each(["ValidationException", "SerializationException", "InvalidMessageContents", "InvalidParameterValue"])(
    "%s (the request built from the record is invalid) is INVALID_RECORD, permanent",
    (name) => {
      expect(classifyAwsError(sdkError(name))).toMatchObject({ name: "InvalidRecordError", reason: "INVALID_RECORD", retryable: false, message: `rejected by the service: ${name}` });
    },
  );

  it.each(["TimeoutError", "AbortError", "RequestTimeout", "RequestTimeoutException"])("%s is a retryable timeout", (name) => {
    const err = sdkError(name);
    const e = classifyAwsError(err);
    expect(e).toMatchObject({ name: "TransientError", reason: "TRANSIENT", retryable: true, message: `timeout or network error: ${name}` });
    expect(e.cause).toBe(err);
  });

  it("our own deadline is a timeout", () => {
    expect(classifyAwsError(new DeadlineExceededError(10)).message).toBe("timeout or network error: TimeoutError");
  });
});

describe("classifyAwsError of network failures", () => {
  // Node's socket error codes (the SDK's NODEJS_TIMEOUT_ERROR_CODES and NODEJS_NETWORK_ERROR_CODES, plus
  // undici's): the node HTTP handler rejects with the raw Error, so the code is what tells them apart.
  it.each(["ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"])(
    "%s is retryable and the message names the code",
    (code) => {
      const err = sdkError("Error", { code });
      const e = classifyAwsError(err);
      expect(e).toMatchObject({ reason: "TRANSIENT", retryable: true, message: `timeout or network error: Error (${code})` });
      expect(e.cause).toBe(err);
    },
  );

  it("names the code once when it is the error's name, and keeps the SDK's name for a socket timeout", () => {
    expect(classifyAwsError(sdkError("UND_ERR_SOCKET")).message).toBe("timeout or network error: UND_ERR_SOCKET");
    expect(classifyAwsError(sdkError("UND_ERR_SOCKET", { code: "UND_ERR_SOCKET" })).message).toBe("timeout or network error: UND_ERR_SOCKET");
    expect(classifyAwsError({ code: "ECONNRESET" }).message).toBe("timeout or network error: ECONNRESET");
    expect(classifyAwsError(sdkError("TimeoutError", { code: "ECONNRESET" })).message).toBe("timeout or network error: TimeoutError (ECONNRESET)");
  });
});

describe("classifyAwsError of server faults and everything else", () => {
  it.each([
    ["HTTP 500", sdkError("InternalFailure", { $metadata: { httpStatusCode: 500 } }), "service error: InternalFailure (HTTP 500)"],
    ["a server fault without status", sdkError("ServiceUnavailable", { $fault: "server" }), "service error: ServiceUnavailable"],
    ["an unnamed 503", { $metadata: { httpStatusCode: 503 } }, "service error: server (HTTP 503)"],
    ["HTTP 499", sdkError("ClientClosed", { $fault: "client", $metadata: { httpStatusCode: 499 } }), "unexpected error: ClientClosed (HTTP 499)"],
    ["ResourceNotFoundException (pool, table or queue gone)", sdkError("ResourceNotFoundException", { $fault: "client" }), "unexpected error: ResourceNotFoundException"],
    ["an object without name", {}, "unexpected error: Error"],
  ])("%s: retryable, message %j", (_label, err, message) => {
    const e = classifyAwsError(err);
    expect(e).toMatchObject({ name: "TransientError", reason: "TRANSIENT", retryable: true, message });
    expect(e.cause).toBe(err);
  });

  it.each([
    ["a string", "boom", "non-error thrown: string"],
    ["undefined", undefined, "non-error thrown: undefined"],
    ["null", null, "non-error thrown: object"],
    ["a number", 42, "non-error thrown: number"],
  ])("%s thrown is retryable, named by its type only", (_label, thrown, message) => {
    const e = classifyAwsError(thrown);
    expect(e).toMatchObject({ reason: "TRANSIENT", retryable: true, message });
    expect(e.cause).toBe(thrown);
  });
});

describe("classifyAwsError of access denials", () => {
  const denied = (name: string, message: string) => Object.assign(new Error(message), { name });

  it("names the action when the denial names no resource", () => {
    const e = denied("AccessDeniedException", "User: arn:aws:sts::1:assumed-role/r/fn is not authorized to perform: cognito-idp:ListUsers because no identity-based policy allows it");
    expect(classifyAwsError(e).message).toBe("unexpected error: AccessDeniedException: cognito-idp:ListUsers");
  });

  it("says KMS when a KMS denial names no action", () => {
    expect(classifyAwsError(denied("KmsAccessDenied", "The caller doesn't have the required KMS access.")).message).toBe("unexpected error: KmsAccessDenied: KMS key access denied");
  });

  it("adds nothing when the denial's message has no action", () => {
    expect(classifyAwsError(denied("AccessDeniedException", "Access denied for bob@example.com")).message).toBe("unexpected error: AccessDeniedException");
  });

  it("copies nothing from the message of an error that is not a denial", () => {
    const e = Object.assign(denied("InternalErrorException", "is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:key/k (KMS key access denied)"), {
      $metadata: { httpStatusCode: 500 },
    });
    expect(classifyAwsError(e).message).toBe("service error: InternalErrorException (HTTP 500)");
  });
});
