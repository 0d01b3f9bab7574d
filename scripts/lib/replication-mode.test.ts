// The tools of this project's own replication refuse an environment in native mode before they
// call anything, saying why and what to run instead.
import { afterEach, describe, expect, it, vi } from "vitest";
import { backfill } from "../operator/backfill";
import { reconcile } from "../operator/reconcile";
import { redrive } from "../operator/redrive";
import { EXIT } from "./errors";

const io = { stdout: () => undefined, stderr: () => undefined, isTTY: false };

describe("native mode and the custom engine's tools", () => {
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ["backfill", backfill],
    ["reconcile", reconcile],
    ["redrive", redrive],
  ] as const)("%s refuses it with a usage error naming the mode", async (tool, command) => {
    vi.stubEnv("DEV_REPLICATION_MODE", "native");
    await expect(command.execute(["--env", "dev"], io)).rejects.toMatchObject({
      exitCode: EXIT.USAGE,
      message: `${tool} works on this project's replication; dev is in native mode (DEV_REPLICATION_MODE=native), where Cognito replicates the directory and the secondary takes no writes: npm run drift checks it instead`,
    });
  });
});
