/* eslint-disable @typescript-eslint/no-explicit-any -- AWS wire JSON is untyped here; shapes are checked where used. */
// A pool's customer managed key, as Cognito checks it and moto does not (moto drops KeyConfiguration).
// Cognito developer guide, "Data protection" (data-protection.html#data-encryption): a symmetric
// key in the pool's Region, named by its ARN (not an alias), whose key policy lets
// cognito-idp.amazonaws.com use it for that pool (aws:SourceArn, and the encryption context
// aws:cognito-idp:userpool-arn). "Multi-Region replication for user pools": replication needs a
// multi-Region key available in every Region that has a replica. The error names Cognito answers
// with are not documented; the sandbox answers InvalidParameterException (sandbox/README.md).
import { awsError, AwsCallError, motoJson, parseArn } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";
import type { CognitoState } from "./state";

export const COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com";
/** What Cognito does with a pool's key (the guide's key policy grants these to its service principal). */
const KEY_ACTIONS = ["kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:DescribeKey"];

export class KeyConfigurationError extends Error {}

/** The key's metadata in `region`, or a KeyConfigurationError saying why the pool cannot use it. */
async function describeKey(s: CognitoState, region: string, keyId: string): Promise<any> {
  try {
    return (await motoJson(s.moto, "kms", region, "DescribeKey", { KeyId: keyId })).KeyMetadata ?? {};
  } catch (e) {
    if (e instanceof AwsCallError && e.code === "NotFoundException") throw new KeyConfigurationError(`KMS key ${keyId} does not exist in ${region}`);
    throw e;
  }
}

/**
 * Checks a KeyConfiguration for a pool in `region` (its ARN once it exists: the key policy is then
 * checked for it too). An AWS owned key, or none, needs nothing.
 */
export async function checkKeyConfiguration(s: CognitoState, region: string, config: any, poolArn?: string): Promise<void> {
  if (!config || config.KeyType !== "CUSTOMER_MANAGED_KEY") return;
  const arn = String(config.KmsKeyArn ?? "");
  if (!arn.startsWith("arn:") || !arn.includes(":key/")) throw new KeyConfigurationError(`KeyConfiguration.KmsKeyArn must be a KMS key ARN (not an alias or key id): ${arn || "missing"}`);
  if (parseArn(arn).region !== region) throw new KeyConfigurationError(`KMS key ${arn} is not in the user pool's Region ${region}`);
  const key = await describeKey(s, region, arn);
  if (key.KeyState !== "Enabled") throw new KeyConfigurationError(`KMS key ${arn} is ${key.KeyState ?? "not usable"}`);
  if (key.KeySpec && key.KeySpec !== "SYMMETRIC_DEFAULT") throw new KeyConfigurationError(`KMS key ${arn} is not a symmetric encryption key (${key.KeySpec})`);
  if (poolArn) await checkKeyPolicy(s, arn, poolArn);
}

/** Whether the key policy lets Cognito use the key for this pool (in the pool ARN's Region). */
export async function checkKeyPolicy(s: CognitoState, keyArn: string, poolArn: string): Promise<void> {
  if (!s.authority) return;
  const account = parseArn(poolArn).account;
  for (const action of KEY_ACTIONS) {
    const r = await s.authority.serviceMay(COGNITO_PRINCIPAL, { arn: poolArn, account }, {
      action,
      resource: keyArn,
      resourcePolicy: "kms-key",
      context: { "kms:EncryptionContext:aws:cognito-idp:userpool-arn": poolArn, "kms:CallerAccount": account },
    });
    if (!r.allowed) throw new KeyConfigurationError(`the key policy of ${keyArn} does not let ${COGNITO_PRINCIPAL} ${action} for ${poolArn}: ${r.message ?? "denied"}`);
  }
}

/**
 * The pool's key, checked for replication into `replicaRegion`: customer managed, multi-Region,
 * with a replica there whose policy lets Cognito use it for the secondary. Answers the replica
 * key's ARN (the secondary's KeyConfiguration).
 */
export async function replicationKey(s: CognitoState, config: any, primaryArn: string, replicaRegion: string): Promise<string> {
  if (config?.KeyType !== "CUSTOMER_MANAGED_KEY" || !config.KmsKeyArn) {
    throw new KeyConfigurationError("multi-Region replication needs the user pool encrypted with a customer managed multi-Region KMS key (KeyConfiguration)");
  }
  const primaryKey = String(config.KmsKeyArn);
  const meta = await describeKey(s, parseArn(primaryKey).region, primaryKey);
  if (meta.MultiRegion !== true) throw new KeyConfigurationError(`KMS key ${primaryKey} is not a multi-Region key`);
  const replica = await describeKey(s, replicaRegion, String(meta.KeyId));
  const replicaArn = String(replica.Arn);
  if (replica.KeyState !== "Enabled") throw new KeyConfigurationError(`the replica of KMS key ${primaryKey} in ${replicaRegion} is ${replica.KeyState ?? "not usable"}`);
  await checkKeyPolicy(s, primaryKey, primaryArn);
  await checkKeyPolicy(s, replicaArn, primaryArn.replace(`:${parseArn(primaryArn).region}:`, `:${replicaRegion}:`));
  return replicaArn;
}

/** CreateUserPool / UpdateUserPool: the error answer for a KeyConfiguration Cognito would refuse, if any. */
export async function keyConfigurationError(s: CognitoState, req: AwsRequest, body: Record<string, any>): Promise<AwsResponse | undefined> {
  if (body.KeyConfiguration?.KeyType !== "CUSTOMER_MANAGED_KEY") return undefined;
  let poolArn: string | undefined;
  if (req.operation === "UpdateUserPool") {
    const pool = await motoJson(s.moto, "cognito-idp", req.region, "DescribeUserPool", { UserPoolId: body.UserPoolId }).catch(() => undefined);
    poolArn = pool?.UserPool?.Arn;
    // A native secondary is moto's pool of its own; Cognito knows it by the shared id (replicas.ts).
    const replica = [...s.replicas.values()].find((r) => r.motoPoolId === body.UserPoolId);
    if (poolArn && replica) poolArn = poolArn.replace(`userpool/${replica.motoPoolId}`, `userpool/${replica.poolId}`);
  }
  try {
    await checkKeyConfiguration(s, req.region, body.KeyConfiguration, poolArn);
    return undefined;
  } catch (e) {
    if (e instanceof KeyConfigurationError) return awsError(req, 400, "InvalidParameterException", e.message);
    throw e;
  }
}
