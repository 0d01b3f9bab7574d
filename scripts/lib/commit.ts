// The commit a deploy, plan or drill is made from: the stacks record it (their deployed_commit
// output), the pipeline refuses to go backwards from it, the drills' evidence names it.
import { spawnSync } from "node:child_process";

/** The commit being deployed: DEPLOY_COMMIT, else the checkout's HEAD, else "unrecorded". */
export function currentCommit(): string {
  if (process.env.DEPLOY_COMMIT) return process.env.DEPLOY_COMMIT;
  const r = spawnSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unrecorded";
}
