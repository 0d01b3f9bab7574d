// How the commands fail: the exit codes every operator tool shares, the error a command
// throws for a problem the operator can fix, and the one line an operator reads for any
// other error (credentials, network, not found), never a stack trace.
import type { Environment } from "../../stacks/environments";

/** Exit codes shared by every operator tool (each tool's --help says which it uses). */
export const EXIT = {
  /** Done; nothing found or everything repaired. */
  OK: 0,
  /** Drift found (or messages left) and not repaired. */
  DRIFT: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** Cannot reach the target: no credentials, unknown pool/queue/table, wrong region, sandbox down. */
  TARGET: 3,
  /** Ran to the end, but some users or messages failed (listed in the output). */
  PARTIAL: 4,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success (no drift, or all of it repaired)
  1  drift found and not repaired / work left (see the tool's description)
  2  usage error (unknown flag, bad value)
  3  target error: no or rejected credentials, unknown pool/queue/table, wrong region, sandbox not running
  4  finished, but some users or messages failed (listed in the report)`;

/** An operator tool's problem the operator can fix, with its exit code (usage by default). */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
  }
}

/** A pipeline step's problem the operator can fix; printed as one clear message, no stack trace. */
export class PipelineError extends Error {}

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_REJECTED = new Set(["UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "InvalidSignatureException", "SignatureDoesNotMatch"]);
const NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH"]);

function networkCode(err: AwsErrorShape | undefined, depth = 0): string | undefined {
  if (!err || depth > 4) return undefined;
  if (err.code && NETWORK.has(err.code)) return err.code;
  const errors = (err as { errors?: AwsErrorShape[] }).errors;
  for (const e of errors ?? []) {
    const c = networkCode(e, depth + 1);
    if (c) return c;
  }
  return networkCode(err.cause as AwsErrorShape | undefined, depth + 1);
}

/** One line for an operator, and the exit code; never a stack trace. */
export function describeError(err: unknown, target?: { env?: Environment }): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  const e = (err ?? {}) as AwsErrorShape;
  const name = e.name ?? "Error";
  const sandbox = target?.env?.sandboxEndpoint;
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return {
      message: "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), run `aws sso login`, or use --env local against the sandbox",
      exitCode: EXIT.TARGET,
    };
  }
  if (CREDENTIAL_REJECTED.has(name)) return { message: `AWS rejected the credentials (${name}): check the profile, the account and that the session has not expired`, exitCode: EXIT.TARGET };
  if (name === "AccessDeniedException" || name === "AccessDenied" || name === "NotAuthorizedException") {
    return { message: `access denied: ${e.message ?? name}`, exitCode: EXIT.TARGET };
  }
  const net = networkCode(e);
  if (net) {
    if (sandbox) return { message: `cannot reach the sandbox at ${sandbox} (${net}): start it with \`npm run sandbox\` or set SANDBOX_ENDPOINT`, exitCode: EXIT.TARGET };
    if (net === "ENOTFOUND" || net === "EAI_AGAIN") return { message: `cannot resolve the AWS endpoint (${net}): is the region name right, and is the network up?`, exitCode: EXIT.TARGET };
    return { message: `network error talking to AWS (${net})`, exitCode: EXIT.TARGET };
  }
  if (name === "ResourceNotFoundException" || name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue") {
    return { message: `not found: ${e.message ?? name} (deployed? right --env and region?)`, exitCode: EXIT.TARGET };
  }
  return { message: `${name}: ${e.message ?? "unexpected error"}`, exitCode: EXIT.TARGET };
}
