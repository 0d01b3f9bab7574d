// The shapes the Lambda emulation's parts share: a function's configuration and what running it
// gives back (runtime, invoke, pollers), the plugin's options and its stats.

import type { Authority } from "../types";
import type { MappingStats } from "./pollers/poller";
import type { ShardCheckpoint } from "./pollers/dynamodb-stream";

export interface FunctionConfig {
  name: string;
  region: string;
  arn: string;
  handler: string;
  runtime: string;
  timeoutSec: number;
  memoryMb: number;
  env: Record<string, string>;
  role?: string;
  /** Directory holding the unzipped code (the task root). */
  taskRoot: string;
  /** Bumped on every code or configuration change. */
  generation: number;
}

export interface ErrorPayload {
  errorType?: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeOutcome =
  | { kind: "ok"; payload: string; requestId: string; logTail: string; durationMs: number }
  | { kind: "error"; error: ErrorPayload; requestId: string; logTail: string; durationMs: number; timedOut: boolean };

export interface LogLine {
  ts: number;
  stream: "stdout" | "stderr" | "platform";
  line: string;
}

export interface LambdaPluginOptions {
  /** Endpoint the functions' SDK clients and the pollers use (AWS_ENDPOINT_URL). */
  gatewayEndpoint: string;
  /** moto_server endpoint (used to fetch S3-hosted code and to validate event sources). */
  motoEndpoint: string;
  /** Where code is unzipped and logs are mirrored. Default: a fresh dir under os.tmpdir(), removed on stop. */
  workDir?: string;
  /** Warm execution environments per function (default 10). */
  maxConcurrencyPerFunction?: number;
  /** Idle time after which a warm worker is stopped (default 5 min). */
  idleTimeoutMs?: number;
  /** Lines kept per function in the in-memory log ring buffer (default 2000). */
  logBufferLines?: number;
  /** Mirror function logs to `<workDir>/logs/<region>__<name>.log` (default true). */
  logToFile?: boolean;
  /** Poll interval of an idle event source (default 50 ms). */
  idlePollMs?: number;
  /** Base backoff between retries of a failed stream batch (default 100 ms). */
  retryBackoffMs?: number;
  /** Concurrent pollers per SQS mapping (default 2). */
  sqsPollersPerMapping?: number;
  /** Retries of failed asynchronous (Event) invocations and the delay between them (defaults: 2, 1000 ms). */
  asyncRetries?: number;
  asyncRetryDelayMs?: number;
  /** Receives sandbox-level messages (mapping errors, async failures). Default: none. */
  onLog?: (line: string) => void;
  /**
   * The gateway's authorizer: functions and their event source mappings then call AWS as the
   * function's execution role, and what Lambda itself checks (the role's trust, the mapping's
   * permissions, log delivery) is decided as in AWS. Without it every call is the sandbox's own.
   */
  authority?: Authority;
}

export interface FunctionStats {
  region: string;
  name: string;
  arn: string;
  handler: string;
  runtime: string;
  codeSha256: string;
  warm: number;
  busy: number;
  invocations: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
  queued: number;
  /** The function's configured memory (MemorySize). */
  memoryMb: number;
  /** Sum of its finished invocations' durations (ms), as REPORT lines give them, and of their billed durations (whole ms, at least 1). */
  durationMs: number;
  billedMs: number;
  /** Bytes of all its log lines (function output and START/END/REPORT), newline included: what CloudWatch Logs would ingest. */
  logBytes: number;
}

export interface MappingInfo {
  uuid: string;
  region: string;
  functionArn: string;
  eventSourceArn: string;
  state: string;
  lastProcessingResult: string;
  stats: MappingStats;
}

/** A function's DynamoDB stream mappings once caught up (or not, when the wait timed out). */
export interface MappingsCaughtUp {
  /** False when the wait timed out: the mapping is disabled, or records are still failing and retried. */
  caughtUp: boolean;
  mappings: Array<{ uuid: string; eventSourceArn: string; state: string; shards: ShardCheckpoint[]; stats: MappingStats }>;
}

export interface LambdaStats {
  functions: FunctionStats[];
  mappings: MappingInfo[];
}
