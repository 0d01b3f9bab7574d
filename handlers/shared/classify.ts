// Maps whatever an AWS SDK call threw to a ReplicationError. The rule: an error is
// permanent only when the *record* can never succeed (bad parameters, validation).
// Anything about the infrastructure (throttling, 5xx, timeouts, network, missing
// permissions or resources) is retryable, so a fix or a recovery replays the record
// instead of parking every record that happened to pass by.
import {
  AttributeRejectedError,
  InvalidRecordError,
  ReplicationError,
  ThrottledError,
  TransientError,
} from "./errors";

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "RequestThrottledException",
  "SlowDown",
  "LimitExceededException",
]);

const PERMANENT_PARAMETER = new Set([
  "InvalidParameterException",
  "InvalidParameterValueException",
  "AliasExistsException",
  "UnsupportedUserStateException",
]);

const PERMANENT_VALIDATION = new Set([
  "ValidationException",
  "SerializationException",
  "InvalidMessageContents",
  "InvalidParameterValue",
]);

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const TIMEOUT_NAMES = new Set(["TimeoutError", "AbortError", "RequestTimeout", "RequestTimeoutException"]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** `name: ` only; AWS messages are not guaranteed value-free, so they are not copied. */
function describe(e: SdkErrorShape, fallback: string): string {
  return `${e.name ?? e.code ?? fallback}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ""}${accessDeniedDetail(e)}`;
}

const DENIED = /not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9*]+)(?: on resource: (arn:[A-Za-z0-9:/_.+=,@*-]+))?/;

/**
 * For an access denial, which permission is missing, so on-call sees what to grant: AWS's message
 * ("User: <role> is not authorized to perform: <action> on resource: <arn> ...", IAM User Guide,
 * "Troubleshoot access denied error messages") names only the action and ARNs, which are copied;
 * nothing else of the message is. DynamoDB wraps a KMS denial as "KMS key access denied error".
 */
function accessDeniedDetail(e: SdkErrorShape): string {
  // Stryker disable next-line StringLiteral: equivalent, no stand-in for a missing name matches the denial names
  if (!/AccessDenied|AuthorizationError|KmsAccessDenied|KMSAccessDenied/i.test(e.name ?? "")) return "";
  // Stryker disable next-line StringLiteral: equivalent, DENIED matches no text but an AWS denial, so any stand-in for a missing message gives no match as "" does
  const m = DENIED.exec(e.message ?? "");
  const kms = /KMS key access denied|KmsAccessDenied|KMSAccessDenied/i.test(`${e.name} ${e.message}`) ? "KMS key access denied: " : "";
  return m ? `: ${kms}${m[1]}${m[2] ? ` on ${m[2]}` : ""}` : kms ? `: ${kms.slice(0, -2)}` : "";
}

export function classifyAwsError(err: unknown): ReplicationError {
  if (err instanceof ReplicationError) return err;
  if (typeof err !== "object" || err === null) {
    return new TransientError(`non-error thrown: ${typeof err}`, { cause: err });
  }
  const e = err as SdkErrorShape;
  // Stryker disable next-line StringLiteral: equivalent, `name` only feeds the lookups in the AWS name sets below, which hold no stand-in for a missing name
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;

  if (THROTTLING.has(name) || e.$retryable?.throttling || status === 429) {
    return new ThrottledError(describe(e, "throttled"), { cause: err });
  }
  if (PERMANENT_PARAMETER.has(name)) {
    return new AttributeRejectedError(undefined, `rejected by the service: ${describe(e, name)}`, { cause: err });
  }
  if (PERMANENT_VALIDATION.has(name)) {
    return new InvalidRecordError(`rejected by the service: ${describe(e, name)}`);
  }
  // Stryker disable next-line StringLiteral: equivalent, NETWORK_CODES holds no stand-in for a missing code
  if (TIMEOUT_NAMES.has(name) || NETWORK_CODES.has(e.code ?? "") || NETWORK_CODES.has(name)) {
    // Node's socket errors arrive named "Error" (or renamed "TimeoutError" by the SDK's HTTP handler):
    // only the code tells a DNS failure (ENOTFOUND) from a reset connection.
    const code = e.name !== undefined && e.code !== undefined && e.code !== e.name ? ` (${e.code})` : "";
    // Stryker disable next-line StringLiteral: unreachable fallback, this branch is only taken for an error with a name or a code, which describe() shows first
    const what = describe(e, "network");
    return new TransientError(`timeout or network error: ${what}${code}`, { cause: err });
  }
  if (e.$fault === "server" || (status !== undefined && status >= 500)) {
    return new TransientError(`service error: ${describe(e, "server")}`, { cause: err });
  }
  // Everything else (AccessDenied, ResourceNotFound of the pool/table/queue, unknown
  // client errors, our own bugs): retryable, so the stream blocks and alarms instead
  // of silently parking good records.
  return new TransientError(`unexpected error: ${describe(e, "Error")}`, { cause: err });
}
