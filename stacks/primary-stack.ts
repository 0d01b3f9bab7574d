// The primary region: the user pool people sign up to, sign-up capture (the PostConfirmation
// trigger writing each confirmed user into the replicated table, with its fallback queue and retry
// worker), change capture for every later change (change-capture.ts), and the shared data plane
// (multi-Region key + global table). In two-way mode also a replicator on the table's own stream
// that applies records originating in the DR region to the primary pool (replicator.ts).
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { ReplicatedTable } from "../modules/replicated-table";
import type { Environment } from "./environments";
import { changeCapture } from "./change-capture";
import { preTokenTrigger, provider, userPool } from "./regional";
import { RegionalStack } from "./regional-stack";
import { replicator } from "./replicator";
import { signUpCapture } from "./sign-up-capture";

export class PrimaryStack extends RegionalStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env, "primary");
    const { n, acct, boundary, alarms } = this;
    const drProvider = provider(this, "aws-dr", env, env.drRegion, "dr");
    const common = { env, role: "primary" as const, alarmActions: alarms.actions, permissionsBoundary: boundary };

    const data = new ReplicatedTable(this, "data", {
      tableName: n.table,
      kmsAlias: n.kmsAlias,
      drRegion: env.drRegion,
      drProvider,
      deletionProtection: env.deletionProtection,
      accountRootArn: acct.rootArn,
      accountId: acct.id,
    });
    const table = { name: data.table.name, arn: data.table.arn, keyArn: data.key.arn };

    const signUps = signUpCapture(this, { ...common, table });

    // Canonical id in ID and access tokens: the user's own sub (and in two-way mode the attribute DR-born users' copies carry).
    const preToken = preTokenTrigger(this, env, "primary", alarms.actions, boundary);
    const users = userPool(this, env, acct, "primary", { triggers: { postConfirmation: signUps.trigger.fn.arn }, preTokenGeneration: preToken.arn });
    preToken.allowInvokeFrom(users.pool.arn);
    signUps.allowInvokeFrom(users.pool.arn);

    // Every other change to a user (CloudTrail -> EventBridge -> change-capture).
    changeCapture(this, { ...common, pool: { id: users.pool.id, arn: users.pool.arn }, table, account: acct });

    // Two-way: records that originate in DR (sign-ups while failed over, changes made there) reach this pool.
    const fromDr = env.replication.mode === "two-way" ? replicator(this, { ...common, pool: { id: users.pool.id, arn: users.pool.arn }, table: { ...table, streamArn: data.table.streamArn } }) : undefined;

    new TerraformOutput(this, "user_pool_id", { value: users.pool.id });
    // Which commit this state was last applied from (the pipeline refuses to apply an older one).
    new TerraformOutput(this, "deployed_commit", { value: env.deployCommit });
    new TerraformOutput(this, "app_client_id", { value: users.client.id });
    new TerraformOutput(this, "table_name", { value: data.table.name });
    new TerraformOutput(this, "fallback_queue_url", { value: signUps.fallbackUrl });
    new TerraformOutput(this, "alarm_topic_arn", { value: alarms.topic.arn });
    // The primary replicator's DLQ: what failback checks is empty of DR-originated records, and redrive drains.
    if (fromDr) new TerraformOutput(this, "replicator_dlq_url", { value: fromDr.dlqUrl });
  }
}
