// Native mode, the DR Region: what the secondary user pool needs of this Region, which Cognito does
// not replicate ("per-Region settings": its triggers, email, tags): the pre-token trigger with its
// permission for the secondary's ARN, and the alarms. The secondary is found by name (it shares the
// primary's id and name); the deploy step then sets its per-Region settings to name this Region's
// function and activates it.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { DnsFailover } from "../modules/dns-failover";
import { findSecondary } from "../modules/pool-lookup";
import type { Environment } from "./environments";
import { preTokenTrigger } from "./regional";
import { RegionalStack } from "./regional-stack";

export class NativeDrStack extends RegionalStack {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env, "dr");
    const { n, acct, boundary, alarms } = this;

    // The replica shares the primary's name and id; its key is the pool key's replica here.
    const secondary = findSecondary(this, { poolName: n.userPool("primary"), keyAlias: n.poolKeyAlias, region: env.drRegion, account: acct });
    const preToken = preTokenTrigger(this, env, "dr", alarms.actions, boundary);
    preToken.allowInvokeFrom(secondary.arn);

    if (env.dnsFailover) {
      const dns = new DnsFailover(this, "dns-failover", { name: `${env.prefix}-auth`, settings: env.dnsFailover });
      new TerraformOutput(this, "primary_health_check_id", { value: dns.healthChecks.primary.id });
    }

    new TerraformOutput(this, "user_pool_id", { value: secondary.id });
    new TerraformOutput(this, "pre_token_function_arn", { value: preToken.arn });
    new TerraformOutput(this, "pool_key_arn", { value: secondary.keyArn });
    new TerraformOutput(this, "replication_engine", { value: "native" });
    new TerraformOutput(this, "deployed_commit", { value: env.deployCommit });
    new TerraformOutput(this, "alarm_topic_arn", { value: alarms.topic.arn });
  }
}
