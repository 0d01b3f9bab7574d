// Native mode: the DR stack finds the secondary user pool by name in its Region (a data source), as
// the custom DR stack finds the table replica: no cross-stack reference, so it plans and applies on
// its own. The secondary exists once the deploy step created the replica after the primary's apply;
// before that (or with two pools of that name) a postcondition fails the plan, naming the pool. So
// the DR stack is destroyed before the replica is removed.
import { Fn } from "cdktf";
import { DataAwsCognitoUserPools } from "@cdktf/provider-aws/lib/data-aws-cognito-user-pools";
import { DataAwsKmsAlias } from "@cdktf/provider-aws/lib/data-aws-kms-alias";
import type { Construct } from "constructs";

export interface SecondaryLookup {
  id: string;
  arn: string;
  /** The replica of the pool's multi-Region key in this Region (the secondary's KeyConfiguration names it). */
  keyArn: string;
}

export function findSecondary(scope: Construct, props: { poolName: string; keyAlias: string; region: string; account: { id: string; partition: string } }): SecondaryLookup {
  const pools = new DataAwsCognitoUserPools(scope, "secondary-pool", {
    name: props.poolName,
    // The provider answers an empty list when no pool has the name: say what to do instead of
    // failing later on an ARN without an id.
    lifecycle: {
      postcondition: [
        {
          condition: "${length(self.ids) == 1}",
          errorMessage: `Native mode: exactly one user pool named ${props.poolName} must be in ${props.region} (the primary's replica). Run the primary stack's step first: npm run native-replica -- --env <env> --stack primary.`,
        },
      ],
    },
  });
  const key = new DataAwsKmsAlias(scope, "pool-key", { name: props.keyAlias });
  // one(): exactly one pool of that name, else terraform's error names the list it got.
  const id = Fn.one(pools.ids);
  // The ARN built here rather than taken from the data source's `arns`, which the provider builds
  // from its own account id: empty when the provider skips that lookup (the sandbox's does).
  return { id, arn: `arn:${props.account.partition}:cognito-idp:${props.region}:${props.account.id}:userpool/${id}`, keyArn: key.targetKeyArn };
}
