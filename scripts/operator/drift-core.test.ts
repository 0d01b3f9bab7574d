// drift's comparison: leaf differences by path, the email sender without its region, every
// trigger's function ARN.
import { describe, expect, it } from "vitest";
import { diffValues, poolSettings, triggers } from "./drift-core";

describe("drift comparison", () => {
  it("reports leaf differences by path", () => {
    expect(diffValues("pool", { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } }, { PasswordPolicy: { MinimumLength: 8, RequireSymbols: true } })).toEqual([
      { area: "pool", field: "PasswordPolicy.MinimumLength", primary: 12, dr: 8 },
    ]);
    expect(diffValues("pool", { Schema: [{ Name: "email", Required: true }] }, { Schema: [{ Name: "email", Required: false }] })[0].field).toBe("Schema[email].Required");
    expect(diffValues("c", { A: ["x"] }, { A: ["x", "y"] })).toEqual([{ area: "c", field: "A", primary: ["x"], dr: ["x", "y"] }]);
  });

  it("compares the email sender without the region of each pool's own SES identity", () => {
    const pool = (region: string, from: string) => ({
      EmailConfiguration: { EmailSendingAccount: "DEVELOPER" as const, From: from, SourceArn: `arn:aws:ses:${region}:111122223333:identity/example.com` },
    });
    expect(diffValues("pool", poolSettings(pool("us-east-1", "a@example.com")), poolSettings(pool("us-west-2", "a@example.com")))).toEqual([]);
    expect(diffValues("pool", poolSettings(pool("us-east-1", "a@example.com")), poolSettings(pool("us-west-2", "b@example.com")))).toEqual([
      { area: "pool", field: "EmailConfiguration.From", primary: "a@example.com", dr: "b@example.com" },
    ]);
  });

  it("reads every trigger's function ARN", () => {
    expect(
      triggers({
        LambdaConfig: {
          PostConfirmation: "arn:aws:lambda:us-east-1:1:function:pc",
          PreTokenGeneration: "arn:aws:lambda:us-east-1:1:function:pt",
          PreTokenGenerationConfig: { LambdaArn: "arn:aws:lambda:us-east-1:1:function:pt", LambdaVersion: "V2_0" },
          KMSKeyID: "k",
        },
      }),
    ).toEqual({ PostConfirmation: "arn:aws:lambda:us-east-1:1:function:pc", PreTokenGenerationConfig: "arn:aws:lambda:us-east-1:1:function:pt" });
  });
});
