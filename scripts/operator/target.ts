// Finds what the operator tools work on: pools by name (ids are generated at
// deploy time) or by id, queues by name. Every miss is a CliError naming the
// region and what exists there, so "unknown pool" and "wrong region" read as such.
import { DescribeUserPoolCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { poolsNamed } from "../../handlers/replication/find-pool";
import type { Role } from "../../stacks/names";
import type { CommandContext } from "../lib/command";
import { CliError, EXIT } from "../lib/errors";
import { stringFlag, type Options } from "../lib/flags";

/** The flags that name the pools instead of the environment's defaults. */
export const POOL_OPTIONS = {
  "primary-pool": { type: "string" },
  "dr-pool": { type: "string" },
} as const satisfies Options;

export interface PoolRef {
  id: string;
  name: string;
  region: string;
}

const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$/;

/** A pool by id (`us-east-1_abc`) or exact name, in the client's region. */
export async function findPool(cognito: Pick<CognitoIdentityProviderClient, "send">, nameOrId: string, region: string, role: string): Promise<PoolRef> {
  const id = POOL_ID.exec(nameOrId);
  if (id) {
    if (id[1] !== region) {
      throw new CliError(`wrong region: ${role} pool id ${nameOrId} belongs to ${id[1]}, but the ${role} region is ${region} (set --${role}-region)`, EXIT.TARGET);
    }
    try {
      const out = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: nameOrId }));
      return { id: nameOrId, name: out.UserPool?.Name ?? nameOrId, region };
    } catch (err) {
      if ((err as { name?: string }).name === "ResourceNotFoundException") throw new CliError(`unknown ${role} pool: no user pool ${nameOrId} in ${region}`, EXIT.TARGET);
      throw err;
    }
  }
  const { ids, names: seen } = await poolsNamed(cognito, nameOrId);
  const matches: PoolRef[] = ids.map((poolId) => ({ id: poolId, name: nameOrId, region }));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new CliError(`${matches.length} ${role} pools are named ${nameOrId} in ${region}; pass the id instead (${matches.map((m) => m.id).join(", ")})`, EXIT.TARGET);
  const there = seen.length === 0 ? "none" : seen.slice(0, 10).join(", ") + (seen.length > 10 ? ", ..." : "");
  throw new CliError(`unknown ${role} pool: no user pool named ${nameOrId} in ${region} (pools there: ${there}). Deployed? Right --env and region?`, EXIT.TARGET);
}

/** The pool of `role` a tool works on: --primary-pool/--dr-pool, else the environment's pool name, in the role's region. */
export function poolOf(ctx: Pick<CommandContext, "env" | "names" | "values">, cognito: Pick<CognitoIdentityProviderClient, "send">, role: Role): Promise<PoolRef> {
  const region = role === "primary" ? ctx.env.primaryRegion : ctx.env.drRegion;
  // Native: the DR Region's pool is the primary's replica, under the primary's name (and id).
  const name = ctx.env.replication.engine === "native" ? ctx.names.userPool("primary") : ctx.names.userPool(role);
  return findPool(cognito, stringFlag(ctx.values, `${role}-pool`) ?? name, region, role);
}

export async function findQueueUrl(sqs: Pick<SQSClient, "send">, nameOrUrl: string, region: string): Promise<string> {
  if (/^https?:\/\//.test(nameOrUrl)) return nameOrUrl;
  try {
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: nameOrUrl }));
    return out.QueueUrl!;
  } catch (err) {
    const name = (err as { name?: string }).name ?? "";
    if (/NonExistentQueue|QueueDoesNotExist/.test(name)) throw new CliError(`unknown queue: no SQS queue named ${nameOrUrl} in ${region}. Deployed? Right --env and region?`, EXIT.TARGET);
    throw err;
  }
}
