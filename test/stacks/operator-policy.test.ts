// The operator tools' documented IAM policy, held to the same AWS rules as the stacks' policies:
// actions in AWS's catalogue, resources of the right types, no wildcard actions, "*" only where AWS
// allows nothing else. (The end-to-end suite runs the tools with it in the enforced sandbox.)
import { describe, expect, it } from "vitest";
import { operatorPolicy } from "../../scripts/lib/operator-policy";
import { allEnvironments, environment } from "../../stacks/environments";
import { checkPolicy } from "./aws-rules";
import { lintPolicy } from "./policy-lint";

describe("operator policy", () => {
  it.each(allEnvironments({}).map((e) => [e.name, e] as const))("%s: follows AWS's catalogue and the least-privilege lint", async (_n, env) => {
    const doc = operatorPolicy(env, { id: "123456789012" });
    expect(await checkPolicy("operator", doc, { identity: true })).toEqual([]);
    expect(lintPolicy(JSON.stringify(doc), "identity", "operator")).toEqual([]);
    // Table keys only through DynamoDB, and only the keys behind the environment's alias.
    const kms = doc.Statement.find((s) => s.Action.includes("kms:Decrypt"))!;
    expect(kms.Condition).toEqual({
      StringEquals: { "kms:ViaService": [`dynamodb.${env.primaryRegion}.amazonaws.com`, `dynamodb.${env.drRegion}.amazonaws.com`] },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": `alias/${env.prefix}-replication` },
    });
  });

  it("native mode: drift's replica status and the pool key's description, by the key's alias, follow the same rules", async () => {
    const env = environment("prod", { PROD_REPLICATION_MODE: "native" });
    const doc = operatorPolicy(env, { id: "123456789012" });
    expect(await checkPolicy("operator", doc, { identity: true })).toEqual([]);
    expect(lintPolicy(JSON.stringify(doc), "identity", "operator")).toEqual([]);
    expect(doc.Statement.filter((s) => s.Sid.startsWith("Native"))).toEqual([
      { Sid: "NativeReplicaStatus", Effect: "Allow", Action: ["cognito-idp:ListUserPoolReplicas"], Resource: [`arn:aws:cognito-idp:${env.primaryRegion}:123456789012:userpool/*`] },
      { Sid: "NativePoolKey", Effect: "Allow", Action: ["kms:DescribeKey"], Resource: [`arn:aws:kms:${env.primaryRegion}:123456789012:key/*`], Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/cdr-prod-user-pool" } } },
    ]);
    expect(operatorPolicy(environment("prod", {}), { id: "123456789012" }).Statement.filter((s) => s.Sid.startsWith("Native"))).toEqual([]);
    // No table, queue or repair: backfill, reconcile and redrive refuse native mode.
    expect(doc.Statement.map((s) => s.Sid)).toEqual(["FindPoolsByName", "ReadBothPools", "NativeReplicaStatus", "NativePoolKey", "CompareTriggerCode"]);
  });

  it("would flag a grant on the wrong resource type", async () => {
    const doc = operatorPolicy(allEnvironments({})[0]!, { id: "123456789012" });
    doc.Statement.push({ Sid: "Wrong", Effect: "Allow", Action: ["dynamodb:GetRecords"], Resource: ["arn:aws:dynamodb:us-west-2:123456789012:table/t"] });
    expect((await checkPolicy("operator", doc, { identity: true })).map((f) => f.where)).toEqual(["operator statement Wrong"]);
  });
});
