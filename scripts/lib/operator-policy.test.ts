// The operator tools' policy grants the upsert on the primary pool only in two-way mode, where
// reconcile --apply copies DR-born users there (D12).
import { describe, expect, it } from "vitest";
import { environment } from "../../stacks/environments";
import { operatorPolicy } from "./operator-policy";

describe("operator policy and the replication mode", () => {
  const env = environment("dev", {});
  const sids = (e: Parameters<typeof operatorPolicy>[0]) => operatorPolicy(e, { id: "123456789012" }).Statement.map((s) => s.Sid);

  it("one-way (the default): upsert on the DR pool only", () => {
    expect(sids(env)).toContain("RepairDrPool");
    expect(sids(env)).not.toContain("RepairPrimaryPool");
  });

  it("two-way: the same upsert actions on the primary region's pools", () => {
    const doc = operatorPolicy({ ...env, replication: { ...env.replication, mode: "two-way" } as typeof env.replication }, { id: "123456789012" });
    const st = doc.Statement.find((s) => s.Sid === "RepairPrimaryPool")!;
    expect(st.Resource).toEqual([`arn:aws:cognito-idp:${env.primaryRegion}:123456789012:userpool/*`]);
    expect(st.Action).toContain("cognito-idp:AdminCreateUser");
  });
});
