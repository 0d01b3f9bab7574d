// The user pool's customer managed key for native Cognito replication: a multi-Region key in the
// primary Region and its replica in the DR Region (Cognito requires one "available in all AWS Regions
// that have user pool replicas"; developer guide, "Multi-Region replication for user pools"), each
// with the policy that lets Cognito use it for this pool only, in that Region (pool-key-policy.ts).
// Terraform cannot attach it to the pool (hashicorp/aws 5.100.0 has no KeyConfiguration): the
// deploy step does (scripts/lib/native-replica).
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { poolKeyPolicy } from "./pool-key-policy";

export interface PoolKeyProps {
  alias: string;
  poolId: string;
  primaryRegion: string;
  drRegion: string;
  drProvider: AwsProvider;
  account: { id: string; partition: string; rootArn: string };
  /** prevent_destroy on both keys (prod): a pool's users cannot be read without its key. */
  deletionProtection: boolean;
}

export class PoolKey extends Construct {
  readonly key: KmsKey;
  readonly replicaKey: KmsReplicaKey;

  constructor(scope: Construct, id: string, props: PoolKeyProps) {
    super(scope, id);
    const poolArn = (region: string) => `arn:${props.account.partition}:cognito-idp:${region}:${props.account.id}:userpool/${props.poolId}`;
    const policy = (region: string) => poolKeyPolicy({ accountRootArn: props.account.rootArn, accountId: props.account.id, poolArn: poolArn(region), region });
    const protect = props.deletionProtection ? { preventDestroy: true } : undefined;
    const description = `Encrypts the user pool ${props.poolId} and its replica (multi-Region key)`;
    this.key = new KmsKey(this, "key", { description, multiRegion: true, enableKeyRotation: true, deletionWindowInDays: 30, policy: policy(props.primaryRegion), lifecycle: protect });
    new KmsAlias(this, "alias", { name: props.alias, targetKeyId: this.key.keyId });
    this.replicaKey = new KmsReplicaKey(this, "replica-key", {
      provider: props.drProvider,
      description,
      primaryKeyArn: this.key.arn,
      deletionWindowInDays: 30,
      policy: policy(props.drRegion),
      lifecycle: protect,
    });
    new KmsAlias(this, "replica-alias", { provider: props.drProvider, name: props.alias, targetKeyId: this.replicaKey.keyId });
  }
}
