// What the reconcile join needs in memory as the pools grow: the reconcile core over two generated
// pools of N matching users each (./child.ts; no sandbox, no quotas), its listings in memory (the
// join as it was) or spilled to disk in partitions (the CLI and the scheduled reconcile now), each
// run in a child node with a V8 old-space limit. A run that completes under a limit needs no more
// heap than that; peak RSS without a limit is mostly V8 collecting lazily, not live data.
//
//   npx tsx bench/reconcile-heap/run.ts [--users 10000,100000,400000] [--heap-mb 64]
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { users: { type: "string", default: "10000,100000,400000" }, "heap-mb": { type: "string", default: "64" } } });
const sizes = values.users.split(",").map(Number);
const heapMb = Number(values["heap-mb"]);
if (sizes.some((n) => !(n > 0)) || !(heapMb > 0)) throw new Error("--users takes positive numbers separated by commas, --heap-mb a positive number");

const child = join(__dirname, "child.ts");
const tsx = require.resolve("tsx/cli");

function run(users: number, where: string, limitMb?: number) {
  // NODE_OPTIONS, not a flag: tsx runs the script in a node of its own, which inherits the environment.
  const env = { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, limitMb === undefined ? "" : `--max-old-space-size=${limitMb}`].filter(Boolean).join(" ") };
  const r = spawnSync(process.execPath, [tsx, child, String(users), where], { encoding: "utf8", maxBuffer: 1 << 24, env });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (r.status === 0 && line) return JSON.parse(line) as { inSync: number; seconds: number; spilledBytesPerUser: number; peakRssMb: number };
  const heap = /heap out of memory/.test(r.stderr);
  if (!heap) throw new Error(`child ${users} ${where} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return undefined;
}

console.log(`users a pool | listings | peak RSS, no heap limit | under a ${heapMb} MB old-space limit | on disk per listed user`);
for (const users of sizes) {
  for (const where of ["disk", "memory"]) {
    const free = run(users, where)!;
    const capped = run(users, where, heapMb);
    console.log(
      `${users} | ${where} | ${free.peakRssMb} MB (${free.seconds.toFixed(1)} s, ${free.inSync} in sync) | ${capped ? `completes, peak RSS ${capped.peakRssMb} MB` : "runs out of heap"} | ${where === "disk" ? `${free.spilledBytesPerUser} bytes` : "-"}`,
    );
  }
}
