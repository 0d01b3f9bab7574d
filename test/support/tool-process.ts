// An operator tool as a child process, as an operator runs it (`node --import tsx
// scripts/operator/<tool>.ts --env local ...` against the sandbox), killable, its output
// collected: the end-to-end suite kills one half-way, the benchmarks time them.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./npm-run";

export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnTool(tool: string, args: string[], sandboxEndpoint: string): { proc: ChildProcess; done: Promise<ToolExit> } {
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "operator", `${tool}.ts`), "--env", "local", ...args], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_ENDPOINT: sandboxEndpoint },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (d) => (stdout += d));
  proc.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<ToolExit>((res) => proc.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return { proc, done };
}
