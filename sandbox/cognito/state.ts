/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// What the parts of the Cognito plugin share: pool settings moto drops, the client -> pool index,
// the clients' attribute permissions, passwords seen on the way, OTP sessions, the outbox and the
// trigger log. One object per plugin, passed to each part (no module-level state).

import { motoJson } from "../aws";
import type { Authority, LambdaInvoker } from "../types";
import type { ClientPermissions } from "./client-attributes";

/** Cognito's timeout for a Lambda trigger. */
export const TRIGGER_TIMEOUT_MS = 5000;

export interface CognitoPluginOptions {
  motoEndpoint: string;
  invoker?: LambdaInvoker;
  /** Regions searched for a client id an unsigned call names (default us-east-1, us-west-2). */
  regions?: string[];
  triggerTimeoutMs?: number;
  /** Decides whether Cognito may invoke a trigger (the function's resource policy), as AWS does. */
  authority?: Authority;
  /** Milliseconds a user-directory change in a primary pool takes to reach its replica (replicas.ts; default 1000). */
  replicaLagMs?: number;
  /** Milliseconds a new replica stays CREATING, and a deleted one DELETING (default 500). */
  replicaTransitionMs?: number;
}

export interface TriggerInvocation {
  at: string;
  region: string;
  userPoolId: string;
  trigger: string;
  triggerSource: string;
  functionArn: string;
  event: unknown;
  durationMs: number;
  result?: unknown;
  error?: { name: string; message: string };
  /** Set when no LambdaInvoker was available. */
  skipped?: string;
}

/** A message Cognito would have delivered (the sandbox sends nothing). */
export interface OutboxMessage {
  at: string;
  region: string;
  userPoolId: string;
  username: string;
  medium: "EMAIL" | "SMS";
  destination: string;
  /** EMAIL_OTP: a sign-in code; VERIFY_ATTRIBUTE: a code for VerifyUserAttribute (`attribute`). */
  kind: "EMAIL_OTP" | "VERIFY_ATTRIBUTE";
  code: string;
  attribute?: string;
}

/** A value of `email` / `phone_number` waiting for VerifyUserAttribute (attribute-verification.ts). */
export interface PendingAttribute {
  value: string;
  code: string;
  expiresAt: number;
}

export interface OtpSession {
  region: string;
  userPoolId: string;
  clientId: string;
  username: string;
  /** Set once a code was sent (EMAIL_OTP challenge); undefined while selecting a challenge. */
  code?: string;
  expiresAt: number;
  attempts: number;
  admin: boolean;
}

/** What terraform set and moto drops. */
export interface PoolSettings {
  tier?: string;
  signInPolicy?: { AllowedFirstAuthFactors?: string[] };
  /** The pool's tags: moto keeps CreateUserPool's but has no TagResource/UntagResource/ListTagsForResource. */
  tags?: Record<string, string>;
  /** KeyConfiguration and IssuerConfiguration, which moto drops (pool-settings.ts). */
  keyConfiguration?: { KeyType?: string; KmsKeyArn?: string };
  issuerConfiguration?: { Type?: string };
}

/** A pool's secondary copy in another Region (native multi-Region replication, replicas.ts). */
export interface PoolReplica {
  /** The user pool id, which the secondary shares with the primary. */
  poolId: string;
  primaryRegion: string;
  /** The secondary's Region. */
  region: string;
  /** The id moto gave the pool that holds the secondary in `region` (callers never see it). */
  motoPoolId: string;
  /** The pool's ARN in the primary Region. */
  primaryArn: string;
  status: "CREATING" | "INACTIVE" | "ACTIVE" | "DELETING";
  /** When CREATING turns INACTIVE, or DELETING ends. */
  until: number;
  /** The primary's app client ids -> the ids moto gave their copies in the secondary (callers see the primary's). */
  clients: Map<string, string>;
  /** A write to the primary not yet carried over, and when the next sync is due. */
  dirty: boolean;
  syncTimer?: NodeJS.Timeout;
  syncing?: Promise<void>;
  lastSync?: { at: string; created: number; updated: number; deleted: number; error?: string };
}

