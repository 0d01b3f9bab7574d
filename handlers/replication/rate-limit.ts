// Client-side rate limiting per Cognito request category: a token bucket per
// category and region, and a wrapper that makes a client's `send` take a token of
// the command's category first. Shared by the operator CLIs and the scheduled
// reconcile, so both stay inside a configured share of Cognito's quotas.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { performance } from "node:perf_hooks";
import { categoryOf, COGNITO_QUOTAS, type QuotaCategory } from "./cognito-quotas";

/** Share of each quota the tools take by default, leaving room for the replicator and sign-ups. */
export const DEFAULT_QUOTA_SHARE = 0.8;

// ---- rate limiting --------------------------------------------------------------------------

/** A token bucket: `take()` resolves when a request may go. FIFO, shared by concurrent callers. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  taken = 0;

  constructor(
    readonly ratePerSecond: number,
    readonly burst = Math.max(1, Math.min(ratePerSecond, ratePerSecond / 5)),
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`a rate must be a positive number (got ${ratePerSecond})`);
    this.tokens = this.burst;
    this.last = now();
  }

  take(): Promise<void> {
    const turn = this.tail.then(() => this.acquire());
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }

  private async acquire(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await this.sleep(Math.max(1, ((1 - this.tokens) / this.ratePerSecond) * 1000));
      this.refill();
    }
    this.tokens -= 1;
    this.taken += 1;
  }

  /** Requests per second achieved between `since` (ms, performance clock) and now. */
  achieved(since: number, until = this.now()): number {
    const seconds = (until - since) / 1000;
    return seconds > 0 ? this.taken / seconds : 0;
  }
}

export interface RateReport {
  region: string;
  /** A Cognito quota category, or another metered call (e.g. `RecordWrite`). */
  category: string;
  /** The configured bound (requests/s). */
  bound: number;
  /** AWS's quota for the category (for `RecordWrite`: the DR UserCreation quota it feeds). */
  quota: number;
  requests: number;
  /** Requests/s over the whole run. */
  achieved: number;
  /** achieved / bound. */
  fractionOfBound: number;
}

/** One bucket per category for one region; `limit` rate-limits a client. */
export class RegionLimiter {
  readonly buckets = new Map<QuotaCategory, TokenBucket>();
  readonly started = performance.now();
  constructor(
    readonly region: string,
    /** A category without a rate is not metered (the tools never call those operations). */
    readonly rates: Partial<Record<QuotaCategory, number>>,
  ) {}

  bucket(category: QuotaCategory): TokenBucket | undefined {
    const rate = this.rates[category];
    if (rate === undefined) return undefined;
    let b = this.buckets.get(category);
    if (!b) {
      b = new TokenBucket(rate);
      this.buckets.set(category, b);
    }
    return b;
  }

  wrap<C extends { send: (command: never, ...rest: never[]) => Promise<unknown> }>(client: C): C {
    const send = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
    const limited = async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
      const category = categoryOf(command.constructor.name);
      if (category) await this.bucket(category)?.take();
      return send(command, ...rest);
    };
    return new Proxy(client, { get: (target, prop, receiver) => (prop === "send" ? limited : Reflect.get(target, prop, receiver)) });
  }

  /**
   * Meters every attempt the SDK client makes, retries included: a middleware in the `deserialize`
   * step runs inside the SDK's retry middleware (`finalizeRequest`), once per attempt. `wrap` takes one
   * token per command, so a client retrying faulted calls at its full share sends more than the
   * share, and the quota answers with throttles (which the adaptive retry mode then backs off from).
   */
  attach(client: CognitoIdentityProviderClient): CognitoIdentityProviderClient {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const category = categoryOf(String(context.commandName ?? ""));
        if (category) await this.bucket(category)?.take();
        return next(args);
      },
      { step: "deserialize", name: "cognitoQuotaShare", override: true },
    );
    return client;
  }

  /**
   * What every caller uses: an SDK client is metered per attempt (`attach`, retries included); any
   * other `send` (a test's fake) per command (`wrap`). A client mocked with aws-sdk-client-mock has
   * its `send` replaced, so no middleware runs there and nothing is metered: tests of the metering
   * itself use a real client over a fake HTTP handler (rate-limit.test.ts).
   */
  limit<C extends { send: (command: never, ...rest: never[]) => Promise<unknown> }>(client: C): C {
    const stack = (client as { middlewareStack?: { add?: unknown } }).middlewareStack;
    return typeof stack?.add === "function" ? (this.attach(client as unknown as CognitoIdentityProviderClient) as unknown as C) : this.wrap(client);
  }

  /** Achieved rates between `since` (default: this limiter's creation) and `until`. */
  report(until = performance.now(), since = this.started): RateReport[] {
    return [...this.buckets].map(([category, b]) => {
      const achieved = b.achieved(since, until);
      return {
        region: this.region,
        category,
        bound: b.ratePerSecond,
        quota: COGNITO_QUOTAS[category],
        requests: b.taken,
        achieved: round(achieved),
        fractionOfBound: round(achieved / b.ratePerSecond, 3),
      };
    });
  }
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
