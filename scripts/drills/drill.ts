// What the drills (the demo, the game day) share: a fresh sandbox with the real `local` stacks
// deployed to it, torn down whatever happens, and the process's exit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "@cognito-dr/sandbox";
import { startLocalAws } from "../lib/local-aws";
import { deployLocal, type LocalDeployment } from "../lib/local-deploy";

export const step = (msg: string) => console.log(`• ${msg}`);

export interface FreshStacks {
  /** Names the temporary work folder (`cdr-<name>-…`). */
  name: string;
  /** The first step, said before the sandbox starts. */
  starting: string;
  /** `terraform destroy` both stacks before the sandbox stops (stopping it discards them anyway). */
  destroy: boolean;
  /** Said before the sandbox stops. */
  stopping?: string;
}

/** Starts a sandbox, deploys the local stacks, runs `drill` on them and tears everything down. */
export async function onFreshStacks(opts: FreshStacks, drill: (sandbox: Sandbox, deployment: LocalDeployment) => Promise<number>): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), `cdr-${opts.name}-`));
  const started = Date.now();
  step(opts.starting);
  // Authorization as AWS decides it, whatever SANDBOX_AUTHZ says: a drill shows what AWS would do,
  // and must fail where AWS would.
  const sandbox = await startLocalAws({ port: 0, workDir, authorization: true });
  let deployment: LocalDeployment | undefined;
  try {
    step(`sandbox at ${sandbox.endpoint}; deploying the local stacks (primary, then DR)`);
    deployment = await deployLocal({ endpoint: sandbox.endpoint, workDir, log: step });
    return await drill(sandbox, deployment);
  } finally {
    if (deployment && opts.destroy) {
      step("destroying the stacks");
      await deployment.destroy().catch((e: Error) => console.error(`destroy failed: ${e.message}`));
    }
    if (opts.stopping) step(opts.stopping);
    await sandbox.stop();
    rmSync(workDir, { recursive: true, force: true });
    step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Runs a drill as the process: exits with its code, or says `✗ <what> failed: …` and exits 1. */
export function runDrill(what: string, main: () => Promise<number>, why: (err: Error) => string = (err) => err.message): void {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`✗ ${what} failed: ${why(err)}`);
      process.exit(1);
    },
  );
}
