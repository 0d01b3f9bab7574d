// Runs terraform on a synthesized stack directory: init (provider from the
// mirror when found), apply, destroy, outputs. Output goes to a log file per
// stack and command; errors quote its tail so the reason is on screen.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { findTerraform, TERRAFORM_MISSING, terraformEnv } from "./tools";

export interface TerraformRunner {
  init(stackDir: string): Promise<void>;
  apply(stackDir: string): Promise<void>;
  plan(stackDir: string): Promise<{ changes: boolean; log: string }>;
  destroy(stackDir: string): Promise<void>;
  outputs(stackDir: string): Promise<Record<string, string>>;
}

export function terraformRunner(logDir: string, extraEnv: NodeJS.ProcessEnv = {}): TerraformRunner {
  const bin = findTerraform();
  if (!bin) throw new Error(TERRAFORM_MISSING);
  mkdirSync(logDir, { recursive: true });
  const env = { ...terraformEnv(logDir), AWS_EC2_METADATA_DISABLED: "true", ...extraEnv };

  const run = (stackDir: string, args: string[], okCodes = [0]) =>
    new Promise<{ code: number; log: string; stdout: string }>((resolve, reject) => {
      const log = join(logDir, `${basename(stackDir)}.${args[0]}.log`);
      const out = createWriteStream(log);
      const child = spawn(bin, args, { cwd: stackDir, env });
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
        out.write(d);
      });
      child.stderr.pipe(out);
      child.on("error", reject);
      child.on("close", (code) => {
        out.end(() => {
          if (okCodes.includes(code ?? 1)) return resolve({ code: code ?? 1, log, stdout });
          const tail = readFileSync(log, "utf8").split("\n").slice(-40).join("\n");
          reject(new Error(`terraform ${args[0]} failed in ${basename(stackDir)} (exit ${code}); full log: ${log}\n${tail}`));
        });
      });
    });

  return {
    async init(dir) {
      await run(dir, ["init", "-input=false", "-no-color"]);
    },
    async apply(dir) {
      await run(dir, ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"]);
    },
    async plan(dir) {
      const r = await run(dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color"], [0, 2]);
      return { changes: r.code === 2, log: r.log };
    },
    async destroy(dir) {
      await run(dir, ["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"]);
    },
    async outputs(dir) {
      const r = await run(dir, ["output", "-json", "-no-color"]);
      const parsed = JSON.parse(r.stdout) as Record<string, { value: string }>;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
    },
  };
}
