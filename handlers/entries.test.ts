// The bundled entry points: each file named in HANDLER_ENTRIES exports `handler`
// when the stack's env vars are set, and fails at cold start naming a missing one.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ENV, HANDLER_ENTRIES, type HandlerName } from "./contract";

const ENTRY_MODULES: Record<HandlerName, () => Promise<{ handler: unknown }>> = {
  "post-confirmation": () => import("./post-confirmation/index"),
  "replicate-user": () => import("./replicate-user/index"),
  "retry-worker": () => import("./retry-worker/index"),
  "pre-token": () => import("./pre-token/index"),
  reconcile: () => import("./reconcile/index"),
  "change-capture": () => import("./change-capture/index"),
  "pre-sign-up": () => import("./pre-sign-up/index"),
};

const REQUIRED: Record<HandlerName, string[]> = {
  "post-confirmation": [ENV.TABLE_NAME, ENV.FALLBACK_QUEUE_URL],
  "replicate-user": ["AWS_REGION", ENV.TARGET_USER_POOL_ID, ENV.PARK_QUEUE_URL, ENV.TABLE_NAME],
  "retry-worker": [ENV.TABLE_NAME],
  "pre-token": [ENV.CANONICAL_ID_ATTRIBUTE, ENV.TRUST_CANONICAL_ID_ATTRIBUTE],
  reconcile: ["AWS_REGION", ENV.PRIMARY_REGION, ENV.PRIMARY_USER_POOL_NAME, ENV.TARGET_USER_POOL_ID, ENV.TABLE_NAME, ENV.RECONCILE_BUCKET],
  "change-capture": ["AWS_REGION", ENV.CAPTURE_USER_POOL_ID, ENV.TABLE_NAME],
  "pre-sign-up": [ENV.SIGNUP_POLICY, ENV.TABLE_NAME],
};

const FULL_ENV: Record<string, string> = {
  AWS_REGION: "us-west-2",
  [ENV.TABLE_NAME]: "cdr-test-users",
  [ENV.FALLBACK_QUEUE_URL]: "https://sqs.us-east-1.amazonaws.com/123456789012/fallback",
  [ENV.TARGET_USER_POOL_ID]: "us-west-2_abc",
  [ENV.PARK_QUEUE_URL]: "https://sqs.us-west-2.amazonaws.com/123456789012/park",
  [ENV.CANONICAL_ID_ATTRIBUTE]: "canonical_id",
  [ENV.TRUST_CANONICAL_ID_ATTRIBUTE]: "true",
  [ENV.PRIMARY_REGION]: "us-east-1",
  [ENV.PRIMARY_USER_POOL_NAME]: "cdr-test-users-primary",
  [ENV.CAPTURE_USER_POOL_ID]: "us-west-2_abc",
  [ENV.CAPTURE_IGNORED_ROLE_PREFIX]: "cdr-test-",
  [ENV.SIGNUP_POLICY]: "while-failed-over",
  [ENV.RECONCILE_BUCKET]: "cdr-test-reconcile-123456789012-us-west-2",
  POWERTOOLS_METRICS_NAMESPACE: "CognitoDr",
  POWERTOOLS_SERVICE_NAME: "test",
};

beforeEach(() => {
  vi.resetModules();
  for (const [k, v] of Object.entries(FULL_ENV)) vi.stubEnv(k, v);
});
afterEach(() => vi.unstubAllEnvs());

it("SDK clients: adaptive retries for Cognito, bounded timeouts inside the 5 s trigger budget", async () => {
  const replicator = await import("./replicate-user/index");
  expect(replicator.cognitoOptions).toMatchObject({ retryMode: "adaptive", maxAttempts: 6 });
  const capture = await import("./change-capture/index");
  expect(capture.cognitoOptions).toMatchObject({ retryMode: "adaptive" });
  expect(capture.ddbOptions).toMatchObject({ retryMode: "adaptive" });
  const trigger = await import("./post-confirmation/index");
  const { maxAttempts, requestHandler } = trigger.clientOptions;
  const { DEFAULT_BUDGETS } = await import("./post-confirmation/handler");
  // Worst case per call is min(attempts x (connect + request), deadline); both calls must fit in ~3 s.
  const perCall = maxAttempts * (requestHandler.connectionTimeout + requestHandler.requestTimeout);
  const worst = Math.min(perCall, DEFAULT_BUDGETS.tableMs) + Math.min(perCall, DEFAULT_BUDGETS.queueMs);
  expect(worst).toBeLessThanOrEqual(3_000);
});

it("replicator clients: a socket per user in flight above the SDK's 50, so no request waits for one past its connection timeout", async () => {
  vi.stubEnv(ENV.MAX_CONCURRENCY, "400");
  const wide = await import("./replicate-user/index");
  for (const options of [wide.cognitoOptions, wide.ddbOptions, wide.sqsOptions]) {
    expect(options.requestHandler.httpAgent.maxSockets).toBe(400);
    expect(options.requestHandler.httpsAgent.maxSockets).toBe(400);
  }
  vi.resetModules();
  vi.stubEnv(ENV.MAX_CONCURRENCY, "10");
  const narrow = await import("./replicate-user/index");
  expect(narrow.cognitoOptions.requestHandler.httpsAgent.maxSockets).toBe(narrow.SDK_DEFAULT_MAX_SOCKETS);
});

describe.each(Object.keys(HANDLER_ENTRIES) as HandlerName[])("%s entry", (name) => {
  it(`${HANDLER_ENTRIES[name]} exports a handler function`, async () => {
    expect(typeof (await ENTRY_MODULES[name]()).handler).toBe("function");
  });

  it.each(REQUIRED[name])("fails at cold start without %s, naming it", async (variable) => {
    vi.stubEnv(variable, "");
    await expect(ENTRY_MODULES[name]()).rejects.toThrow(`Environment variable ${variable} is required but not set`);
  });
});
