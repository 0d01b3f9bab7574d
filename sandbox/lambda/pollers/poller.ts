// What Lambda's event source pollers share, whatever the source: the poll loop (paused while the
// mapping is disabled, a failed poll counted, logged and retried), the mapping's filter criteria,
// invoking the function with a batch, reading a ReportBatchItemFailures answer, and delivering an
// on-failure record. DynamoDbStreamPoller and SqsPoller add their source's reading and retry rules.
//
// Pollers talk to the event source through the sandbox GATEWAY endpoint (not moto directly), so
// that injected faults, throttling and region outages apply to Lambda's reads as they would in AWS.

import { awsJson, AwsCallError, parseArn } from "../../aws";
import type { MappingConfig } from "../esm";
import { parseFilterCriteria, type FilterPattern } from "../filter";
import type { ErrorPayload, InvokeOutcome } from "../types";

export type HostInvokeOutcome = InvokeOutcome | { kind: "missing"; message: string };

export interface PollerHost {
  gatewayEndpoint: string;
  /**
   * Credentials of the mapping's function's execution role: Lambda reads the source and delivers
   * on-failure records with that role (Lambda developer guide, "Execution role permissions" of the
   * DynamoDB and SQS event source pages). Undefined: the sandbox's own keys.
   */
  credentials?(functionArn: string): { accessKeyId: string; sessionToken?: string } | undefined;
  invoke(functionArn: string, event: unknown): Promise<HostInvokeOutcome>;
  log(m: MappingConfig, msg: string): void;
  /** Poll interval when the source is idle. */
  idlePollMs: number;
  /** Base delay before retrying a failed batch (grows linearly with the attempt, capped at 1 s). */
  retryBackoffMs: number;
}

export interface MappingStats {
  invocations: number;
  /** Records of successful invocations (a record delivered again, as on a retry, counts again). */
  recordsDelivered: number;
  /** Records the filter criteria dropped (Lambda discards them: never delivered, never retried). */
  recordsFiltered: number;
  /** recordsDelivered and recordsFiltered per stream record `eventName` (DynamoDB streams only). */
  deliveredByEventName: Record<string, number>;
  filteredByEventName: Record<string, number>;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  bisects: number;
  onFailureSent: number;
  deleted: number;
  pollErrors: number;
  lastError?: string;
  lastBatchAt?: number;
}

export function newStats(): MappingStats {
  return {
    invocations: 0,
    recordsDelivered: 0,
    recordsFiltered: 0,
    deliveredByEventName: {},
    filteredByEventName: {},
    functionErrors: 0,
    partialFailures: 0,
    retries: 0,
    bisects: 0,
    onFailureSent: 0,
    deleted: 0,
    pollErrors: 0,
  };
}

/** Interprets a function response under ReportBatchItemFailures. `null` = whole batch failed; [] = all succeeded. */
export function parseBatchItemFailures(payload: string, ids: Set<string>): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (parsed === null || parsed === undefined) return [];
  if (typeof parsed !== "object" || Array.isArray(parsed)) return [];
  const list = (parsed as Record<string, unknown>).batchItemFailures;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return null;
  const failed: string[] = [];
  for (const item of list) {
    const id = item && typeof item === "object" ? (item as Record<string, unknown>).itemIdentifier : undefined;
    if (typeof id !== "string" || id === "" || !ids.has(id)) return null;
    failed.push(id);
  }
  return failed;
}

export abstract class Poller {
  readonly stats = newStats();
  protected readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  /** Polls under way: a poll that began before the mapping was disabled still delivers what it read. */
  private polling = 0;
  private filters: FilterPattern[] = [];
  private filterSource?: unknown;

  constructor(
    protected readonly m: MappingConfig,
    protected readonly host: PollerHost,
  ) {}

  /** Starts `n` poll loops; called by a subclass's constructor once its own fields are set. */
  protected start(n: number): void {
    this.loops = Array.from({ length: n }, () => this.run());
  }

  /** One poll (read, and deliver what was read). Throwing counts a poll error and retries after 500 ms. */
  protected abstract pollOnce(): Promise<void>;

