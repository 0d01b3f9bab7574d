// Native mode, the primary Region: the user pool (Essentials: the lowest plan native replication
// accepts), its app client and pre-token trigger, and the pool's multi-Region key with its replica in
// the DR Region. No table, capture, queues or replicator: Cognito replicates the directory. The
// replica itself, the key and issuer configuration and activation are the deploy step's
// (scripts/lib/native-replica), run after this stack's apply: the provider cannot do them.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { PoolKey } from "../modules/pool-key";
import type { Environment } from "./environments";
import { preTokenTrigger, provider, userPool } from "./regional";
import { RegionalStack } from "./regional-stack";

export class NativePrimaryStack extends RegionalStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env, "primary");
    const { n, acct, boundary, alarms } = this;
    const drProvider = provider(this, "aws-dr", env, env.drRegion, "dr");

    const preToken = preTokenTrigger(this, env, "primary", alarms.actions, boundary);
    const users = userPool(this, env, acct, "primary", { preTokenGeneration: preToken.arn });
    preToken.allowInvokeFrom(users.pool.arn);

    const key = new PoolKey(this, "pool-key", {
      alias: n.poolKeyAlias,
      poolId: users.pool.id,
      primaryRegion: env.primaryRegion,
      drRegion: env.drRegion,
      drProvider,
      account: acct,
      deletionProtection: env.deletionProtection,
    });

    new TerraformOutput(this, "user_pool_id", { value: users.pool.id });
    new TerraformOutput(this, "app_client_id", { value: users.client.id });
    // What the deploy step sets as the pool's KeyConfiguration (the DR stack outputs the replica's ARN).
    new TerraformOutput(this, "pool_key_arn", { value: key.key.arn });
    new TerraformOutput(this, "replication_engine", { value: "native" });
    new TerraformOutput(this, "deployed_commit", { value: env.deployCommit });
    new TerraformOutput(this, "alarm_topic_arn", { value: alarms.topic.arn });
  }
}
