// Typed client for the sandbox admin API (`/__sandbox/...` on the gateway).

import type { ActiveFault, FaultSpec, QuotaSetting, SandboxStats } from "./faults";
import type { OutboxMessage, TriggerInvocation } from "./cognito";
import type { AlarmFiring } from "./alarms";
import type { Firing as ScheduleFiring } from "./scheduler";
import type { DecisionRecord } from "./authz/decisions";
import type { UnusedGrant } from "./authz/unused";
import type { LambdaStats, MappingsCaughtUp, ShardCheckpoint } from "./lambda";
import type { CloudTrailRecord, TrailCoverage } from "./cloudtrail";
import type { Delivery } from "./eventbridge";

export interface ReplicationStatus {
  delayMs: number;
  tables: Array<{ table: string; regions: string[] }>;
  /** Changes waiting to be applied, per destination region. */
  pending: Record<string, number>;
  /** `unchangedSkipped`: records of writes that changed nothing (DynamoDB writes none; moto does). */
  counters: { read: number; applied: number; echoesSkipped: number; staleSkipped: number; unchangedSkipped: number; errors: number; dropped: number };
  lastError?: string;
}

export interface CognitoReplicaSummary {
  poolId: string;
  primaryRegion: string;
  RegionName: string;
  Status: string;
  Role: string;
  UserPoolArn: string;
  motoPoolId: string;
  dirty: boolean;
  lastSync?: { at: string; created: number; updated: number; deleted: number; error?: string };
}

export class SandboxAdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "SandboxAdminError";
  }
}

