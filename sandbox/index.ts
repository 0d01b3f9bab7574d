// The local two-region AWS: moto_server on loopback plus the gateway in front of it with the
// plugins that add what moto lacks (quotas/faults, Cognito, global tables, KMS, Lambda runtime).

import { SandboxAdmin } from "./admin-client";
import { AlarmsPlugin } from "./alarms";
import { AuthzPlugin } from "./authz/plugin";
import type { NamedPolicy } from "./authz/policies";
import { loadServiceControlPolicies, parseServiceControlPolicies } from "./authz/scps";
import { CloudTrailPlugin, TrailApiPlugin } from "./cloudtrail";
import { CognitoPlugin } from "./cognito";
import { EventBridgePlugin } from "./eventbridge";
import { FaultsPlugin, type CognitoQuotaTable, type QuotaCategory } from "./faults";
import { startGateway } from "./gateway";
import { GlobalTablesPlugin } from "./global-tables";
import { IamGrammarPlugin } from "./iam-grammar";
import { KmsPlugin } from "./kms";
import { SchedulerPlugin } from "./scheduler";
import { SqsPlugin } from "./sqs";
import { LambdaPlugin } from "./lambda";
import { startMoto } from "./moto";
import type { Authority, GatewayPlugin, LambdaInvoker, SessionCredentials } from "./types";
import { join } from "node:path";

export { SandboxAdmin, SandboxAdminError, type ReplicationStatus } from "./admin-client";
export type { ActiveFault, CognitoQuotaTable, FaultSpec, QuotaCategory, QuotaSetting, SandboxStats, RegionStats } from "./faults";
export type { OutboxMessage, TriggerInvocation } from "./cognito";
export { MOTO_MISSING, MotoNotFoundError, findMoto } from "./moto";
/** Sent straight to moto_server (not through the gateway): AdminCreateUser with a TemporaryPassword stores the user CONFIRMED with it (moto_server.py). */
export { PERMANENT_PASSWORD_HEADER } from "./cognito/passwordless";
export { regionalEndpoint } from "./gateway";
export { policyGrammarProblem } from "./iam-grammar";
export { GITHUB_ISSUER, GITHUB_PROVIDER_HOST } from "./authz/oidc";
export type { FunctionStats, LambdaPlugin, LambdaStats } from "./lambda";
export type { AwsRequest, AwsResponse, GatewayPlugin, LambdaInvoker, Next, SessionCredentials } from "./types";
export type { DecisionRecord } from "./authz/decisions";
export { unusedGrants, type UnusedGrant } from "./authz/unused";
export type { AlarmDelivery, AlarmFiring } from "./alarms";
export type { Firing as ScheduleFiring } from "./scheduler";
export type { CloudTrailRecord, TrailCoverage } from "./cloudtrail";
export type { Delivery as EventDelivery } from "./eventbridge";
export { DEFAULT_DELIVERY_DELAY_MS } from "./eventbridge";

