// What the drift check asks of an environment in native mode, beyond the pool settings and
// triggers it compares in both modes (scripts/operator/drift-core.ts, which compares the primary
// and the secondary under their shared pool id): the replica exists in the DR Region, SECONDARY
// and ACTIVE; the pool's key is customer managed and multi-Region (replication needs it); the
// issuer is the one wanted (a terraform update of the pool resets both: sandbox/README.md).
import { DescribeUserPoolCommand, ListUserPoolReplicasCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { IssuerType } from "./plan";

export interface ReplicaFinding {
  check: "replica" | "key" | "issuer";
  want: string;
  have: string;
}

export interface NativeDriftDeps {
  /** Cognito and KMS in the primary pool's Region. */
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  kms: Pick<KMSClient, "send">;
  poolId: string;
  /** The DR Region, where the secondary must be. */
  region: string;
  issuer: IssuerType;
}

/** Every way the replica, the pool's key or its issuer differ from what native mode needs (none: []). */
export async function nativeReplicaDrift(d: NativeDriftDeps): Promise<ReplicaFinding[]> {
  const findings: ReplicaFinding[] = [];
  const replicas = (await d.cognito.send(new ListUserPoolReplicasCommand({ UserPoolId: d.poolId }))).UserPoolReplicas ?? [];
  const secondary = replicas.find((r) => r.Role === "SECONDARY");
  const wantReplica = `SECONDARY in ${d.region}, ACTIVE`;
  if (!secondary) findings.push({ check: "replica", want: wantReplica, have: "none" });
  else if (secondary.RegionName !== d.region || secondary.Status !== "ACTIVE") findings.push({ check: "replica", want: wantReplica, have: `${secondary.Role} in ${secondary.RegionName}, ${secondary.Status}` });

  const pool = (await d.cognito.send(new DescribeUserPoolCommand({ UserPoolId: d.poolId }))).UserPool ?? {};
  const key = pool.KeyConfiguration;
  const wantKey = "a customer managed multi-Region KMS key";
  if (key?.KeyType !== "CUSTOMER_MANAGED_KEY" || !key.KmsKeyArn) findings.push({ check: "key", want: wantKey, have: "an AWS owned key" });
  else {
    const meta = (await d.kms.send(new DescribeKeyCommand({ KeyId: key.KmsKeyArn }))).KeyMetadata;
    if (meta?.MultiRegion !== true) findings.push({ check: "key", want: wantKey, have: `${key.KmsKeyArn} (single-Region)` });
    else if (meta.KeyState !== "Enabled") findings.push({ check: "key", want: wantKey, have: `${key.KmsKeyArn} (${meta.KeyState})` });
  }
  const issuer = pool.IssuerConfiguration?.Type ?? "ORIGINAL";
  if (issuer !== d.issuer) findings.push({ check: "issuer", want: d.issuer, have: issuer });
  return findings;
}
