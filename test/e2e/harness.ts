// One sandbox with the real `local` stacks deployed, shared by an end-to-end
// suite: started in beforeAll, torn down in afterAll.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { findMoto, type Sandbox, type SandboxAdmin } from "@cognito-dr/sandbox";
import { bothRegions, sandboxCredentials, type RegionClients } from "../../scripts/lib/clients";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { deployLocal, type LocalDeployment } from "../../scripts/lib/local-deploy";
import { findTerraform } from "../../scripts/lib/tools";
import { DescribeTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type _Record as StreamRecord, type Shard } from "@aws-sdk/client-dynamodb-streams";
import { TABLE_KEY } from "../../handlers/contract";
import type { DeployMode } from "../../stacks/environments";
import { names } from "../../stacks/names";
import { getDrUser } from "../../scripts/drills/population";
import { readDlq } from "../../scripts/lib/dlq";
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand, type LambdaClient } from "@aws-sdk/client-lambda";

/** Why the suite cannot run here, or undefined. Under CI=true a missing tool is an error. */
export function missingTools(): string | undefined {
  const missing = [
    findTerraform() ? undefined : "terraform (https://developer.hashicorp.com/terraform/install)",
    findMoto() ? undefined : "moto_server (pip install 'moto[server]')",
  ].filter(Boolean);
  if (missing.length === 0) return undefined;
  const reason = `end-to-end suite needs ${missing.join(" and ")}`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI=true requires it`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

export interface World {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  primary: RegionClients;
  dr: RegionClients;
  workDir: string;
  stop(): Promise<void>;
}

/** Where every end-to-end sandbox leaves its authorization decisions for the suite's least-privilege report. */
export const AUTHZ_REPORT_DIR = resolve(__dirname, "../../.sandbox/authz-report");

export async function startWorld(opts: { replicationDelayMs?: number; state?: "files" | "s3"; mode?: DeployMode; beforeDeploy?: (sandbox: Sandbox) => Promise<void> } = {}): Promise<World> {
  const workDir = mkdtempSync(join(tmpdir(), "cdr-e2e-"));
  const sandbox = await startLocalAws({ port: 0, workDir, replicationDelayMs: opts.replicationDelayMs ?? 0, authorization: true, authzReportDir: AUTHZ_REPORT_DIR });
  try {
    await opts.beforeDeploy?.(sandbox);
    const deployment = await deployLocal({ endpoint: sandbox.endpoint, workDir, state: opts.state, mode: opts.mode });
    const { primary, dr } = bothRegions(deployment.env, { maxAttempts: 10 });
    return {
      sandbox,
      deployment,
      primary,
      dr,
      workDir,
      async stop() {
        await deployment.destroy().finally(async () => {
          await sandbox.stop();
          rmSync(workDir, { recursive: true, force: true });
        });
      },
    };
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
}

export { listByEmailPrefix } from "../../scripts/drills/population";

export type StreamMapping = Awaited<ReturnType<SandboxAdmin["mappingsCaughtUp"]>>["mappings"][number];
export type ShardCheckpoint = StreamMapping["shards"][number];

/**
 * The positive signal to wait for before asserting that something did not happen: every change is
 * replicated into the DR table, and the replicator's mapping has handled every record of the DR
 * stream (checkpoint past them; delivered in finished invocations or dropped by its filter).
 * Returns the mapping with its checkpoints and counts.
 */
export async function replicatorCaughtUp(w: World): Promise<StreamMapping> {
  const flushed = await w.sandbox.admin.flushReplication(30_000);
  if (!flushed.drained) throw new Error(`global-table replication did not drain: ${JSON.stringify(flushed.pending)}`);
  const r = await w.sandbox.admin.mappingsCaughtUp(names(w.deployment.env).fn("replicate-user"), w.deployment.env.drRegion, 60_000);
  if (!r.caughtUp || r.mappings.length !== 1) throw new Error(`the replicator's stream mapping did not catch up: ${JSON.stringify(r.mappings)}`);
  return r.mappings[0]!;
}

