// The DR region: a user pool built by the same module as the primary's, its PreSignUp trigger (who
// may sign up here, and when), and the replicator that turns the table replica's stream into DR
// users. In two-way mode also sign-up capture and change capture of the DR pool into the DR
// replica, the same constructs the primary stack uses. It finds the replica key and table by name,
// so it plans and applies on its own after the primary stack, with no cross-stack reference.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { DnsFailover } from "../modules/dns-failover";
import { findReplica } from "../modules/replica-lookup";
import type { Environment } from "./environments";
import { changeCapture } from "./change-capture";
import { drReconcile } from "./dr-reconcile";
import { preSignUpTrigger } from "./pre-sign-up";
import { preTokenTrigger, userPool } from "./regional";
import { RegionalStack } from "./regional-stack";
import { replicator } from "./replicator";
import { signUpCapture } from "./sign-up-capture";

export class DrStack extends RegionalStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env, "dr");
    const { n, acct, boundary, alarms } = this;
    const common = { env, role: "dr" as const, alarmActions: alarms.actions, permissionsBoundary: boundary };
    const twoWay = env.replication.mode === "two-way";

    // Created by the primary stack in this region; looked up by name.
    const replica = findReplica(this, { tableName: n.table, kmsAlias: n.kmsAlias });
    const table = { name: replica.tableName, arn: replica.tableArn, keyArn: replica.keyArn };

    // Canonical id (the replicated custom:canonical_id) in ID and access tokens.
    const preToken = preTokenTrigger(this, env, "dr", alarms.actions, boundary);
    const preSignUp = preSignUpTrigger(this, { env, replica, alarmActions: alarms.actions, permissionsBoundary: boundary });
    // Two-way: users who sign up here while failed over are captured into the DR replica.
    const signUps = twoWay ? signUpCapture(this, { ...common, table }) : undefined;
    const users = userPool(this, env, acct, "dr", { triggers: { preSignUp: preSignUp.fn.fn.arn, postConfirmation: signUps?.trigger.fn.arn }, preTokenGeneration: preToken.arn });
    preToken.allowInvokeFrom(users.pool.arn);
    preSignUp.allowInvokeFrom(users.pool.arn);
    signUps?.allowInvokeFrom(users.pool.arn);
    const pool = { id: users.pool.id, arn: users.pool.arn };

    const fromPrimary = replicator(this, { ...common, pool, table: { ...table, streamArn: replica.streamArn } });

    // Two-way: every other change to a DR user (CloudTrail in this region -> EventBridge -> change-capture).
    if (twoWay) changeCapture(this, { ...common, pool, table, account: acct });

    // Optional: the auth-facing hostname fails over to this region. Here, not in the
    // primary stack, so it can be changed while the primary region is impaired.
    if (env.dnsFailover) {
      const dns = new DnsFailover(this, "dns-failover", { name: `${env.prefix}-auth`, settings: env.dnsFailover });
      // What the break-glass failover inverts to move sign-in to this region (npm run failover).
      new TerraformOutput(this, "primary_health_check_id", { value: dns.healthChecks.primary.id });
    }

    // Optional: the scheduled reconcile (the same code as `npm run reconcile`).
    if (env.reconcile?.enabled) drReconcile(this, { env, settings: env.reconcile, drPool: users.pool, replica, account: acct, alarmActions: alarms.actions, permissionsBoundary: boundary });

    new TerraformOutput(this, "user_pool_id", { value: users.pool.id });
    // Which commit this state was last applied from (the pipeline refuses to apply an older one).
    new TerraformOutput(this, "deployed_commit", { value: env.deployCommit });
    new TerraformOutput(this, "app_client_id", { value: users.client.id });
    new TerraformOutput(this, "replicator_dlq_url", { value: fromPrimary.dlqUrl });
    new TerraformOutput(this, "alarm_topic_arn", { value: alarms.topic.arn });
    // Two-way: the DR sign-up capture's fallback queue (redrive and the smoke checks find it here).
    if (signUps) new TerraformOutput(this, "fallback_queue_url", { value: signUps.fallbackUrl });
  }
}