export interface SandboxOptions {
  /**
   * Cognito's quota table (categories, AWS's rates, per-user operations): the project's own, so
   * that the sandbox and the project's rate limiter cannot drift apart. Required: a sandbox
   * without it would leave Cognito unmetered without saying so.
   */
  cognitoQuotas: CognitoQuotaTable;
  /** Gateway port; 0 or omitted = a free port. */
  port?: number;
  /** Delay before a global-table change reaches the other regions (ms). Default 0. */
  replicationDelayMs?: number;
  /** Cognito quota overrides per region (`*` = every region), requests per second; a category of the table or the sandbox's own. */
  quotas?: Record<string, Partial<Record<QuotaCategory, number>>>;
  /** Start the Lambda runtime plugin (default true). */
  lambda?: boolean;
  /** Invoker for Cognito triggers instead of the Lambda plugin (tests). */
  lambdaInvoker?: LambdaInvoker;
  /** Cognito trigger timeout (ms). Default 5000, Cognito's own; tests may shorten it. */
  cognitoTriggerTimeoutMs?: number;
  /** Milliseconds a write to a primary pool takes to reach its native replica (default 1000; admin API: setCognitoReplicaLag). */
  cognitoReplicaLagMs?: number;
  /** Milliseconds a new native replica stays CREATING and a deleted one DELETING (default 500). */
  cognitoReplicaTransitionMs?: number;
  /** Regions the sandbox serves (searched for unsigned Cognito calls). Default us-east-1, us-west-2. */
  regions?: string[];
  /** Global-table stream poll interval (ms). Default 100. */
  replicationPollMs?: number;
  /** Scratch directory for sandbox state (Lambda code and logs go to `<workDir>/lambda`). Default: temp dirs. */
  workDir?: string;
  /** Extra plugins, placed after the built-in ones and before the Lambda plugin. */
  plugins?: GatewayPlugin[];
  /**
   * Decide every call a function's role makes as AWS would (default true; the end-to-end suite,
   * the demo and the game day run with it on). `SANDBOX_AUTHZ=off` turns the default off.
   */
  authorization?: boolean;
  /** Leave the authorization decisions and the roles' grants here on stop (default: SANDBOX_AUTHZ_REPORT_DIR). */
  authzReportDir?: string;
  /**
   * The organization's service control policies, evaluated for every role session: a JSON file's
   * path, or the documents (one, or an array). Default: the file `SANDBOX_SCP_FILE` names, if set.
   */
  serviceControlPolicies?: string | unknown;
  /**
   * Fire ENABLED rate() schedules on their own rate, as EventBridge Scheduler does (default false,
   * or `SANDBOX_FIRE_SCHEDULES=on`): tests fire them with `admin.fireSchedule` instead, so that no
   * run lands in the middle of another test.
   */
  fireSchedulesOnRate?: boolean;
  /**
   * Between a Cognito call and the delivery of its CloudTrail event to the EventBridge rules' targets
   * (ms; 0 allowed). Default: `SANDBOX_EVENTBRIDGE_DELAY_MS`, else 2000 (AWS documents none).
   */
  eventBridgeDelayMs?: number;
}

export interface Sandbox {
  /** Gateway endpoint: point every SDK client and provider endpoint here. */
  endpoint: string;
  motoEndpoint: string;
  admin: SandboxAdmin;
  /** Environment for child processes and shells (endpoint + dummy credentials). */
  env: Record<string, string>;
  /** The Lambda plugin (invoker, stats, logs), when it is running. */
  lambda?: LambdaPlugin;
  /**
   * Credentials of a session of `roleArn`, as STS AssumeRole would give (tests use them to call as
   * a role and see what the authorizer decides). The role's trust policy is not consulted.
   */
  assumeRole(roleArn: string, sessionName: string): SessionCredentials;
  /** What AWS services ask on their own behalf (Lambda's pollers, log delivery, Cognito, CloudWatch). */
  authority: Authority;
  stop(): Promise<void>;
}

/** The account every sandbox resource belongs to (moto's default account). */
export const SANDBOX_ACCOUNT_ID = "123456789012";

export function sandboxEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "sandbox",
    AWS_SECRET_ACCESS_KEY: "sandbox",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** The SCPs a sandbox runs under: none, a file's, or the documents given. */