export interface CognitoState {
  readonly moto: string;
  invoker: LambdaInvoker | undefined;
  readonly authority?: Authority;
  readonly regions: string[];
  /** Trigger timeout (ms). */
  readonly timeoutMs: number;
  /** Settings moto drops, by pool id. */
  readonly pools: Map<string, PoolSettings>;
  /** Client id -> its pool and region. */
  readonly clients: Map<string, { poolId: string; region: string }>;
  /** Client ids not found, until when not to look again. */
  readonly clientMisses: Map<string, number>;
  /** Client id -> its ReadAttributes / WriteAttributes, briefly (client-attributes.ts). */
  readonly clientPermissions: Map<string, { until: number; permissions: ClientPermissions }>;
  readonly poolCache: Map<string, { until: number; pool: any }>;
  /** Trigger invocations (the last 1000), for GET /__sandbox/cognito/triggers. */
  log: TriggerInvocation[];
  /** Passwords seen passing through (sandbox only): `${poolId}|${username}`. Used to mint tokens after an OTP sign-in. */
  readonly passwords: Map<string, string>;
  /** USER_AUTH sessions by their Session string. */
  readonly otpSessions: Map<string, OtpSession>;
  /** Messages Cognito would have sent (the last 1000), for GET /__sandbox/cognito/outbox. */
  outbox: OutboxMessage[];
  /** Attribute values waiting for verification: `${poolId}|${username}|${attribute}`. */
  readonly pendingAttributes: Map<string, PendingAttribute>;
  /** Replicas by the shared pool id (one per pool, as AWS allows). */
  readonly replicas: Map<string, PoolReplica>;
  replicaLagMs: number;
  readonly replicaTransitionMs: number;
}

export function createState(opts: CognitoPluginOptions): CognitoState {
  return {
    moto: opts.motoEndpoint,
    invoker: opts.invoker,
    authority: opts.authority,
    regions: opts.regions ?? ["us-east-1", "us-west-2"],
    timeoutMs: opts.triggerTimeoutMs ?? TRIGGER_TIMEOUT_MS,
    pools: new Map(),
    clients: new Map(),
    clientMisses: new Map(),
    clientPermissions: new Map(),
    poolCache: new Map(),
    log: [],
    passwords: new Map(),
    otpSessions: new Map(),
    outbox: [],
    pendingAttributes: new Map(),
    replicas: new Map(),
    replicaLagMs: opts.replicaLagMs ?? 1000,
    replicaTransitionMs: opts.replicaTransitionMs ?? 500,
  };
}

/** A Cognito call straight to moto (bypasses the plugin chain, quotas and faults). */
export function idp<T = any>(s: CognitoState, region: string, op: string, input: unknown): Promise<T> {
  return motoJson<T>(s.moto, "cognito-idp", region, op, input);
}

/**
 * moto's ids behind a pool (and app client) a caller names in `region`: a native replica's
 * secondary is a moto pool of its own with its own client ids (replicas.ts), named by callers and
 * tokens with the primary's.
 */
export function motoIds(s: CognitoState, region: string, poolId: string, clientId?: string): { poolId: string; clientId?: string } {
  const r = s.replicas.get(poolId);
  if (!r || r.region !== region) return { poolId, clientId };
  return { poolId: r.motoPoolId, clientId: clientId === undefined ? undefined : (r.clients.get(clientId) ?? clientId) };
}

/** The id callers know a pool by in `region`: the shared id for moto's pool behind a native replica's secondary, else the id itself. */
export function sharedPoolId(s: CognitoState, region: string, poolId: string): string {
  for (const r of s.replicas.values()) if (r.region === region && r.motoPoolId === poolId) return r.poolId;
  return poolId;
}
