// Finding the pools the tools work on: by name or id, and what an operator reads when the name is
// unknown or the id belongs to another region.
import { DescribeUserPoolCommand, ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { EXIT } from "../lib/errors";
import { findPool } from "./target";

describe("finding pools", () => {
  const fake = (pools: Array<{ Id: string; Name: string }>) => ({
    send: async (cmd: unknown) => {
      if (cmd instanceof ListUserPoolsCommand) return { UserPools: pools };
      if (cmd instanceof DescribeUserPoolCommand) {
        const p = pools.find((x) => x.Id === cmd.input.UserPoolId);
        if (!p) throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
        return { UserPool: p };
      }
      throw new Error("unexpected");
    },
  });

  it("finds a pool by name or id", async () => {
    const c = fake([{ Id: "us-east-1_abc", Name: "cdr-dev-users-primary" }]);
    expect(await findPool(c as never, "cdr-dev-users-primary", "us-east-1", "primary")).toEqual({ id: "us-east-1_abc", name: "cdr-dev-users-primary", region: "us-east-1" });
    expect((await findPool(c as never, "us-east-1_abc", "us-east-1", "primary")).name).toBe("cdr-dev-users-primary");
  });

  it("names the region and the pools there when the name is unknown", async () => {
    const c = fake([{ Id: "us-east-1_abc", Name: "other" }]);
    await expect(findPool(c as never, "cdr-dev-users-primary", "us-east-1", "primary")).rejects.toThrow(
      "unknown primary pool: no user pool named cdr-dev-users-primary in us-east-1 (pools there: other). Deployed? Right --env and region?",
    );
    await expect(findPool(c as never, "us-east-1_zzz", "us-east-1", "primary")).rejects.toThrow("unknown primary pool: no user pool us-east-1_zzz in us-east-1");
  });

  it("says wrong region when a pool id belongs elsewhere", async () => {
    await expect(findPool(fake([]) as never, "eu-west-1_abc", "us-east-1", "dr")).rejects.toMatchObject({
      message: "wrong region: dr pool id eu-west-1_abc belongs to eu-west-1, but the dr region is us-east-1 (set --dr-region)",
      exitCode: EXIT.TARGET,
    });
  });
});
