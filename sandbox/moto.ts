// Starts and stops moto_server (Python moto) on a free loopback port.
//
// moto belongs to the `python3` first on PATH: when that interpreter can import moto, moto
// runs under it through sandbox/moto_server.py (moto.server plus indexes that make user
// lookups O(1) and ListUsers O(page) per page; see that file), else as `moto_server` from PATH (unpatched). MOTO_SERVER
// names an explicit command. No path of a particular machine is assumed.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { delimiter, join, resolve } from "node:path";

/** Runs moto.server with the sandbox's speed patches (see the file). */
const PATCHED_SERVER = resolve(__dirname, "moto_server.py");

/** `$1...`: the moto command. Runs it in the background and stops it when stdin closes or on TERM/INT. */
const WATCHDOG = `"$@" </dev/null & m=$!
trap 'kill $m 2>/dev/null; wait $m; exit 0' TERM INT HUP
while read -r _; do :; done
kill $m 2>/dev/null
wait $m`;

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number;
  /** The last 4,000 characters moto wrote to stderr: a patch's "not installed" note, warnings, errors. */
  stderr(): string;
  stop(): Promise<void>;
}

export interface MotoCommand {
  command: string;
  args: string[];
  /** How it was found, for messages. */
  description: string;
}

/** One line for a skip or a missing-tools list: what is missing and how to get it. */
export const MOTO_MISSING = "moto_server not found (pip install 'moto[server]')";

export class MotoNotFoundError extends Error {
  constructor() {
    super(
      "moto_server was not found: neither `moto_server` is on PATH nor can `python3 -m moto.server` import moto. " +
        "Install it with: pip install 'moto[server]'",
    );
    this.name = "MotoNotFoundError";
  }
}

function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const exts = process.platform === "win32" ? [".exe", ".cmd", ".bat", ""] : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = join(dir, name + ext);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/**
 * Finds how to run moto_server on this machine, or undefined. `patched: false` asks for moto as it
 * is (tests that hold a patch's answers to moto's own); only the interpreter's moto can give it.
 */
export function findMoto(o: { patched?: boolean } = {}): MotoCommand | undefined {
  const patched = o.patched ?? true;
  const explicit = process.env.MOTO_SERVER;
  if (explicit && patched) return { command: explicit, args: [], description: `MOTO_SERVER=${explicit}` };
  const py = onPath("python3") ?? onPath("python");
  // Prefer the interpreter first on PATH: moto belongs to it. A moto_server shim (pyenv) can
  // exist for an interpreter version that does not have moto, so check the module import first.
  if (py) {
    const r = spawnSync(py, ["-c", "import moto.server"], { stdio: "ignore", timeout: 30_000 });
    if (r.status === 0) {
      // The same moto, started through the sandbox's patch file when it is there.
      if (patched && existsSync(PATCHED_SERVER)) return { command: py, args: [PATCHED_SERVER], description: `${py} ${PATCHED_SERVER} (moto.server, patched)` };
      return { command: py, args: ["-m", "moto.server"], description: `${py} -m moto.server` };
    }
  }
  const exe = onPath("moto_server");
  if (exe) {
    const r = spawnSync(exe, ["--help"], { stdio: "ignore", timeout: 30_000 });
    if (r.status === 0) return { command: exe, args: [], description: exe };
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function ping(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/moto-api/data.json`, { method: "GET", timeout: 1000 }, (res) => {
      res.resume();
      res.on("end", () => resolve((res.statusCode ?? 500) < 500));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform !== "win32") process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

export async function startMoto(opts: { port?: number; startTimeoutMs?: number; patched?: boolean } = {}): Promise<MotoServer> {
  const cmd = findMoto({ patched: opts.patched });
  if (!cmd) throw new MotoNotFoundError();
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const motoArgs = [...cmd.args, "-H", "127.0.0.1", "-p", String(port)];
  // On POSIX moto runs under a tiny sh watchdog that holds a pipe from this process: when this
  // process ends in any way (even SIGKILL), the pipe closes and the watchdog stops moto.
  const posix = process.platform !== "win32";
  const child = posix
    ? spawn("sh", ["-c", WATCHDOG, "moto-watchdog", cmd.command, ...motoArgs], {
        detached: true, // own process group, so stop() reaches moto too
        stdio: ["pipe", "ignore", "pipe"],
        env: { ...process.env, PYTHONUNBUFFERED: "1" },
      })
    : spawn(cmd.command, motoArgs, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  child.stdin?.on("error", () => undefined);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.on("exit", (code) => {
      exited = code;
      resolve();
    }),
  );
  child.on("error", () => {
    exited = -1;
  });
  // Never leave moto behind when this process ends without stop() (a crashed test run).
  const onExit = () => {
    if (exited === undefined) killGroup(child, "SIGKILL");
  };
  process.once("exit", onExit);
  void exitPromise.then(() => process.off("exit", onExit));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`moto_server (${cmd.description}) exited with ${exited} before answering:\n${stderr}`);
    }
    if (await ping(endpoint)) break;
    if (Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      throw new Error(`moto_server (${cmd.description}) did not answer on ${endpoint} in time:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    stderr: () => stderr,
    stop() {
      if (stopped) return stopped;
      stopped = (async () => {
        if (exited !== undefined) return;
        killGroup(child, "SIGTERM");
        const t = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
        await exitPromise;
        clearTimeout(t);
      })();
      return stopped;
    },
  };
}

