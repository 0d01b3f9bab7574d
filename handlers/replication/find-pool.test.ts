// Finding a pool by name: every page is read, and a miss or an ambiguity says how many pools
// matched, in which region, and (when several) which ids, so the operator can pick one.
import { ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { poolIdByName, poolsNamed } from "./find-pool";

function pages(...lists: Array<Array<{ Id?: string; Name?: string }>>) {
  const tokens: Array<string | undefined> = [];
  return {
    tokens,
    send: async (cmd: ListUserPoolsCommand) => {
      tokens.push(cmd.input.NextToken);
      const i = cmd.input.NextToken ? Number(cmd.input.NextToken) : 0;
      return { UserPools: lists[i], NextToken: i + 1 < lists.length ? String(i + 1) : undefined };
    },
  };
}

describe("find-pool", () => {
  it("reads every page and collects the matching ids and every name seen", async () => {
    const c = pages([{ Id: "a", Name: "x" }, { Name: "unnamed-id" }], [{ Id: "b", Name: "users" }], [{ Id: "c", Name: "users" }, { Id: "d" }]);
    expect(await poolsNamed(c as never, "users")).toEqual({ ids: ["b", "c"], names: ["x", "unnamed-id", "users", "users"] });
    expect(c.tokens).toEqual([undefined, "1", "2"]);
  });

  it("returns the one pool's id", async () => {
    expect(await poolIdByName(pages([{ Id: "us-east-1_a", Name: "users" }]) as never, "users", "us-east-1")).toBe("us-east-1_a");
  });

  it("says how many matched, where, and which ids when there are several", async () => {
    await expect(poolIdByName(pages([{ Id: "a", Name: "other" }]) as never, "users", "us-east-1")).rejects.toThrow(
      new Error("expected one user pool named users in us-east-1, found 0"),
    );
    await expect(poolIdByName(pages([{ Id: "a", Name: "users" }], [{ Id: "b", Name: "users" }]) as never, "users", "us-west-2")).rejects.toThrow(
      new Error("expected one user pool named users in us-west-2, found 2 (a, b)"),
    );
  });
});
