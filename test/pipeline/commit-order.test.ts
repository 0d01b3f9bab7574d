// The commit order a plan or apply checks against the stack's `deployed_commit` output: forward
// only, unless it is a rollback, and a rollback only to a commit older than the deployed one (an
// ancestor of it): "rolling back" to a newer commit, or to one beside main's history, is refused.
// Uses this checkout's own history (CI checks out with fetch-depth: 0) and a stand-in for
// terraform's outputs.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PipelineError } from "../../scripts/lib/errors";
import { requireForward } from "../../scripts/lib/stacks";
import type { TerraformRunner } from "../../scripts/lib/terraform";
import { ROOT } from "../support/npm-run";

const rev = (r: string) => spawnSync("git", ["rev-parse", "--verify", "--quiet", `${r}^{commit}`], { cwd: ROOT, encoding: "utf8" }).stdout.trim() || undefined;
const NEW = rev("HEAD");
const OLD = rev("HEAD~1");

/** Just enough of a runner: the outputs of a stack last applied from `deployed`. */
const applied = (deployed: string) => ({ outputs: () => Promise.resolve({ deployed_commit: deployed }) }) as unknown as TerraformRunner;
const check = (deployed: string, commit: string, rollback: boolean) => requireForward(applied(deployed), "dir", "cdr-dev-dr", commit, rollback);

describe.skipIf(!NEW || !OLD)("commit order against the deployed commit", () => {
  it("goes forward without --rollback, refuses to go back without it", async () => {
    await expect(check(OLD!, NEW!, false)).resolves.toBe(OLD);
    await expect(check(NEW!, OLD!, false)).rejects.toThrow(`cdr-dev-dr was last applied from ${NEW}, which is newer than ${OLD}`);
  });

  it("rolls back only to a commit older than the deployed one", async () => {
    await expect(check(NEW!, OLD!, true)).resolves.toBe(NEW);
    await expect(check(NEW!, NEW!, true)).resolves.toBe(NEW);
  });

  it("refuses a rollback to a newer commit: that is a deploy, not a rollback", async () => {
    const e = await check(OLD!, NEW!, true).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PipelineError);
    expect((e as Error).message).toContain(`${NEW} is newer than the deployed ${OLD}: that is a deploy, not a rollback`);
  });

  it("refuses a rollback it cannot place in the history", async () => {
    const unknown = "0123456789abcdef0123456789abcdef01234567";
    await expect(check(unknown, OLD!, true)).rejects.toThrow(/git cannot tell whether .* is older than the deployed/);
  });
});
