// What every stack of an environment starts with in its own region: the state backend, the
// provider, the account it runs in, the permissions boundary every role carries, and the alarm
// topic. The primary and the DR stack extend it and add only what differs.
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { account, type Account } from "../modules/account";
import type { AlarmTopic } from "../modules/alarm-topic";
import { configureBackend } from "../modules/backend";
import type { Environment } from "./environments";
import { names, type Names, type Role } from "./names";
import { alarmTopic, backendProps, provider, regionOf } from "./regional";

export abstract class RegionalStack extends TerraformStack {
  protected readonly n: Names;
  protected readonly acct: Account;
  /** The permissions boundary every role of the stacks carries (created once per account; npm run pipeline-policies). */
  protected readonly boundary: string;
  protected readonly alarms: AlarmTopic;

  constructor(scope: Construct, id: string, env: Environment, role: Role) {
    super(scope, id);
    this.n = names(env);
    configureBackend(this, id, backendProps(env, role, id));
    provider(this, "aws", env, regionOf(env, role));
    this.acct = account(this);
    this.boundary = this.acct.policyArn(this.n.boundary);
    this.alarms = alarmTopic(this, env, this.acct, role, id);
  }
}
