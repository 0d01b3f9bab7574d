// The standalone replica step refuses what it must not do before it touches anything (no sandbox,
// no terraform): another mode, a stack it cannot act for, a removal from the DR Region.
import { afterEach, describe, expect, it, vi } from "vitest";
import { nativeReplica } from "./native-replica";

const io = { stdout: () => undefined, stderr: () => undefined, isTTY: false };

describe("npm run native-replica", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("refuses an environment that is not in native mode, naming the variable", async () => {
    await expect(nativeReplica.execute(["--env", "dev", "--stack", "primary"], io)).rejects.toThrow("dev is not in native mode (DEV_REPLICATION_MODE=native): there is no replica to manage");
  });

  it("needs --stack, and removes only from the primary's Region (AWS deletes a replica there only)", async () => {
    vi.stubEnv("DEV_REPLICATION_MODE", "native");
    await expect(nativeReplica.execute(["--env", "dev"], io)).rejects.toThrow("--stack primary|dr is required");
    await expect(nativeReplica.execute(["--env", "dev", "--stack", "dr", "--remove"], io)).rejects.toThrow("--remove runs with --stack primary: AWS deletes a replica from the primary's Region only");
  });
});