export class SandboxAdmin {
  constructor(readonly endpoint: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.endpoint}/__sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : {};
    if (!res.ok) throw new SandboxAdminError(res.status, `${method} /__sandbox${path}: ${json.error ?? text}`);
    return json as T;
  }

  health(): Promise<{ ok: boolean; motoEndpoint: string; plugins: string[] }> {
    return this.call("GET", "/health");
  }

  // faults
  async injectFault(spec: FaultSpec): Promise<ActiveFault> {
    return (await this.call<{ faults: ActiveFault[] }>("POST", "/faults", spec)).faults[0]!;
  }
  /** Whole-region outage across every service (or just `service`). */
  regionOutage(region: string, service?: string): Promise<ActiveFault> {
    return this.injectFault({ region, service: service ?? "*", outage: true });
  }
  async listFaults(): Promise<ActiveFault[]> {
    return (await this.call<{ faults: ActiveFault[] }>("GET", "/faults")).faults;
  }
  /** Removes one fault by id, or all faults. */
  async clearFaults(id?: string): Promise<void> {
    await this.call("DELETE", "/faults", id ? { id } : {});
  }

  // quotas
  async setQuota(q: QuotaSetting | QuotaSetting[]): Promise<void> {
    await this.call("POST", "/quotas", { quotas: Array.isArray(q) ? q : [q] });
  }
  async resetQuotas(): Promise<void> {
    await this.call("POST", "/quotas", { reset: true });
  }
  async quotas(): Promise<Record<string, Record<string, number | null>>> {
    return (await this.call<{ quotas: Record<string, Record<string, number | null>> }>("GET", "/quotas")).quotas;
  }

  // stats
  stats(): Promise<SandboxStats> {
    return this.call("GET", "/stats");
  }
  async resetStats(): Promise<void> {
    await this.call("DELETE", "/stats");
  }

  // replication
  setReplicationDelay(delayMs: number): Promise<ReplicationStatus> {
    return this.call("POST", "/replication", { delayMs });
  }
  replication(): Promise<ReplicationStatus> {
    return this.call("GET", "/replication");
  }
  /** Waits until every replicated change is applied (or only changes into regions that are down remain). */
  flushReplication(timeoutMs?: number): Promise<ReplicationStatus & { drained: boolean }> {
    return this.call("POST", "/replication/flush", timeoutMs === undefined ? {} : { timeoutMs });
  }
  /** Deletes expired items like DynamoDB TTL does. `now` (epoch seconds) defaults to the current time. */
  ttlSweep(region: string, table: string, now?: number): Promise<{ deleted: number; attribute?: string }> {
    return this.call("POST", "/ttl-sweep", { region, table, now });
  }

  /** Messages Cognito would have delivered (EMAIL_OTP codes), optionally for one username or address. */
  async outbox(username?: string): Promise<OutboxMessage[]> {
    const q = username ? `?username=${encodeURIComponent(username)}` : "";
    return (await this.call<{ messages: OutboxMessage[] }>("GET", `/cognito/outbox${q}`)).messages;
  }
  async clearOutbox(): Promise<void> {
    await this.call("DELETE", "/cognito/outbox");
  }

  // cognito triggers
  async triggers(): Promise<TriggerInvocation[]> {
    return (await this.call<{ invocations: TriggerInvocation[] }>("GET", "/cognito/triggers")).invocations;
  }
  async clearTriggers(): Promise<void> {
    await this.call("DELETE", "/cognito/triggers");
  }

  // cognito replicas (native multi-Region replication)
  /** Every pool's replica: its status and Region, and what its last sync carried. */
  async cognitoReplicas(): Promise<CognitoReplicaSummary[]> {
    return (await this.call<{ replicas: CognitoReplicaSummary[] }>("GET", "/cognito/replicas")).replicas;
  }
  /** How long a write to a primary pool takes to reach its secondary. */
  async setCognitoReplicaLag(lagMs: number): Promise<void> {
    await this.call("POST", "/cognito/replicas/lag", { lagMs });
  }
  /** Carries every write not yet in a secondary over now, and waits for it. */
  async flushCognitoReplicas(): Promise<CognitoReplicaSummary[]> {
    return (await this.call<{ replicas: CognitoReplicaSummary[] }>("POST", "/cognito/replicas/flush")).replicas;
  }

  // lambda
  /** Per function: invocations, errors, summed durations and log bytes since the sandbox started; and the event source mappings. */
  lambdaStats(): Promise<LambdaStats> {
    return this.call("GET", "/lambda/stats");
  }
  async lambdaLogs(fn: string, region?: string): Promise<Array<{ ts: number; stream: string; line: string }>> {
    const q = new URLSearchParams({ function: fn, ...(region ? { region } : {}) });
    return (await this.call<{ lines: Array<{ ts: number; stream: string; line: string }> }>("GET", `/lambda/logs?${q}`)).lines;
  }
  /** The next `count` invocations of the function (with at least `minRecords` records) crash `afterMs` after they start. */
  async crashNext(spec: { function: string; region: string; afterMs?: number; count?: number; minRecords?: number }): Promise<void> {
    await this.call("POST", "/lambda/crash", spec);
  }
  /**
   * Waits until the function's DynamoDB stream mappings have handled every record their streams
   * held at the call: read past them, and each delivered in a finished successful invocation,
   * dropped by the filter criteria or sent to the on-failure destination. With the stats that say
   * how many records went which way. Call `flushReplication` first for records still on their way
   * from another region.
   */
  mappingsCaughtUp(fn: string, region: string, timeoutMs?: number): Promise<MappingsCaughtUp> {
    return this.call("POST", "/lambda/mappings/caught-up", { function: fn, region, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  }
  /** Moves a stream mapping back to checkpoints `mappingsCaughtUp` reported: it delivers every record after them again, as on a retry. */
  async rewindMapping(uuid: string, shards: ShardCheckpoint[]): Promise<void> {
    await this.call("POST", "/lambda/mappings/rewind", { uuid, shards });
  }

  // authorization
  /** Every decision so far (aggregated: one row per principal, action, resource and outcome, with a count). */
  async authzDecisions(): Promise<DecisionRecord[]> {
    return (await this.call<{ decisions: DecisionRecord[] }>("GET", "/authz")).decisions;
  }
  async clearAuthzDecisions(): Promise<void> {
    await this.call("DELETE", "/authz");
  }
  /** Per role: the granted actions no allowed decision has used yet. */
  /**
   * A GitHub Actions OIDC token for a job whose subject is `sub` (`repo:<owner>/<repo>:environment:<name>`),
   * minted by the sandbox's stand-in issuer: what a workflow job hands to STS AssumeRoleWithWebIdentity.
   */
  async githubToken(sub: string, opts: { aud?: string; ttlSeconds?: number; claims?: Record<string, string> } = {}): Promise<string> {
    return (await this.call<{ token: string }>("POST", "/oidc/token", { sub, ...opts })).token;
  }

  async unusedGrants(): Promise<Array<{ role: string; unused: UnusedGrant[] }>> {
    return (await this.call<{ roles: Array<{ role: string; unused: UnusedGrant[] }> }>("GET", "/authz/unused")).roles;
  }

  // scheduler
  /**
   * Fires a schedule now as EventBridge Scheduler would: assumes its execution role, invokes its
   * Lambda target asynchronously as that role. Says whether the invocation was accepted or denied (and why).
   */
  fireSchedule(name: string, region: string, group?: string): Promise<ScheduleFiring> {
    return this.call("POST", "/scheduler/fire", { name, region, ...(group ? { group } : {}) });
  }
  /** The latest firings (admin and rate clock). */
  async scheduleFirings(): Promise<ScheduleFiring[]> {
    return (await this.call<{ firings: ScheduleFiring[] }>("GET", "/scheduler/firings")).firings;
  }

  // CloudTrail and EventBridge
  /** The CloudTrail records of the Cognito calls made while a trail logged their region (the latest 1000), and how many calls no trail recorded. */
  async cloudTrailEvents(filter: { region?: string; eventName?: string } = {}): Promise<{ events: CloudTrailRecord[]; unrecorded: number }> {
    const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === "string"));
    return this.call("GET", `/cloudtrail/events${q.size ? `?${q}` : ""}`);
  }
  async clearCloudTrailEvents(): Promise<void> {
    await this.call("DELETE", "/cloudtrail/events");
  }
  /** The trails whose events include the region's, with their logging status and the management events they record. */
  async trailsCovering(region: string): Promise<TrailCoverage[]> {
    return (await this.call<{ trails: TrailCoverage[] }>("GET", `/cloudtrail/trails?region=${encodeURIComponent(region)}`)).trails;
  }
  /** Sets the delay between a Cognito call and the delivery of its event to the rules' targets (ms, 0 allowed). */
  async setEventDeliveryDelay(delayMs: number): Promise<void> {
    await this.call("POST", "/eventbridge/delay", { delayMs });
  }
  async eventDeliveryDelay(): Promise<number> {
    return (await this.call<{ delayMs: number }>("GET", "/eventbridge/delay")).delayMs;
  }
  /** Every delivery of an event to a rule's target: delivered, denied (with AWS's message) or failed (with why). */
  async eventDeliveries(): Promise<Delivery[]> {
    return (await this.call<{ deliveries: Delivery[] }>("GET", "/eventbridge/deliveries")).deliveries;
  }
  async clearEventDeliveries(): Promise<void> {
    await this.call("DELETE", "/eventbridge/deliveries");
  }
  /** Waits until every event so far is routed and every delivery attempt ended (`drained: false` on timeout). */
  flushEvents(timeoutMs?: number): Promise<{ drained: boolean; pending: number }> {
    return this.call("POST", "/eventbridge/flush", timeoutMs === undefined ? {} : { timeoutMs });
  }

  // alarms
  /** Runs the alarms' SNS actions as CloudWatch would (every alarm of the region when no names are given). */
  async fireAlarms(region: string, alarmNames: string[] = []): Promise<AlarmFiring[]> {
    return (await this.call<{ alarms: AlarmFiring[] }>("POST", "/alarms/fire", { region, alarmNames })).alarms;
  }
}
