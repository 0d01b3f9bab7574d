// The table the stacks create is keyed and expired by the names in contract.ts; the records the
// handlers write must carry exactly those attributes, or lookups miss and staging records never expire.
import { describe, expect, it } from "vitest";
import { TABLE_KEY, TTL_ATTRIBUTE } from "./contract";
import { newRecord, toItem } from "./replication/record";
import { FIXED_NOW, PRIMARY_POOL_ID, PRIMARY_REGION } from "../test/support/events";

describe("table contract", () => {
  it("a written record carries the table key and the TTL attribute, the latter as epoch seconds (what DynamoDB TTL reads)", () => {
    const record = newRecord({ canonicalId: "c-1", username: "u-1", attributes: { email: "a@example.com" }, originRegion: PRIMARY_REGION, originPoolId: PRIMARY_POOL_ID, now: FIXED_NOW, ttlDays: 30 });
    const item = toItem(record);
    expect(item[TABLE_KEY]).toEqual({ S: "c-1" });
    expect(item[TTL_ATTRIBUTE]).toEqual({ N: String(FIXED_NOW / 1000 + 30 * 86_400) });
  });
});