function serviceControlPolicies(source: string | unknown): NamedPolicy[] | undefined {
  if (source === undefined || source === "") return undefined;
  return typeof source === "string" ? loadServiceControlPolicies(source) : parseServiceControlPolicies(source);
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const regions = opts.regions ?? ["us-east-1", "us-west-2"];
  const moto = await startMoto();
  const stops: Array<() => Promise<void>> = [() => moto.stop()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const faults = new FaultsPlugin({ cognitoQuotas: opts.cognitoQuotas, quotas: opts.quotas });
    const authz = new AuthzPlugin({
      motoEndpoint: moto.endpoint,
      enabled: opts.authorization ?? process.env.SANDBOX_AUTHZ !== "off",
      reportDir: opts.authzReportDir ?? process.env.SANDBOX_AUTHZ_REPORT_DIR,
      serviceControlPolicies: serviceControlPolicies(opts.serviceControlPolicies ?? process.env.SANDBOX_SCP_FILE),
    });
    const cognito = new CognitoPlugin({ motoEndpoint: moto.endpoint, invoker: opts.lambdaInvoker, regions, triggerTimeoutMs: opts.cognitoTriggerTimeoutMs, authority: authz, replicaLagMs: opts.cognitoReplicaLagMs, replicaTransitionMs: opts.cognitoReplicaTransitionMs });
    authz.store.poolTagsSource = (poolId, region) => cognito.poolTags(poolId, region);
    // The recorder before the authorizer, so that a denied call is recorded with its errorCode as
    // CloudTrail records it; the CloudTrail API after it, so that a refused call is refused first.
    const cloudtrail = new CloudTrailPlugin({
      motoEndpoint: moto.endpoint,
      identify: (req) => authz.identities.principalOf(req.headers, req.query),
      poolOfClient: (clientId, region) => cognito.poolOfClient(clientId, region),
      account: SANDBOX_ACCOUNT_ID,
    });
    const tables = new GlobalTablesPlugin({
      motoEndpoint: moto.endpoint,
      delayMs: opts.replicationDelayMs ?? 0,
      pollIntervalMs: opts.replicationPollMs,
      isDown: (region, service) => faults.isDown(region, service),
    });
    const kms = new KmsPlugin({ motoEndpoint: moto.endpoint });
    const alarms = new AlarmsPlugin({ motoEndpoint: moto.endpoint, authority: authz });
    // Faults first (an outage answers before anything is decided), then IAM's grammar and authorization.
    const trailApi = new TrailApiPlugin({ motoEndpoint: moto.endpoint, authority: authz, account: SANDBOX_ACCOUNT_ID, onChange: () => cloudtrail.trailsChanged() });
    const plugins: GatewayPlugin[] = [faults, new IamGrammarPlugin(), cloudtrail, authz, trailApi, cognito, tables, kms, new SqsPlugin(moto.endpoint), alarms, ...(opts.plugins ?? [])];
    const gateway = await startGateway({ port: opts.port, motoEndpoint: moto.endpoint, plugins, defaultRegion: regions[0] });
    stops.push(async () => {
      for (const p of [...plugins].reverse()) await p.stop?.().catch(() => undefined);
    });
    stops.push(() => gateway.stop());

    let lambda: LambdaPlugin | undefined;
    if (opts.lambda !== false) {
      // Created once the gateway listens: functions and pollers call AWS through its endpoint.
      lambda = new LambdaPlugin({
        gatewayEndpoint: gateway.endpoint,
        motoEndpoint: moto.endpoint,
        workDir: opts.workDir ? join(opts.workDir, "lambda") : undefined,
        authority: authz,
      });
      plugins.push(lambda);
      const l = lambda;
      authz.store.mappingSource = () => l.mappings();
      if (!opts.lambdaInvoker) cognito.setInvoker(lambda);
    }
    // Also after the gateway: Scheduler invokes its targets through it, as the schedule's role.
    plugins.push(
      new SchedulerPlugin({
        gatewayEndpoint: gateway.endpoint,
        motoEndpoint: moto.endpoint,
        authority: authz,
        regions,
        fireOnRate: opts.fireSchedulesOnRate ?? process.env.SANDBOX_FIRE_SCHEDULES === "on",
      }),
    );

    // After the gateway too: EventBridge delivers to Lambda and SQS through it.
    const envDelay = process.env.SANDBOX_EVENTBRIDGE_DELAY_MS;
    const eventbridge = new EventBridgePlugin({
      gatewayEndpoint: gateway.endpoint,
      motoEndpoint: moto.endpoint,
      authority: authz,
      delayMs: opts.eventBridgeDelayMs ?? (envDelay && Number.isFinite(Number(envDelay)) ? Number(envDelay) : undefined),
    });
    plugins.push(eventbridge);
    cloudtrail.deliverTo((record) => eventbridge.publish(record));

    let stopping: Promise<void> | undefined;
    return {
      endpoint: gateway.endpoint,
      motoEndpoint: moto.endpoint,
      admin: new SandboxAdmin(gateway.endpoint),
      env: sandboxEnv(gateway.endpoint),
      lambda,
      assumeRole: (roleArn, sessionName) => authz.credentials(roleArn, sessionName),
      authority: authz,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

// Policy evaluation and AWS's runtime schedule, for the static rules over synthesized stacks.
export { evaluate, deniedMessage, type AuthzRequest, type Decision, type PolicySet } from "./authz/evaluate";
export { ITEM_OPERATIONS } from "./authz/requests";
export { roleSession } from "./authz/principal";
export { NODE_RUNTIMES, RUNTIMES_SOURCE, runtimeState, type RuntimeSchedule, type RuntimeState } from "./lambda/runtimes";
export { matchesAny, parseFilterCriteria, type FilterCriteria, type FilterPattern } from "./lambda/filter";
