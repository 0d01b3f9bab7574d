// One sandbox with the real `local` stacks deployed, shared by an end-to-end
// suite: started in beforeAll, torn down in afterAll.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox, type Sandbox } from "../../sandbox";
import { findMoto } from "../../sandbox/moto";
import { bothRegions, type RegionClients } from "../../scripts/lib/clients";
import { deployLocal, type LocalDeployment } from "../../scripts/lib/local-deploy";
import { findTerraform } from "../../scripts/lib/tools";

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

export async function startWorld(opts: { replicationDelayMs?: number } = {}): Promise<World> {
  const workDir = mkdtempSync(join(tmpdir(), "cdr-e2e-"));
  const sandbox = await startSandbox({ port: 0, workDir, replicationDelayMs: opts.replicationDelayMs ?? 0 });
  try {
    const deployment = await deployLocal({ endpoint: sandbox.endpoint, workDir });
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

export { listByEmailPrefix } from "../../scripts/lib/population";
