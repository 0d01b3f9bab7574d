// The deploying account and partition, read at plan time so no account id is
// ever committed, and ARNs for resources that may not exist yet (roles of the
// other stack) built from names.
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { Construct } from "constructs";

export interface Account {
  id: string;
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  partition: string;
  rootArn: string;
  roleArn(roleName: string): string;
  policyArn(policyName: string): string;
}

export function account(scope: Construct): Account {
  const identity = new DataAwsCallerIdentity(scope, "account");
  const partition = new DataAwsPartition(scope, "partition");
  const iam = `arn:${partition.partition}:iam::${identity.accountId}`;
  return {
    id: identity.accountId,
    partition: partition.partition,
    rootArn: `${iam}:root`,
    roleArn: (name) => `${iam}:role/${name}`,
    policyArn: (name) => `${iam}:policy/${name}`,
  };
}
