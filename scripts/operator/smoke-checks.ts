// Read-only checks that a deployed environment is wired the way the picture says
// (smoke.ts, and the failover and failback commands).
//
// primary: the primary pool exists (by name); its PostConfirmation trigger is
//          the deployed post-confirmation function; the table is ACTIVE with a
//          stream and an ACTIVE replica in the DR region; change capture can see the
//          pool's changes (trail logging, rule enabled, mapping enabled: capture-wiring.ts).
// dr:      the DR pool exists (by name); the replica table in the DR region has
//          a stream; the replicator's event source mapping reads that stream
//          and is Enabled. In two-way mode also what the primary's first and
//          fourth checks ask, of the DR pool: its PostConfirmation trigger is the
//          DR post-confirmation function, and change capture sees its changes (a
//          DR change nothing captures is lost silently during a failover).
// Native mode has its own (smoke-native.ts).
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { DescribeUserPoolCommand } from "@aws-sdk/client-cognito-identity-provider";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { poolIdByName } from "../../handlers/replication/find-pool";
import { DescribeTableCommand, type TableDescription } from "@aws-sdk/client-dynamodb";
import { GetFunctionCommand, ListEventSourceMappingsCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { Environment } from "../../stacks/environments";
import { names, type Role } from "../../stacks/names";
import { replicationMode } from "../lib/replication-mode";
import { lambdaClient, regionClients, sandboxCredentials, type RegionClients } from "../lib/clients";
import { stepSummary } from "../lib/stacks";
import { captureTrail, checkCaptureWiring } from "./capture-wiring";
import { nativeChecks } from "./smoke-native";

export interface Check {
  role: Role;
  what: string;
  run(): Promise<string>; // detail on success; throws on failure
}

async function table(c: RegionClients, name: string): Promise<TableDescription> {
  const t = (await c.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
  if (!t) throw new Error(`DescribeTable returned no table ${name}`);
  return t;
}

/** Change capture's clients of one region. */
export interface CaptureClients {
  cloudtrail: CloudTrailClient;
  events: EventBridgeClient;
}

/** The clients the checks call, per region role: a check of one role calls only that role's region. */
export interface SmokeClients {
  regions: Record<Role, RegionClients>;
  lambda: Record<Role, LambdaClient>;
  capture: Record<Role, CaptureClients>;
}

/** The pool of `role`'s PostConfirmation trigger is that region's deployed post-confirmation function. */
function postConfirmationCheck(env: Environment, role: Role, c: SmokeClients): Check {
  const n = names(env);
  const region = role === "primary" ? env.primaryRegion : env.drRegion;
  return {
    role,
    what: `PostConfirmation trigger of the ${role === "primary" ? "primary" : "DR"} pool is ${n.fn("post-confirmation")}`,
    run: async () => {
      const id = await poolIdByName(c.regions[role].cognito, n.userPool(role), region);
      const pool = (await c.regions[role].cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool;
      const configured = pool?.LambdaConfig?.PostConfirmation;
      if (!configured) throw new Error(`the ${role === "primary" ? "primary" : "DR"} pool has no PostConfirmation trigger`);
      const fn = await c.lambda[role].send(new GetFunctionCommand({ FunctionName: n.fn("post-confirmation") }));
      const arn = fn.Configuration?.FunctionArn;
      if (configured !== arn) throw new Error(`the trigger is ${configured}, the deployed function is ${arn}`);
      return arn;
    },
  };
}

/** Change capture of `role`'s region sees its pool's changes (capture-wiring.ts). */
function captureCheck(env: Environment, role: Role, c: SmokeClients): Check {
  const n = names(env);
  return {
    role,
    what: `change capture sees the ${role === "primary" ? "primary" : "DR"} pool's changes (trail ${captureTrail(env, role)}${role === "dr" ? ` in ${env.drRegion}` : ""}, rule ${n.captureRule}, ${n.fn("change-capture")})`,
    run: () => checkCaptureWiring(env, { ...c.capture[role], lambda: c.lambda[role] }, role),
  };
}

/** Every smoke check of `env`, both roles, in the order they run (two-way mode adds two of DR's). */
export function checksFor(env: Environment, c: SmokeClients): Check[] {
  if (env.replication.engine === "native") return nativeChecks(env, c.regions);
  const n = names(env);
  const { primary, dr } = c.regions;
  const lambda = c.lambda;
  const twoWay = replicationMode(env) === "two-way";
  return [
    {
      role: "primary",
      what: `user pool ${n.userPool("primary")} exists in ${env.primaryRegion}`,
      run: async () => poolIdByName(primary.cognito, n.userPool("primary"), env.primaryRegion),
    },
    postConfirmationCheck(env, "primary", c),
    {
      role: "primary",
      what: `table ${n.table} is ACTIVE with a stream and an ACTIVE replica in ${env.drRegion}`,
      run: async () => {
        const t = await table(primary, n.table);
        const problems: string[] = [];
        if (t.TableStatus !== "ACTIVE") problems.push(`status ${t.TableStatus}`);
        if (!t.StreamSpecification?.StreamEnabled || !t.LatestStreamArn) problems.push("no stream");
        const replica = t.Replicas?.find((r) => r.RegionName === env.drRegion);
        if (!replica) problems.push(`no replica in ${env.drRegion}`);
        else if (replica.ReplicaStatus !== "ACTIVE") problems.push(`replica in ${env.drRegion} is ${replica.ReplicaStatus}`);
        if (problems.length) throw new Error(problems.join("; "));
        return `stream ${t.StreamSpecification?.StreamViewType}, replica ${env.drRegion} ACTIVE`;
      },
    },
    captureCheck(env, "primary", c),
    {
      role: "dr",
      what: `user pool ${n.userPool("dr")} exists in ${env.drRegion}`,
      run: async () => poolIdByName(dr.cognito, n.userPool("dr"), env.drRegion),
    },
    // Two-way: the DR pool's sign-ups are captured (stacks/sign-up-capture.ts in the DR stack).
    ...(twoWay ? [postConfirmationCheck(env, "dr", c)] : []),
    {
      role: "dr",
      what: `replica of ${n.table} in ${env.drRegion} has a stream`,
      run: async () => {
        const t = await table(dr, n.table);
        if (!t.LatestStreamArn) throw new Error("the replica has no stream");
        return t.LatestStreamArn;
      },
    },
    {
      role: "dr",
      what: `${n.fn("replicate-user")} reads the replica's stream through an Enabled event source mapping`,
      run: async () => {
        const stream = (await table(dr, n.table)).LatestStreamArn;
        const page = await lambda.dr.send(new ListEventSourceMappingsCommand({ FunctionName: n.fn("replicate-user") }));
        const mappings = page.EventSourceMappings ?? [];
        if (mappings.length === 0) throw new Error(`no event source mapping for ${n.fn("replicate-user")}`);
        const m = mappings.find((x) => x.EventSourceArn === stream);
        if (!m) throw new Error(`no mapping reads the replica's current stream ${stream} (mappings read: ${mappings.map((x) => x.EventSourceArn).join(", ")})`);
        if (m.State !== "Enabled") throw new Error(`the mapping ${m.UUID} is ${m.State}`);
        return `mapping ${m.UUID} Enabled`;
      },
    },
    // Two-way: every other change to a DR user (stacks/change-capture.ts in the DR stack).
    ...(twoWay ? [captureCheck(env, "dr", c)] : []),
  ];
}

/**
 * Runs the smoke checks of `roles` and prints each. Only the roles' own regions are called: a DR-only
 * run (the break-glass failover) never touches the primary region.
 */
export async function runSmoke(env: Environment, roles: Role[]): Promise<{ failed: string[]; total: number }> {
  const primary = regionClients(env, env.primaryRegion, { maxAttempts: 5 });
  const dr = regionClients(env, env.drRegion, { maxAttempts: 5 });
  const lambda = { primary: lambdaClient(env, env.primaryRegion), dr: lambdaClient(env, env.drRegion) };
  const captureIn = (region: string): CaptureClients => {
    const common = { region, maxAttempts: 5, ...(env.sandboxEndpoint ? { endpoint: env.sandboxEndpoint, credentials: sandboxCredentials() } : {}) };
    return { cloudtrail: new CloudTrailClient(common), events: new EventBridgeClient(common) };
  };
  const capture = { primary: captureIn(env.primaryRegion), dr: captureIn(env.drRegion) };
  const checks = checksFor(env, { regions: { primary, dr }, lambda, capture }).filter((c) => roles.includes(c.role));
  console.log(`smoke checks of ${env.name} (${roles.join(" + ")}):`);
  const failed: string[] = [];
  for (const c of checks) {
    try {
      const detail = await c.run();
      console.log(`  ✓ [${c.role}] ${c.what} — ${detail}`);
    } catch (e) {
      const err = e as Error;
      const reason = err.name === "ResourceNotFoundException" ? `not found (${err.message})` : err.message;
      failed.push(`[${c.role}] ${c.what}: ${reason}`);
      console.log(`  ✗ [${c.role}] ${c.what} — ${reason}`);
    }
  }
  stepSummary(
    `### Smoke of \`${env.name}\` (${roles.join(" + ")}): ${failed.length ? `${failed.length} of ${checks.length} failed` : `all ${checks.length} passed`}\n\n` +
      checks.map((c) => `- ${failed.some((f) => f.startsWith(`[${c.role}] ${c.what}:`)) ? "❌" : "✅"} [${c.role}] ${c.what}`).join("\n"),
  );
  for (const c of [primary, dr]) for (const cl of [c.cognito, c.dynamodb, c.streams, c.sqs]) cl.destroy();
  lambda.primary.destroy();
  lambda.dr.destroy();
  for (const c of [capture.primary, capture.dr]) {
    c.cloudtrail.destroy();
    c.events.destroy();
  }
  return { failed, total: checks.length };
}