/**
 * The records of a table's stream after `after` (a shard without a checkpoint from its start), read
 * through the gateway as any stream consumer reads them, and the checkpoints where they end.
 */
export async function readStream(c: RegionClients, table: string, after: ShardCheckpoint[] = []): Promise<{ records: StreamRecord[]; tail: ShardCheckpoint[] }> {
  const arn = (await c.dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!;
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const d = await c.streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }));
    shards.push(...(d.StreamDescription?.Shards ?? []));
    start = d.StreamDescription?.LastEvaluatedShardId;
  } while (start);
  const records: StreamRecord[] = [];
  const tail: ShardCheckpoint[] = [];
  for (const { ShardId } of shards) {
    let checkpoint = after.find((s) => s.shardId === ShardId)?.checkpoint;
    const position = checkpoint ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER" as const, SequenceNumber: checkpoint } : { ShardIteratorType: "TRIM_HORIZON" as const };
    let iterator = (await c.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId, ...position }))).ShardIterator;
    while (iterator) {
      const page = await c.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const got = page.Records ?? [];
      records.push(...got);
      checkpoint = got.at(-1)?.dynamodb?.SequenceNumber ?? checkpoint;
      iterator = got.length > 0 ? page.NextShardIterator : undefined;
    }
    tail.push({ shardId: ShardId!, checkpoint });
  }
  return { records, tail };
}

/**
 * Where a user's replication stopped: the trigger invocation, the record in
 * each region's table, the DR pool, both queues and the functions' log lines
 * that name the canonical id. Printed when an end-to-end wait gives up, so a
 * red run says which hop lost the user instead of only "missing".
 */
export async function traceUser(w: World, user: { email: string; sub: string }): Promise<Record<string, unknown>> {
  const n = names(w.deployment.env);
  const key = { [TABLE_KEY]: { S: user.sub } };
  const item = async (c: RegionClients) =>
    (await c.dynamodb.send(new GetItemCommand({ TableName: n.table, Key: key, ConsistentRead: true }))).Item !== undefined;
  const { primaryRegion, drRegion } = w.deployment.env;
  const mentions = async (fn: string, region: string) =>
    (await w.sandbox.admin.lambdaLogs(n.fn(fn), region)).filter((l) => l.line.includes(user.sub)).map((l) => l.line.slice(0, 400));
  const trigger = (await w.sandbox.admin.triggers()).filter((t) => JSON.stringify(t.event).includes(user.sub));
  const safe = async <T>(f: () => Promise<T>) => f().catch((err: Error) => `error: ${err.name}: ${err.message}`);
  return {
    email: user.email,
    canonicalId: user.sub,
    trigger: trigger.map((t) => ({ at: t.at, durationMs: t.durationMs, error: t.error, skipped: t.skipped })),
    primaryTable: await safe(() => item(w.primary)),
    drTable: await safe(() => item(w.dr)),
    drUser: await safe(() => getDrUser(w.dr.cognito, w.deployment.dr.user_pool_id, user.email)),
    replicatorDlq: await safe(async () =>
      (await readDlq(w.dr.sqs, w.deployment.dr.replicator_dlq_url)).filter((e) => JSON.stringify(e).includes(user.sub)),
    ),
    replicatorLog: await safe(() => mentions("replicate-user", drRegion)),
    postConfirmationLog: await safe(() => mentions("post-confirmation", primaryRegion)),
    retryWorkerLog: await safe(() => mentions("retry-worker", primaryRegion)),
  };
}

/**
 * What the replicator was doing when a wait gave up: its stream mapping (state, checkpoints, the
 * counts and last error of its poller, when it last finished a batch) and its last log lines. A
 * run where users stop arriving altogether then says whether the mapping stopped polling, an
 * invocation hung, or every batch failed.
 */
