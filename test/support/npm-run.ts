// Runs one of the project's npm scripts as a child process, exactly as a person or a workflow
// runs it (`npm run --silent <script> -- <args>`), and collects its exit code and output.
import { spawn } from "node:child_process";
import { resolve } from "node:path";

export const ROOT = resolve(__dirname, "../..");

export interface NpmRun {
  code: number;
  /** stdout and stderr, interleaved as they came. */
  out: string;
  seconds: number;
}

export function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<NpmRun> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, env });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, out, seconds: (Date.now() - started) / 1000 }));
  });
}
