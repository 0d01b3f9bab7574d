// `npm run drift -- --env <name> [options]`: compares the primary and the DR pool's configuration
// (drift-core.ts) and prints every difference; the pipeline runs it after promoting the DR stack.
import "../lib/quiet-warnings";
import { defineCommand, type CommandContext } from "../lib/command";
import { EXIT, EXIT_CODES_HELP } from "../lib/errors";
import { COMMON_HELP } from "../lib/flags";
import { table } from "../lib/output";
import { replicationMode } from "../lib/replication-mode";
import { kmsClient } from "../lib/clients";
import { nativeReplicaDrift } from "../lib/native-replica/drift";
import { comparePools, DR_ONLY_TRIGGERS, PRIMARY_ONLY_TRIGGERS } from "./drift-core";
import { POOL_OPTIONS, poolOf } from "./target";

export const DRIFT_HELP = `Usage: npm run drift -- --env <name> [options]

Compares the primary and the DR pool's configuration and prints every difference:
  pool      password policy, schema and custom attributes, sign-in policy (first factors), MFA,
            tier, username/alias attributes, auto-verified attributes, account recovery,
            admin-create-only, deletion protection
  clients   app clients matched by name: auth flows, callback and logout URLs, OAuth flows and
            scopes, identity providers, read/write attributes, token validity and units,
            user-existence errors, token revocation, secret
  triggers  which triggers are configured, and for each trigger in both pools the deployed
            function's code SHA-256, runtime and handler in its own region (Lambda GetFunction).
            PostConfirmation exists in the primary only by design in one-way mode (two-way:
            in both, compared), and PreSignUp in the DR pool only (it refuses DR sign-ups
            unless failed over): neither is drift.
And, in either pool, every app client that can write the canonical id attribute
(custom:canonical_id): one listing it in WriteAttributes, or one without WriteAttributes (which
can write every attribute). A user of such a client could claim another user's canonical id.
The pipeline runs it after promoting the DR stack.

Options:
  --primary-pool <name|id> default: the environment's primary pool name
  --dr-pool <name|id>      default: the environment's DR pool name
${COMMON_HELP}

${EXIT_CODES_HELP}
  drift exits 1 on any difference and on any client that can write the canonical id attribute.

Examples:
  npm run drift -- --env local
  npm run drift -- --env prod --json`;

export const DRIFT_OPTIONS = POOL_OPTIONS;

export const drift = defineCommand({ name: "drift", help: DRIFT_HELP, options: DRIFT_OPTIONS, run: runDrift });

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

async function runDrift(ctx: CommandContext): Promise<number> {
  const { env, clients } = ctx;
  const native = env.replication.engine === "native";
  const [pPool, dPool] = await Promise.all([poolOf(ctx, clients.primary.cognito, "primary"), poolOf(ctx, clients.dr.cognito, "dr")]);
  const result = await comparePools({
    primary: { cognito: clients.primary.cognito, lambda: clients.lambda(env.primaryRegion), poolId: pPool.id, region: env.primaryRegion },
    dr: { cognito: clients.dr.cognito, lambda: clients.lambda(env.drRegion), poolId: dPool.id, region: env.drRegion },
    canonicalIdAttribute: ctx.replication.canonicalIdAttribute,
    // Two-way: the DR pool has its own PostConfirmation (D10), so both pools' are compared.
    // Native: no capture and no sign-up gate; the pre-token triggers are compared like every other.
    primaryOnlyTriggers: native || replicationMode(env) === "two-way" ? [] : PRIMARY_ONLY_TRIGGERS,
    drOnlyTriggers: native ? [] : DR_ONLY_TRIGGERS,
  });
  // Native: the replica, the pool's key and issuer too (a terraform update of the pool resets the last two).
  const replica = native ? await nativeReplicaDrift({ cognito: clients.primary.cognito, kms: kmsClient(env, env.primaryRegion), poolId: pPool.id, region: env.drRegion, issuer: "UPDATED" }) : [];
  ctx.report({ tool: "drift", env: env.name, primaryPool: pPool, drPool: dPool, ...result, ...(native ? { replica } : {}) }, () => {
    const lines = [`drift ${pPool.name} (${pPool.id}, ${env.primaryRegion}) vs ${dPool.name} (${dPool.id}, ${env.drRegion}): ${result.compared.appClients} app client(s), ${result.compared.triggers} trigger function(s) compared`];
    if (result.differences.length === 0) lines.push("no differences");
    else {
      lines.push(`${result.differences.length} difference(s):`);
      lines.push(table([["area", "field", "primary", "DR"], ...result.differences.map((d) => [d.area, d.field, show(d.primary), show(d.dr)])]));
    }
    if (result.canonicalIdWriters.length > 0) {
      lines.push(`${result.canonicalIdWriters.length} app client(s) can write the canonical id attribute (a user of one could claim another user's id; set WriteAttributes without it):`);
      lines.push(table([["pool", "client", "client id", "why"], ...result.canonicalIdWriters.map((w) => [w.pool, w.client, w.clientId ?? "-", w.why])]));
    }
    for (const f of replica) lines.push(`native replication: ${f.check} is ${f.have}, should be ${f.want} (npm run native-replica -- --env ${env.name} --stack primary, then --stack dr, repairs it)`);
    if (native && replica.length === 0) lines.push(`native replication: replica ACTIVE in ${env.drRegion}, customer managed multi-Region key, updated issuer`);
    for (const note of result.notes) lines.push(`note: ${note}`);
    return lines.join("\n");
  });
  return result.differences.length + result.canonicalIdWriters.length + replica.length > 0 ? EXIT.DRIFT : EXIT.OK;
}

if (require.main === module) drift.main();
