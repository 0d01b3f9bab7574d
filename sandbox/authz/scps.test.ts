// The SCP file's forms, its refusal of anything that is not a policy, whom SCPs limit, and the
// evaluator under a region-deny SCP: AWS's "explicit deny in a service control policy" message.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deniedMessage, evaluate, type AuthzRequest } from "./evaluate";
import { roleSession } from "./principal";
import { loadServiceControlPolicies, parseServiceControlPolicies, scpsApplyTo } from "./scps";

const ACCOUNT = "111122223333";
const TABLE = (region: string) => `arn:aws:dynamodb:${region}:${ACCOUNT}:table/Books`;
const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });

/** The Organizations User Guide's region-deny example, shortened: everything outside us-east-1, but global services. */
const regionDeny = doc({
  Sid: "DenyAllOutsideUsEast1",
  Effect: "Deny",
  NotAction: ["iam:*", "sts:*", "organizations:*", "route53:*", "cloudfront:*", "support:*"],
  Resource: "*",
  Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] } },
});

describe("service control policies", () => {
  it("reads one document, an array of them, or named ones", () => {
    expect(parseServiceControlPolicies(regionDeny)).toEqual([{ name: "scp-1", policy: regionDeny }]);
    expect(parseServiceControlPolicies([regionDeny, regionDeny]).map((p) => p.name)).toEqual(["scp-1", "scp-2"]);
    expect(parseServiceControlPolicies([{ name: "region-deny", policy: regionDeny }])).toEqual([{ name: "region-deny", policy: regionDeny }]);
    const dir = mkdtempSync(join(tmpdir(), "scp-"));
    writeFileSync(join(dir, "scps.json"), JSON.stringify([regionDeny]));
    expect(loadServiceControlPolicies(join(dir, "scps.json"))).toHaveLength(1);
  });

  it("refuses a file that holds no policy, naming it", () => {
    expect(() => parseServiceControlPolicies([{ Effect: "Deny" }], "scps.json")).toThrow("scps.json: item 1 is not a policy document (no Statement)");
    expect(() => parseServiceControlPolicies([], "scps.json")).toThrow("scps.json: no SCP documents");
    expect(() => loadServiceControlPolicies("/nonexistent/scps.json")).toThrow(/^SANDBOX_SCP_FILE \/nonexistent\/scps.json: /);
  });

  it("limit role sessions, but not service-linked roles nor AWS services acting as themselves", () => {
    expect(scpsApplyTo(roleSession(`arn:aws:iam::${ACCOUNT}:role/app`, "s"))).toBe(true);
    expect(scpsApplyTo(roleSession(`arn:aws:iam::${ACCOUNT}:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication`, "s"))).toBe(false);
    expect(scpsApplyTo({ kind: "service", service: "scheduler.amazonaws.com" })).toBe(false);
  });

  it("deny a call in another region with an explicit deny in a service control policy, whatever the role allows", async () => {
    const principal = roleSession(`arn:aws:iam::${ACCOUNT}:role/app`, "fn");
    const req = (region: string): AuthzRequest => ({ principal, action: "dynamodb:PutItem", resource: TABLE(region), resourceAccount: ACCOUNT, context: { "aws:RequestedRegion": region } });
    const policies = { identity: [{ name: "inline", policy: doc({ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }) }], scps: parseServiceControlPolicies([{ name: "region-deny", policy: regionDeny }]) };
    expect((await evaluate(req("us-east-1"), policies)).allowed).toBe(true);
    const dr = req("us-west-2");
    const d = await evaluate(dr, policies);
    expect(d).toMatchObject({ allowed: false, denial: { explicit: true, policyType: "service control policy" }, statements: ["scp:region-deny#DenyAllOutsideUsEast1"] });
    expect(deniedMessage(dr, d)).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/app/fn is not authorized to perform: dynamodb:PutItem on resource: ${TABLE("us-west-2")} with an explicit deny in a service control policy`,
    );
    // Without SCPs the same call is allowed: the SCP, not the role, denied it.
    expect((await evaluate(dr, { identity: policies.identity })).allowed).toBe(true);
  });
});
