// `npm run validate`: terraform init (with the committed provider lock file, read-only) +
// validate of every synthesized stack, with the provider from a filesystem mirror when one is
// found (offline) and from the registry otherwise.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { lockFileFor } from "../lib/terraform";
import { findProviderMirror, findTerraform, missingTool, TERRAFORM_MISSING, terraformEnv } from "../lib/tools";

const OUT = resolve(process.env.CDKTF_OUTDIR ?? "cdktf.out");

function run(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(bin, args, { cwd, env });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

async function validateStack(bin: string, dir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // The committed lock file, verified: what deploys will install is what is validated here.
  copyFileSync(lockFileFor(dir), join(dir, ".terraform.lock.hcl"));
  const init = await run(bin, ["init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly"], dir, env);
  if (init.code !== 0) return `init failed:\n${init.output}`;
  const v = await run(bin, ["validate", "-json", "-no-color"], dir, env);
  const result = JSON.parse(v.output) as { valid: boolean; diagnostics: Array<{ severity: string; summary: string; detail?: string }> };
  if (v.code === 0 && result.valid) return undefined;
  return result.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? ` — ${d.detail}` : ""}`).join("\n");
}

async function main(): Promise<void> {
  const bin = findTerraform();
  if (!bin) missingTool(TERRAFORM_MISSING);
  const stacksDir = join(OUT, "stacks");
  if (!existsSync(stacksDir)) throw new Error(`${stacksDir} does not exist: run \`npm run synth\` first`);
  const stacks = readdirSync(stacksDir).sort();
  if (stacks.length === 0) throw new Error(`no stacks in ${stacksDir}: run \`npm run synth\` first`);
  const mirror = findProviderMirror();
  const env = terraformEnv(join(OUT, ".terraform-cli"), mirror);
  console.log(`validating ${stacks.length} stacks with ${bin}; provider from ${mirror ?? "the registry"}`);
  const results = await Promise.all(stacks.map(async (s) => [s, await validateStack(bin!, join(stacksDir, s), env)] as const));
  let failed = 0;
  for (const [stack, problem] of results) {
    if (problem) {
      failed++;
      console.log(`✗ ${stack}\n${problem.replace(/^/gm, "    ")}`);
    } else console.log(`✓ ${stack} valid`);
  }
  if (failed) {
    console.error(`${failed} of ${stacks.length} stacks invalid`);
    process.exit(1);
  }
}

main().catch((err: Error) => {
  console.error(`validate: ${err.message}`);
  process.exit(1);
});
