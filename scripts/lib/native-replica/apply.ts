// Runs the native replication plan against the two Regions: observe, take the first step, observe
// again, until the plan is empty. Each run starts from what it finds, so a run that stopped half
// way (a failed call, a killed pipeline job) is finished by the next one; a failure names the step
// and the state it left.
import {
  CreateUserPoolReplicaCommand,
  DeleteUserPoolReplicaCommand,
  DescribeUserPoolCommand,
  ListUserPoolReplicasCommand,
  UpdateUserPoolCommand,
  UpdateUserPoolReplicaCommand,
  type CognitoIdentityProviderClient,
  type UpdateUserPoolCommandInput,
  type UserPoolType,
} from "@aws-sdk/client-cognito-identity-provider";
import { describeError, PipelineError } from "../errors";
import { planRemoval, planReplication, type ObservedReplication, type RegionalSettings, type ReplicaStatus, type ReplicaStep, type ReplicationGoal, type WantedReplication } from "./plan";

export interface ReplicationClients {
  /** Cognito in the primary pool's Region. */
  primary: CognitoIdentityProviderClient;
  /** Cognito in the secondary's Region. */
  secondary: CognitoIdentityProviderClient;
}

export interface ReplicationRun {
  poolId: string;
  /** The secondary's Region. */
  region: string;
  /**
   * Where the run looks and acts: `primary` (the default; every step), or `secondary`: only in the
   * secondary's Region (its per-Region settings, activation), as the DR stack's pipeline role does,
   * which is held to that Region so it can deploy while the primary's is impaired. The primary's key
   * and issuer are then read from the secondary (global settings; its key is the replica's ARN).
   */
  from?: "primary" | "secondary";
  /** The command that runs the primary's step, for errors of a run from the secondary (default without --env). */
  primaryStepCommand?: string;
  pollMs?: number;
  /** How long a wait step may take (a replica's creation is documented as asynchronous, with no bound). */
  waitTimeoutMs?: number;
  log?: (line: string) => void;
}

/** What a run did, step by step. */
export type StepsTaken = Array<ReplicaStep & { ms: number }>;

export class ReplicaStepError extends PipelineError {}

const REGIONAL_FIELDS = ["EmailConfiguration", "SmsConfiguration", "LambdaConfig", "UserPoolTags"] as const;
/** Rounds of observe-and-step before a run gives up: a full setup takes six. */
const MAX_ROUNDS = 12;

/** The client a run looks and acts through (see ReplicationRun.from). */
const home = (c: ReplicationClients, run: Pick<ReplicationRun, "from">) => (run.from === "secondary" ? c.secondary : c.primary);

