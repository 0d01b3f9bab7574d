// Whether the DR stack can be planned yet: custom modes need the table replica, native mode the
// primary pool's replica in the DR Region (found by name, as the DR stack finds it).
import { CognitoIdentityProviderClient, ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { environment } from "../../stacks/environments";
import { requirePrimaryApplied } from "./stack-order";

const cognito = mockClient(CognitoIdentityProviderClient);
const dynamodb = mockClient(DynamoDBClient);
const native = environment("dev", { DEV_REPLICATION_MODE: "native" });

describe("requirePrimaryApplied in native mode", () => {
  beforeEach(() => {
    cognito.reset();
    dynamodb.reset();
  });

  it("passes once the replica is listed in the DR Region, and never asks for a table", async () => {
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Name: "cdr-dev-users-primary", Id: "us-east-1_a" }] });
    await expect(requirePrimaryApplied(native)).resolves.toBeUndefined();
    expect(dynamodb.commandCalls(DescribeTableCommand)).toHaveLength(0);
    expect(await cognito.call(0).thisValue.config.region()).toBe(native.drRegion);
  });

  it("says to apply the primary stack (which runs the replica step) while there is none, and refuses two", async () => {
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Name: "other", Id: "us-west-2_b" }] });
    await expect(requirePrimaryApplied(native)).rejects.toThrow(
      "the DR stack needs the replica of cdr-dev-users-primary in us-west-2, which does not exist yet: apply the primary stack first (npm run apply -- --env dev --stack primary runs the replica step; alone: npm run native-replica -- --env dev --stack primary).",
    );
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Name: "cdr-dev-users-primary", Id: "us-east-1_a" }, { Name: "cdr-dev-users-primary", Id: "us-west-2_c" }] });
    await expect(requirePrimaryApplied(native)).rejects.toThrow(/2 user pools are named cdr-dev-users-primary in us-west-2/);
  });
});
