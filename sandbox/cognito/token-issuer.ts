// The issuer (`iss`) of a pool's tokens, which moto always makes `https://cognito-idp.<region>.amazonaws.com/<its id>`.
// Cognito API reference, IssuerConfigurationType: ORIGINAL is `https://cognito-idp.<region>.amazonaws.com/<poolId>`;
// UPDATED is `https://issuer-cognito-idp.<region>.amazonaws.com/<poolId>`, "where region is the primary AWS
// Region of your user pool", so tokens from a native replica's secondary name the primary's Region
// too. *Assumed* (reported by users, not documented: awslabs/aws-jwt-verify#282): with ORIGINAL, a
// secondary's tokens name the secondary's Region and the shared pool id.
import { motoJson } from "../aws";
import type { CognitoState } from "./state";

const TOKEN_ISSUER_HEADER = "x-sandbox-token-issuer";

/** The issuer of tokens a pool issues in `region` (undefined: moto's own is right). */
export function tokenIssuer(type: string | undefined, primaryRegion: string, region: string, poolId: string): string | undefined {
  if (type === "UPDATED") return `https://issuer-cognito-idp.${primaryRegion}.amazonaws.com/${poolId}`;
  return region === primaryRegion ? undefined : `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
}

/**
 * Tells moto the issuer of the tokens of one of its pools (sandbox/moto_server.py), from the pool's
 * IssuerConfiguration or its replica's primary, and (a secondary) the primary's app client ids the
 * tokens name in `aud` / `client_id`. Only the issuer is lost if it fails: logged, never the call's answer.
 */
export async function applyTokenIssuer(s: CognitoState, region: string, motoPoolId: string): Promise<void> {
  const replica = [...s.replicas.values()].find((r) => r.motoPoolId === motoPoolId);
  const issuer = replica
    ? tokenIssuer(s.pools.get(replica.poolId)?.issuerConfiguration?.Type, replica.primaryRegion, replica.region, replica.poolId)
    : tokenIssuer(s.pools.get(motoPoolId)?.issuerConfiguration?.Type, region, region, motoPoolId);
  const clients = replica ? Object.fromEntries([...replica.clients].map(([shared, own]) => [own, shared])) : {};
  const header = JSON.stringify({ iss: issuer ?? null, clients });
  await motoJson(s.moto, "cognito-idp", region, "DescribeUserPool", { UserPoolId: motoPoolId }, { [TOKEN_ISSUER_HEADER]: header }).catch((e: Error) =>
    console.error(`sandbox: could not set the token issuer of ${motoPoolId} in ${region}: ${e.message}`),
  );
}