/** What the two Regions show now (from the secondary's Region only when `from` says so). */
export async function observeReplication(c: ReplicationClients, poolId: string, region: string, from: ReplicationRun["from"] = "primary"): Promise<ObservedReplication> {
  const client = home(c, { from });
  const described = async (cl: CognitoIdentityProviderClient) => {
    try {
      return (await cl.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool ?? {};
    } catch (e) {
      // In the secondary's Region, a replica still CREATING (or none) is not a pool yet.
      if (from === "secondary" && (e as Error).name === "ResourceNotFoundException") return undefined;
      throw e;
    }
  };
  const pool = await described(client);
  if (!pool) return { primary: {}, replica: undefined };
  const replicas = (await client.send(new ListUserPoolReplicasCommand({ UserPoolId: poolId }))).UserPoolReplicas ?? [];
  const secondary = replicas.find((r) => r.Role === "SECONDARY");
  const observed: ObservedReplication = {
    primary: { tier: pool.UserPoolTier, keyType: pool.KeyConfiguration?.KeyType, keyArn: pool.KeyConfiguration?.KmsKeyArn, issuer: pool.IssuerConfiguration?.Type },
    replica: secondary?.RegionName ? { region: secondary.RegionName, status: secondary.Status as ReplicaStatus } : undefined,
  };
  if (observed.replica?.region === region && (observed.replica.status === "INACTIVE" || observed.replica.status === "ACTIVE")) {
    const dr = from === "secondary" ? pool : ((await described(c.secondary)) ?? {});
    observed.regional = Object.fromEntries(REGIONAL_FIELDS.map((f) => [f, dr[f]])) as RegionalSettings;
  }
  return observed;
}

/**
 * UpdateUserPool's input that keeps every setting a pool has: UpdateUserPool sets an omitted
 * parameter to its default (API reference), so an update must repeat the rest.
 */
export function keepingEverything(pool: UserPoolType): UpdateUserPoolCommandInput {
  return {
    UserPoolId: pool.Id,
    Policies: pool.Policies,
    DeletionProtection: pool.DeletionProtection,
    LambdaConfig: pool.LambdaConfig,
    AutoVerifiedAttributes: pool.AutoVerifiedAttributes,
    SmsVerificationMessage: pool.SmsVerificationMessage,
    EmailVerificationMessage: pool.EmailVerificationMessage,
    EmailVerificationSubject: pool.EmailVerificationSubject,
    VerificationMessageTemplate: pool.VerificationMessageTemplate,
    SmsAuthenticationMessage: pool.SmsAuthenticationMessage,
    UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
    MfaConfiguration: pool.MfaConfiguration,
    DeviceConfiguration: pool.DeviceConfiguration,
    EmailConfiguration: pool.EmailConfiguration,
    SmsConfiguration: pool.SmsConfiguration,
    UserPoolTags: pool.UserPoolTags,
    AdminCreateUserConfig: adminCreateUserConfig(pool),
    UserPoolAddOns: pool.UserPoolAddOns,
    AccountRecoverySetting: pool.AccountRecoverySetting,
    PoolName: pool.Name,
    UserPoolTier: pool.UserPoolTier,
    KeyConfiguration: pool.KeyConfiguration,
    IssuerConfiguration: pool.IssuerConfiguration,
    AcrConfiguration: pool.AcrConfiguration,
  };
}

/**
 * The pool's AdminCreateUserConfig without the legacy UnusedAccountValidityDays once the password
 * policy has TemporaryPasswordValidityDays: then "you can no longer set a value for the legacy
 * UnusedAccountValidityDays" (API reference, PasswordPolicyType), which DescribeUserPool may still show.
 */
function adminCreateUserConfig(pool: UserPoolType): UserPoolType["AdminCreateUserConfig"] {
  const config = pool.AdminCreateUserConfig;
  if (!config || pool.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays === undefined) return config;
  const { UnusedAccountValidityDays: _legacy, ...rest } = config;
  return rest;
}

async function replicaStatus(client: CognitoIdentityProviderClient, poolId: string, region: string): Promise<ReplicaStatus | "GONE"> {
  const replicas = (await client.send(new ListUserPoolReplicasCommand({ UserPoolId: poolId }))).UserPoolReplicas ?? [];
  return (replicas.find((r) => r.Role === "SECONDARY" && r.RegionName === region)?.Status as ReplicaStatus | undefined) ?? "GONE";
}

/** Steps AWS serves only in the primary's Region (CreateUserPoolReplica, DeleteUserPoolReplica; the pool's global settings). */
const PRIMARY_ONLY = new Set<ReplicaStep["kind"]>(["configure-primary", "create-replica", "delete-replica"]);

async function take(c: ReplicationClients, run: ReplicationRun, step: ReplicaStep, want?: WantedReplication): Promise<void> {
  const { poolId, region } = run;
  switch (step.kind) {
    case "configure-primary": {
      const pool = (await c.primary.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool ?? {};
      await c.primary.send(new UpdateUserPoolCommand({ ...keepingEverything(pool), KeyConfiguration: { KeyType: "CUSTOMER_MANAGED_KEY", KmsKeyArn: want!.keyArn }, IssuerConfiguration: { Type: want!.issuer } }));
      return;
    }
    case "create-replica":
      await c.primary.send(new CreateUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: region, UserPoolTags: want?.regional.UserPoolTags }));
      return;
    case "wait": {
      const deadline = Date.now() + (run.waitTimeoutMs ?? 15 * 60_000);
      for (;;) {
        const status = await replicaStatus(home(c, run), poolId, region);
        if (status === step.until || (step.until === "INACTIVE" && status === "ACTIVE")) return;
        if (Date.now() >= deadline) throw new Error(`still ${status} after ${Math.round((run.waitTimeoutMs ?? 15 * 60_000) / 1000)} s`);
        await new Promise((r) => setTimeout(r, run.pollMs ?? 5_000));
      }
    }
    case "set-regional-settings": {
      // In the secondary, UpdateUserPool takes the global settings unchanged with the per-Region ones.
      const pool = (await c.secondary.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool ?? {};
      await c.secondary.send(new UpdateUserPoolCommand({ ...keepingEverything(pool), ...want!.regional }));
      return;
    }
    case "activate":
    case "deactivate":
      // Made in either Region (API reference, UpdateUserPoolReplica).
      await home(c, run).send(new UpdateUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: region, Status: step.kind === "activate" ? "ACTIVE" : "INACTIVE" }));
      return;
    case "delete-replica":
      await c.primary.send(new DeleteUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: region }));
      return;
  }
}

