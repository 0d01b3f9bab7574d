import { describe, expect, it } from "vitest";
import { environment } from "../../../stacks/environments";
import { PipelineError } from "../errors";
import { wantedReplication } from "./deploy";

const ACCOUNT = "111122223333";
const primary = { user_pool_id: "us-east-1_abc", pool_key_arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/mrk-1` };
const dr = { user_pool_id: "us-east-1_abc", pool_key_arn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/mrk-1`, pre_token_function_arn: `arn:aws:lambda:us-west-2:${ACCOUNT}:function:cdr-prod-pre-token` };

describe("wantedReplication", () => {
  const env = environment("prod", { PROD_REPLICATION_MODE: "native", PROD_SES_FROM: "auth@example.com", PROD_SES_IDENTITY: "example.com" });

  it("after the primary stack: its key, the updated issuer, and only the tags the replica is created with", () => {
    expect(wantedReplication(env, "primary", { primary })).toEqual({ region: "us-west-2", keyArn: primary.pool_key_arn, issuer: "UPDATED", regional: { UserPoolTags: env.tags } });
  });

  it("after the DR stack: the key's replica and the DR Region's own trigger and SES identity", () => {
    expect(wantedReplication(env, "dr", { dr })).toEqual({
      region: "us-west-2",
      keyArn: dr.pool_key_arn,
      issuer: "UPDATED",
      regional: {
        LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: dr.pre_token_function_arn, LambdaVersion: "V2_0" } },
        EmailConfiguration: { EmailSendingAccount: "DEVELOPER", SourceArn: `arn:aws:ses:us-west-2:${ACCOUNT}:identity/example.com`, From: "auth@example.com" },
        UserPoolTags: env.tags,
      },
    });
    expect(wantedReplication(environment("local", { LOCAL_REPLICATION_MODE: "native" }), "dr", { dr }).regional.EmailConfiguration).toEqual({ EmailSendingAccount: "COGNITO_DEFAULT" });
  });

  it("names the stack and output that is missing", () => {
    expect(() => wantedReplication(env, "dr", { primary })).toThrow(PipelineError);
    expect(() => wantedReplication(env, "dr", { dr: { ...dr, pre_token_function_arn: "" } })).toThrow("native replica: the DR stack has no output pre_token_function_arn (apply it first; is the environment in native mode?)");
  });
});
