// Finding a user pool by name: pool ids are generated at deploy time, so the scheduled reconcile,
// the smoke test and the operator tools look pools up by the name the stacks gave them.
// Written out rather than with the SDK's paginateListUserPools: that paginator accepts only a
// real client instance, and these callers pass rate-limited wrappers (and tests, fakes).
import { ListUserPoolsCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";

export interface PoolsNamed {
  /** Ids of the pools with exactly this name. */
  ids: string[];
  /** Every pool name seen in the region (for an error that says what is there). */
  names: string[];
}

/** Every pool of the client's region, one ListUserPools page (60, the maximum) at a time. */
export async function poolsNamed(cognito: Pick<CognitoIdentityProviderClient, "send">, name: string): Promise<PoolsNamed> {
  const found: PoolsNamed = { ids: [], names: [] };
  let NextToken: string | undefined;
  do {
    const page = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
    for (const p of page.UserPools ?? []) {
      if (p.Name) found.names.push(p.Name);
      if (p.Name === name && p.Id) found.ids.push(p.Id);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** The id of the one pool with this name; throws naming the region and how many were found. */
export async function poolIdByName(cognito: Pick<CognitoIdentityProviderClient, "send">, name: string, region: string): Promise<string> {
  const { ids } = await poolsNamed(cognito, name);
  // Stryker disable next-line EqualityOperator: inside this branch the length is 0 or at least 2, so `>= 1` is `> 1`
  if (ids.length !== 1) throw new Error(`expected one user pool named ${name} in ${region}, found ${ids.length}${ids.length > 1 ? ` (${ids.join(", ")})` : ""}`);
  return ids[0];
}