const describeStep = (s: ReplicaStep) => (s.kind === "wait" ? `wait until ${s.until} (${s.why})` : s.kind === "configure-primary" ? `configure-primary (${s.why})` : s.kind === "set-regional-settings" ? `set-regional-settings (${s.fields.join(", ")})` : s.kind);

async function converge(c: ReplicationClients, run: ReplicationRun, plan: (o: ObservedReplication) => ReplicaStep[], want?: WantedReplication): Promise<StepsTaken> {
  const taken: StepsTaken = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const observed = await observeReplication(c, run.poolId, run.region, run.from);
    const primaryStep = run.primaryStepCommand ?? "npm run native-replica -- --stack primary";
    if (run.from === "secondary" && observed.primary.tier === undefined && !observed.replica) {
      throw new ReplicaStepError(`native replica of ${run.poolId}: no secondary in ${run.region} yet (still CREATING, or no replica): run the primary stack's step first (${primaryStep})`);
    }
    const [step] = plan(observed);
    if (!step) return taken;
    if (run.from === "secondary" && PRIMARY_ONLY.has(step.kind)) {
      throw new ReplicaStepError(`native replica of ${run.poolId}: the next step, ${describeStep(step)}, is made in the primary's Region only: run the primary stack's step first (${primaryStep})`);
    }
    const started = Date.now();
    run.log?.(`native replica ${run.poolId} -> ${run.region}: ${describeStep(step)}`);
    try {
      await take(c, run, step, want);
    } catch (err) {
      const state = observed.replica ? `the replica in ${observed.replica.region} was ${observed.replica.status}` : "no replica existed";
      throw new ReplicaStepError(`native replica of ${run.poolId}: step ${describeStep(step)} failed: ${describeError(err).message}; ${state} before it. Run the step again: it continues from there.`, { cause: err });
    }
    taken.push({ ...step, ms: Date.now() - started });
  }
  throw new ReplicaStepError(`native replica of ${run.poolId}: not settled after ${MAX_ROUNDS} steps (${taken.map(describeStep).join(" -> ")})`);
}

/**
 * Brings the replica to ACTIVE with the wanted key, issuer and per-Region settings (`goal`
 * `inactive`: only the key, the issuer and an INACTIVE replica); a settled one takes no step.
 */
export function ensureReplication(c: ReplicationClients, run: ReplicationRun, want: WantedReplication, goal: ReplicationGoal = "active"): Promise<StepsTaken> {
  if (want.region !== run.region) throw new ReplicaStepError(`native replica: wanted Region ${want.region} is not the run's ${run.region}`);
  return converge(c, run, (o) => planReplication(o, want, goal), want);
}

/** Removes the replica (inactive, then deleted, then gone); none is no step. */
export function removeReplication(c: ReplicationClients, run: ReplicationRun): Promise<StepsTaken> {
  return converge(c, run, planRemoval);
}
