// Interfaces shared by the sandbox gateway and its plugins. The gateway parses
// each AWS request once into an AwsRequest, runs it through the plugin chain
// (each plugin may answer, rewrite, or pass to `next`), and the last link
// forwards to moto_server.

export interface AwsRequest {
  method: string;
  /** Path without the query string, e.g. `/` or `/2015-03-31/functions`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  /** Signing name from the SigV4 credential scope (`dynamodb`, `cognito-idp`, `lambda`, `sqs`, ...). */
  service: string;
  /** Region from the SigV4 credential scope. */
  region: string;
  /** Operation for JSON protocols (the part after the dot in X-Amz-Target), or the query `Action`. */
  operation?: string;
  /** Parsed body for JSON protocols, when it parses. */
  json?: unknown;
}

export interface AwsResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type Next = (req: AwsRequest) => Promise<AwsResponse>;

export interface GatewayPlugin {
  name: string;
  /** Handle a request or pass it on with `next(req)`. */
  handle(req: AwsRequest, next: Next): Promise<AwsResponse>;
  /** Stop timers, pollers and child processes. */
  stop?(): Promise<void>;
}

/** What the Lambda emulation offers other plugins (Cognito triggers call it). */
export interface LambdaInvoker {
  /**
   * Runs a deployed function with `event` and resolves with its result.
   * `fn` is a function name or ARN; `region` is where it was deployed.
   * Rejects with an error whose `name` is `FunctionError` when the handler throws,
   * `TimeoutError` when it runs past `timeoutMs` (default: the function's own timeout).
   */
  invoke(fn: string, region: string, event: unknown, opts?: { timeoutMs?: number }): Promise<unknown>;
}

/** Credentials of a role session (what STS would hand out). */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** One permission to decide: an IAM action on a resource ARN (or `*`). */
export interface PermissionCheck {
  action: string;
  resource: string;
  /** The resource policy that applies, when there is one. */
  resourcePolicy?: "kms-key" | "sqs-queue" | "sns-topic" | "lambda-function";
  /** The resource policy to evaluate instead of the resource's own: a key policy not created yet, a bucket policy CloudTrail checks. */
  resourcePolicyDocument?: unknown;
  context?: Record<string, string | string[]>;
}

export interface PermissionResult {
  allowed: boolean;
  /** AWS's access denied message, for a denial. */
  message?: string;
}

/**
 * What the plugins that emulate AWS services ask the authorizer: credentials for a role session,
 * whether a role session or an AWS service may do something, whether a service may assume a role.
 * Every answer is decided with AWS's policy logic and recorded like any call.
 */
export interface Authority {
  credentials(roleArn: string, sessionName: string, sessionToken?: string): SessionCredentials;
  roleMay(roleArn: string, sessionName: string, check: PermissionCheck): Promise<PermissionResult>;
  serviceMay(service: string, source: { arn?: string; account?: string }, check: PermissionCheck): Promise<PermissionResult>;
  /**
   * Whether `service` may assume `roleArn` (sts:AssumeRole, decided by the role's trust policy).
   * `source` is what the service acts for: `aws:SourceArn` and `aws:SourceAccount` in the request,
   * the keys a trust policy conditions on against the confused deputy.
   */
  canAssume(roleArn: string, service: string, source?: { arn?: string; account?: string }): Promise<PermissionResult>;
}
