// The control item's round trip through DynamoDB's item shape, and since when a failback waits.
import { describe, expect, it } from "vitest";
import { FAILOVER_CONTROL_KEY } from "../../handlers/contract";
import { failedOverSince, readFailoverControl, writeFailoverControl } from "./failover-state";

function fakeTable() {
  type Item = Record<string, { S?: string; N?: string }>;
  const items = new Map<string, Item>();
  const calls: string[] = [];
  const ddb = {
    async send(cmd: { constructor: { name: string }; input: { TableName?: string; Item?: Item; Key?: Item } }): Promise<{ Item?: Item }> {
      calls.push(`${cmd.constructor.name}:${cmd.input.TableName}`);
      if (cmd.constructor.name === "PutItemCommand") items.set(cmd.input.Item!.canonicalId.S!, cmd.input.Item!);
      if (cmd.constructor.name === "GetItemCommand") return { Item: items.get(cmd.input.Key!.canonicalId.S!) };
      return {};
    },
  };
  return { ddb, items, calls };
}

describe("failover control item", () => {
  it("writes under control#failover and reads back the same", async () => {
    const t = fakeTable();
    await writeFailoverControl(t.ddb, "tbl", { state: "failed-over", changedAt: 1_700_000_000_000, by: "failover" });
    expect(t.items.get(FAILOVER_CONTROL_KEY)).toEqual({ canonicalId: { S: "control#failover" }, state: { S: "failed-over" }, changedAt: { N: "1700000000000" }, by: { S: "failover" } });
    expect(await readFailoverControl(t.ddb, "tbl")).toEqual({ state: "failed-over", changedAt: 1_700_000_000_000, by: "failover" });
    await writeFailoverControl(t.ddb, "tbl", { state: "normal", changedAt: 1_700_000_500_000, by: "failback", failedOverAt: 1_700_000_000_000 });
    expect(await readFailoverControl(t.ddb, "tbl")).toEqual({ state: "normal", changedAt: 1_700_000_500_000, by: "failback", failedOverAt: 1_700_000_000_000 });
    expect(t.calls).toEqual(["PutItemCommand:tbl", "GetItemCommand:tbl", "PutItemCommand:tbl", "GetItemCommand:tbl"]);
  });

  it("no item reads as undefined; a malformed one is an error, not 'normal'", async () => {
    const t = fakeTable();
    expect(await readFailoverControl(t.ddb, "tbl")).toBeUndefined();
    t.items.set(FAILOVER_CONTROL_KEY, { state: { S: "open" }, changedAt: { N: "1" } });
    await expect(readFailoverControl(t.ddb, "tbl")).rejects.toThrow(/malformed/);
  });

  it("a failback waits since the failover's time, also when it already wrote normal", () => {
    expect(failedOverSince({ state: "failed-over", changedAt: 10, by: "failover" })).toBe(10);
    expect(failedOverSince({ state: "normal", changedAt: 20, by: "failback", failedOverAt: 10 })).toBe(10);
    expect(failedOverSince({ state: "normal", changedAt: 20, by: "gameday" })).toBeUndefined();
    expect(failedOverSince(undefined)).toBeUndefined();
  });
});