export async function replicatorState(w: World): Promise<Record<string, unknown>> {
  const fn = names(w.deployment.env).fn("replicate-user");
  const region = w.deployment.env.drRegion;
  const safe = async <T>(f: () => Promise<T>) => f().catch((err: Error) => `error: ${err.name}: ${err.message}`);
  return {
    at: new Date().toISOString(),
    mapping: await safe(() => w.sandbox.admin.mappingsCaughtUp(fn, region, 0)),
    lastLogLines: await safe(async () => (await w.sandbox.admin.lambdaLogs(fn, region)).slice(-15).map((l) => `${new Date(l.ts).toISOString()} ${l.stream} ${l.line.slice(0, 300)}`)),
  };
}

/**
 * Stops or resumes the primary stack's trail, as an administrator would: Cognito calls made while
 * it is stopped are never captured (no trail, no events, as on AWS). Events of calls made before
 * are delivered first, so a stop draws a clean line.
 */
export async function trailLogging(w: World, on: boolean): Promise<void> {
  const { CloudTrailClient, StartLoggingCommand, StopLoggingCommand } = await import("@aws-sdk/client-cloudtrail");
  const client = new CloudTrailClient({ region: w.deployment.env.primaryRegion, endpoint: w.sandbox.endpoint, credentials: sandboxCredentials({}) });
  const Name = names(w.deployment.env).trail;
  if (!on) await captureSettled(w);
  await client.send(on ? new StartLoggingCommand({ Name }) : new StopLoggingCommand({ Name }));
  client.destroy();
}

/**
 * Every Cognito call made so far has been captured: its event delivered, and the capture queue
 * empty (nothing waiting, nothing in flight) twice in a row. Change capture re-reads users, so an
 * event still in flight carries whatever the user is when it is read, even a later change.
 */
export async function captureSettled(w: World, timeoutMs = 60_000): Promise<void> {
  const { GetQueueAttributesCommand, GetQueueUrlCommand } = await import("@aws-sdk/client-sqs");
  await w.sandbox.admin.flushEvents(timeoutMs);
  const { QueueUrl } = await w.primary.sqs.send(new GetQueueUrlCommand({ QueueName: names(w.deployment.env).captureQueue }));
  const deadline = Date.now() + timeoutMs;
  for (let empty = 0; empty < 2; ) {
    const a = (await w.primary.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))).Attributes ?? {};
    empty = Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) === 0 ? empty + 1 : 0;
    if (Date.now() > deadline) throw new Error(`the capture queue did not drain within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Turns a mapping off and waits until Lambda says Disabled: until then a poll begun before the
 * update may still deliver what it read (State "Disabling"), which a test holding records back
 * must not race.
 */
export async function disableMapping(lambda: LambdaClient, uuid: string, timeoutMs = 60_000): Promise<void> {
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (State === "Disabled") return;
    if (Date.now() > deadline) throw new Error(`mapping ${uuid} still ${State} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A session of the operator role with exactly the documented policy (npm run operator-policy), so
 * the enforced sandbox proves that policy is enough for the tools run with it.
 */
export async function operatorSession(w: World): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const { CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } = await import("@aws-sdk/client-iam");
  const { operatorPolicy } = await import("../../scripts/lib/operator-policy");
  const account = w.deployment.primary.alarm_topic_arn!.split(":")[4]!;
  const iam = new IAMClient({ region: w.deployment.env.primaryRegion, endpoint: w.sandbox.endpoint, credentials: sandboxCredentials({}) });
  const roleName = `${w.deployment.env.prefix}-operator`;
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }] };
  // A second session of the same suite reuses the role (its policy put again: the same document).
  const role = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) })).catch((e: Error) => {
    if (e.name !== "EntityAlreadyExistsException") throw e;
    return iam.send(new GetRoleCommand({ RoleName: roleName }));
  });
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "operator-tools", PolicyDocument: JSON.stringify(operatorPolicy(w.deployment.env, { id: account })) }));
  iam.destroy();
  return w.sandbox.assumeRole(role.Role!.Arn!, "on-call");
}
