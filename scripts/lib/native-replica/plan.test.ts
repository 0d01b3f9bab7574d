// The native replication plan from every state a run can find: nothing yet, half done, settled,
// a pool key reset by a later terraform update, and the way back (inactive before deleted).
import { describe, expect, it } from "vitest";
import { covers, planRemoval, planReplication, ReplicationPlanError, type ObservedReplication, type WantedReplication } from "./plan";
import { keepingEverything } from "./apply";

const KEY = "arn:aws:kms:us-east-1:111111111111:key/mrk-1";
const want: WantedReplication = {
  region: "us-west-2",
  keyArn: KEY,
  issuer: "UPDATED",
  regional: { LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: "arn:dr-fn", LambdaVersion: "V2_0" } }, UserPoolTags: { env: "dev" } },
};
const configured = { tier: "ESSENTIALS", keyType: "CUSTOMER_MANAGED_KEY", keyArn: KEY, issuer: "UPDATED" };
const kinds = (o: ObservedReplication) => planReplication(o, want).map((s) => s.kind);

describe("planReplication", () => {
  it("sets everything up from a pool terraform just created: key and issuer, replica, wait, per-Region settings, activation", () => {
    expect(planReplication({ primary: { tier: "ESSENTIALS" } }, want)).toEqual([
      { kind: "configure-primary", why: `key AWS owned instead of ${KEY}; issuer ORIGINAL instead of UPDATED` },
      { kind: "create-replica" },
      { kind: "wait", until: "INACTIVE", why: "a new replica starts CREATING" },
      { kind: "set-regional-settings", fields: ["LambdaConfig", "UserPoolTags"] },
      { kind: "activate" },
    ]);
  });

  it("takes no step once settled, whatever else the secondary's settings hold", () => {
    const regional = { ...want.regional, LambdaConfig: { ...want.regional.LambdaConfig, PreTokenGeneration: "arn:dr-fn" }, EmailConfiguration: { EmailSendingAccount: "DEVELOPER" } };
    expect(kinds({ primary: configured, replica: { region: "us-west-2", status: "ACTIVE" }, regional })).toEqual([]);
  });

  it("repairs only the key and issuer a later pool update reset", () => {
    expect(kinds({ primary: { tier: "ESSENTIALS" }, replica: { region: "us-west-2", status: "ACTIVE" }, regional: want.regional })).toEqual(["configure-primary"]);
  });

  it("continues a run that stopped half way: waits for a CREATING replica, then sets what an INACTIVE one lacks and activates it", () => {
    expect(planReplication({ primary: configured, replica: { region: "us-west-2", status: "CREATING" } }, want)).toEqual([{ kind: "wait", until: "INACTIVE", why: "the replica is CREATING" }]);
    expect(planReplication({ primary: configured, replica: { region: "us-west-2", status: "INACTIVE" }, regional: { UserPoolTags: { env: "dev" } } }, want)).toEqual([
      { kind: "set-regional-settings", fields: ["LambdaConfig"] },
      { kind: "activate" },
    ]);
    expect(kinds({ primary: configured, replica: { region: "us-west-2", status: "DELETING" } })).toEqual(["wait", "create-replica"]);
  });

  it("goes only as far as an INACTIVE replica when asked (the DR stack is applied in between), then on to ACTIVE", () => {
    expect(planReplication({ primary: { tier: "ESSENTIALS" } }, want, "inactive").map((s) => s.kind)).toEqual(["configure-primary", "create-replica", "wait"]);
    expect(planReplication({ primary: configured, replica: { region: "us-west-2", status: "CREATING" } }, want, "inactive").map((s) => s.kind)).toEqual(["wait"]);
    const inactive: ObservedReplication = { primary: configured, replica: { region: "us-west-2", status: "INACTIVE" }, regional: {} };
    expect(planReplication(inactive, want, "inactive")).toEqual([]);
    expect(planReplication({ ...inactive, primary: { tier: "ESSENTIALS" } }, want, "inactive").map((s) => s.kind)).toEqual(["configure-primary"]);
    expect(planReplication(inactive, want).map((s) => s.kind)).toEqual(["set-regional-settings", "activate"]);
  });

  it("refuses a Lite pool and a replica in another Region, saying why", () => {
    expect(() => planReplication({ primary: { tier: "LITE" } }, want)).toThrow(ReplicationPlanError);
    expect(() => planReplication({ primary: configured, replica: { region: "eu-west-1", status: "ACTIVE" } }, want)).toThrow("already has a replica in eu-west-1, not us-west-2");
  });
});

describe("planRemoval", () => {
  it("deactivates before it deletes, waits for a creation to finish, and takes no step when there is none", () => {
    const at = (status: "ACTIVE" | "INACTIVE" | "CREATING" | "DELETING") => planRemoval({ primary: configured, replica: { region: "us-west-2", status } }).map((s) => s.kind);
    expect(at("ACTIVE")).toEqual(["deactivate", "delete-replica", "wait"]);
    expect(at("INACTIVE")).toEqual(["delete-replica", "wait"]);
    expect(at("CREATING")).toEqual(["wait"]);
    expect(at("DELETING")).toEqual(["wait"]);
    expect(planRemoval({ primary: configured })).toEqual([]);
  });
});

describe("covers", () => {
  it("compares only what is wanted, nested, and arrays whole", () => {
    expect(covers({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } })).toBe(true);
    expect(covers({ a: 1, b: { c: 2 } }, { b: { c: 3 } })).toBe(false);
    expect(covers(undefined, { a: 1 })).toBe(false);
    expect(covers({ l: [1, 2] }, { l: [1] })).toBe(false);
  });
});

describe("keepingEverything", () => {
  it("repeats every setting a described pool has, as UpdateUserPool's input, without the legacy UnusedAccountValidityDays once the password policy sets the temporary password's validity", () => {
    const pool = {
      Id: "us-east-1_abc",
      Name: "cdr-dev-users",
      UserPoolTier: "ESSENTIALS" as const,
      Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7 },
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: "arn:fn", LambdaVersion: "V2_0" as const } },
      KeyConfiguration: { KeyType: "CUSTOMER_MANAGED_KEY" as const, KmsKeyArn: KEY },
    };
    const input = keepingEverything({ ...pool, AcrConfiguration: { Level1: { AcrValue: "basic" } } });
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    expect(defined).toEqual({
      UserPoolId: "us-east-1_abc",
      PoolName: "cdr-dev-users",
      UserPoolTier: "ESSENTIALS",
      Policies: pool.Policies,
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      LambdaConfig: pool.LambdaConfig,
      KeyConfiguration: pool.KeyConfiguration,
      AcrConfiguration: { Level1: { AcrValue: "basic" } },
    });
    expect(keepingEverything({ ...pool, Policies: {} }).AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7 });
  });
});
