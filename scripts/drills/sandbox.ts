// `npm run sandbox`: starts moto_server + the gateway (port from SANDBOX_PORT, default 4599) with
// the project's Cognito quota table, prints the endpoint and the environment to export, and stays
// up until SIGINT/SIGTERM.

import { MotoNotFoundError } from "@cognito-dr/sandbox";
import { startLocalAws } from "../lib/local-aws";

async function main(): Promise<void> {
  const port = process.env.SANDBOX_PORT ? Number(process.env.SANDBOX_PORT) : 4599;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SANDBOX_PORT is not a port: ${process.env.SANDBOX_PORT}`);
  const delay = process.env.SANDBOX_REPLICATION_DELAY_MS ? Number(process.env.SANDBOX_REPLICATION_DELAY_MS) : undefined;
  const sandbox = await startLocalAws({ port, replicationDelayMs: delay, workDir: process.env.SANDBOX_WORK_DIR });
  console.log(`sandbox gateway: ${sandbox.endpoint}  (moto_server: ${sandbox.motoEndpoint})`);
  console.log("export these to use it:");
  for (const [k, v] of Object.entries(sandbox.env)) console.log(`  export ${k}=${v}`);
  console.log(`admin API: ${sandbox.endpoint}/__sandbox/health | stats | faults | quotas | replication | ttl-sweep | cognito/triggers`);
  console.log("Ctrl-C to stop.");

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the sandbox...`);
    sandbox.stop().then(
      () => {
        console.log("stopped.");
        process.exit(0);
      },
      (e: Error) => {
        console.error(`stop failed: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((e: Error) => {
  console.error(e instanceof MotoNotFoundError ? e.message : `sandbox failed to start: ${e.stack ?? e.message}`);
  process.exit(1);
});
