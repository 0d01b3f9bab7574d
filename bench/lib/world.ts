// One sandbox with the real `local` stacks deployed, shared by the replicator, lag,
// backfill and reconcile benchmarks (a deploy costs minutes). Between benchmarks
// `reset()` makes the sandbox "fresh" in every way a benchmark can observe: faults
// cleared, quotas back to AWS defaults, stats zeroed, replication delay set, DLQ empty.
// What is NOT reset: users already in the pools and records in the table (deleting
// thousands of users would cost more than a deploy). Each benchmark therefore tags its
// users and counts only its own, and the order (lag before replicator) keeps the DR
// pool small while latency is measured (see README "Performance").
import { PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "@cognito-dr/sandbox";
import { bothRegions, type RegionClients } from "../../scripts/lib/clients";
import { startLocalAws } from "../../scripts/lib/local-aws";
import { deployLocal, type LocalDeployment } from "../../scripts/lib/local-deploy";
import { names } from "../../stacks/names";

export interface BenchWorld {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  primary: RegionClients;
  dr: RegionClients;
  names: ReturnType<typeof names>;
  workDir: string;
  deploySeconds: number;
  reset(opts?: { replicationDelayMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchSandbox {
  sandbox: Sandbox;
  workDir: string;
}

export async function startBenchSandbox(): Promise<BenchSandbox> {
  const workDir = mkdtempSync(join(tmpdir(), "cdr-bench-"));
  try {
    return { sandbox: await startLocalAws({ port: 0, workDir, replicationDelayMs: 0 }), workDir };
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** Deploys the local stacks into the sandbox; on failure the caller still owns (and stops) the sandbox. */
export async function deployBenchWorld({ sandbox, workDir }: BenchSandbox, log: (s: string) => void): Promise<BenchWorld> {
  const started = Date.now();
  log(`sandbox at ${sandbox.endpoint}; deploying the local stacks (a few minutes)...`);
  const deployment = await deployLocal({ endpoint: sandbox.endpoint, workDir, log });
  const deploySeconds = (Date.now() - started) / 1000;
  const { primary, dr } = bothRegions(deployment.env, { maxAttempts: 10 });
  const n = names(deployment.env);
  return {
    sandbox,
    deployment,
    primary,
    dr,
    names: n,
    workDir,
    deploySeconds,
    async reset(opts = {}) {
      await sandbox.admin.clearFaults();
      await sandbox.admin.resetQuotas();
      await sandbox.admin.setReplicationDelay(opts.replicationDelayMs ?? 0);
      await sandbox.admin.flushReplication(30_000);
      await dr.sqs.send(new PurgeQueueCommand({ QueueUrl: deployment.dr.replicator_dlq_url })).catch(() => undefined);
      await sandbox.admin.resetStats();
    },
    stop: () => stopBenchSandbox({ sandbox, workDir }),
  };
}

/** The sandbox is thrown away whole: no terraform destroy needed. */
export async function stopBenchSandbox({ sandbox, workDir }: BenchSandbox): Promise<void> {
  await sandbox.stop();
  rmSync(workDir, { recursive: true, force: true });
}