  /** Called with the error of a failed poll, before it is retried. */
  protected onPollError(_e: unknown): void {}

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      if (!this.m.Enabled) {
        await sleep(200, this.abort.signal);
        continue;
      }
      this.polling++;
      try {
        await this.pollOnce();
      } catch (e) {
        if (this.abort.signal.aborted) break;
        this.stats.pollErrors++;
        this.stats.lastError = describeError(e);
        this.onPollError(e);
        this.host.log(this.m, `poll error: ${this.stats.lastError}`);
        await sleep(500, this.abort.signal);
      } finally {
        this.polling--;
      }
    }
  }

  /**
   * Lambda's State for the mapping: disabled only once no poll is under way (until then a batch
   * read before the update may still be delivered, as AWS says "Disabling" while it stops).
   */
  state(): "Enabled" | "Disabling" | "Disabled" {
    if (this.m.Enabled) return "Enabled";
    return this.polling > 0 ? "Disabling" : "Disabled";
  }

  /** The mapping's filter criteria, parsed again only when they changed (an update). */
  protected currentFilters(): FilterPattern[] {
    if (this.filterSource !== this.m.FilterCriteria) {
      this.filterSource = this.m.FilterCriteria;
      try {
        this.filters = parseFilterCriteria(this.m.FilterCriteria);
      } catch {
        this.filters = [];
      }
    }
    return this.filters;
  }

  /**
   * Invokes the function with `{ Records }` and counts it. Undefined when the function is missing
   * (logged with `leftHow`, what becomes of the records); a function error is counted and logged.
   */
  protected async invokeBatch(records: unknown[], leftHow: string): Promise<InvokeOutcome | undefined> {
    const outcome = await this.host.invoke(this.m.FunctionArn, { Records: records });
    if (outcome.kind === "missing") {
      this.stats.lastError = outcome.message;
      this.host.log(this.m, `function missing, ${leftHow}: ${outcome.message}`);
      return undefined;
    }
    this.stats.invocations++;
    this.stats.lastBatchAt = Date.now();
    if (outcome.kind === "error") {
      this.stats.functionErrors++;
      this.host.log(this.m, `batch of ${records.length} failed: ${describePayload(outcome.error)}`);
    }
    return outcome;
  }

  /** The failed item ids of a successful invocation: all succeeded ([]) unless ReportBatchItemFailures is on; null = the whole batch failed. */
  protected failedItems(payload: string, ids: Set<string>): string[] | null {
    return this.m.FunctionResponseTypes.includes("ReportBatchItemFailures") ? parseBatchItemFailures(payload, ids) : [];
  }

  /** A call to the source through the gateway as the mapping's role (`asService`: as Lambda itself). */
  protected call<T>(service: "streams" | "sqs", region: string, operation: string, body: unknown, timeoutMs = 10_000, asService = false): Promise<T> {
    return awsJson<T>({
      endpoint: this.host.gatewayEndpoint,
      region,
      service,
      operation,
      body,
      signal: this.abort.signal,
      timeoutMs,
      credentials: asService ? undefined : this.host.credentials?.(this.m.FunctionArn),
    });
  }

  /** Sends an on-failure record to an SQS destination (other destination types are logged only). */
  protected async sendToDestination(destArn: string, body: string): Promise<boolean> {
    const { host, m } = this;
    const signal = this.abort.signal;
    const arn = parseArn(destArn);
    if (arn.service !== "sqs") {
      host.log(m, `on-failure destination ${destArn} is not an SQS queue; the sandbox only delivers to SQS. Record: ${body}`);
      return false;
    }
    for (let attempt = 1; attempt <= 10 && !signal.aborted; attempt++) {
      try {
        // Lambda finds the queue by its ARN on its own; the message is sent with the role.
        const { QueueUrl } = await this.call<{ QueueUrl: string }>("sqs", arn.region, "GetQueueUrl", { QueueName: arn.resource, QueueOwnerAWSAccountId: arn.account }, 10_000, true);
        await this.call("sqs", arn.region, "SendMessage", { QueueUrl, MessageBody: body });
        return true;
      } catch (e) {
        if (signal.aborted) return false;
        host.log(m, `on-failure delivery to ${destArn} failed (attempt ${attempt}): ${describeError(e)}`);
        await sleep(Math.min(2000, 100 * attempt), signal);
      }
    }
    host.log(m, `on-failure record dropped after 10 attempts: ${body}`);
    return false;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops.map((l) => l.catch(() => undefined)));
  }
}

export function describeError(e: unknown): string {
  // An AwsCallError's message already starts with its code (its name).
  if (e instanceof AwsCallError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function describePayload(e: ErrorPayload): string {
  return `${e.errorType ?? "Error"}: ${e.errorMessage}`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
