// Verifies Cognito tokens from either pool (primary or DR) and returns the one
// identity services should key data by: the canonical id, whichever pool issued
// the token. For services and Lambda authorizers; built on aws-jwt-verify's
// multi-pool CognitoJwtVerifier (signature against each pool's JWKS, issuer,
// expiry, token use, client id).
//
//   const verifier = createTokenVerifier({
//     pools: [
//       { userPoolId: "us-east-1_Primary", clientId: "primary-app-client-id" },
//       { userPoolId: "us-west-2_Dr", clientId: "dr-app-client-id" },
//     ],
//     tokenUse: "access",
//   });
//   const { canonicalId, poolId, region } = await verifier.verify(bearerToken);
//
// The canonical id is read from the `canonical_id` claim that the pre-token trigger
// adds to ID and access tokens in both pools. ID tokens also carry the
// `custom:canonical_id` attribute for replicated users; it is accepted as a fallback
// (e.g. tokens minted before the trigger was deployed). A token with neither is
// rejected: falling back to `sub` would give a DR user a different id per region.
//
// Policy for DR tokens (D9): always accepted, outside a failover too; the verifier reads no
// failover state. Why: a DR user exists only as a copy of a primary user (made by the replicator)
// or as a sign-up during a failover (the DR pool's pre-sign-up trigger refuses others), and change
// capture carries a disable or a deletion in either pool to the other within seconds, so a DR
// token does not outlive the person's access by more than that plus the token's own lifetime,
// which is true of a primary token too. Accepting them only while failed over would add a state
// read to every request and make tokens minted during a failover fail at failback, signing
// people out for no security gain. Both pools' tokens carry the same canonical id claim for the
// same person (pre-token trigger), so a service sees one identity either way.
import { CognitoJwtVerifier } from "aws-jwt-verify";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
} from "aws-jwt-verify/error";
import type { Jwks } from "aws-jwt-verify/jwk";
import { CANONICAL_ID_CLAIM } from "../contract";
import { CANONICAL_ID_ATTRIBUTE } from "../contract";

export type TokenUse = "id" | "access";

export interface TrustedPool {
  userPoolId: string;
  /** The app client id(s) of this pool (each pool has its own ids for the same client definition). */
  clientId: string | string[];
}

export interface TokenVerifierOptions {
  /** Every pool whose tokens are accepted: typically the primary and the DR pool. */
  pools: TrustedPool[];
  /** Which token this service accepts; `null` accepts both (rarely what an API wants). */
  tokenUse: TokenUse | null;
  /** Clock skew allowed on exp/iat, seconds (default 0). */
  graceSeconds?: number;
}

export interface VerifiedIdentity {
  canonicalId: string;
  poolId: string;
  region: string;
  tokenUse: TokenUse;
  /** The user's id in the issuing pool (differs between pools for the same person). */
  sub: string;
  clientId: string;
  claims: Readonly<Record<string, unknown>>;
}

export class TokenRejectedError extends Error {
  override readonly name = "TokenRejectedError";
  constructor(
    message: string,
    /** The aws-jwt-verify error class name, or UntrustedIssuer / MissingCanonicalId. */
    readonly reason: string,
  ) {
    super(message);
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
  /** Seeds a pool's JWKS (tests, or services that ship keys): no network fetch for that pool. */
  cacheJwks(userPoolId: string, jwks: Jwks): void;
}

const POOL_ID = /^([a-z]{2}(?:-gov)?-[a-z]+-\d)_[A-Za-z0-9]+$/;

export function regionOfPool(userPoolId: string): string {
  const m = POOL_ID.exec(userPoolId);
  if (!m) throw new Error(`"${userPoolId}" is not a Cognito user pool id (<region>_<id>)`);
  return m[1];
}

export function canonicalIdFrom(claims: Readonly<Record<string, unknown>>): string | undefined {
  for (const name of [CANONICAL_ID_CLAIM, `custom:${CANONICAL_ID_ATTRIBUTE}`]) {
    const v = claims[name];
    if (typeof v === "string" && v.trim()) return v.trim();
  }
  return undefined;
}

// By instanceof, not constructor.name: minified bundles rename classes.
const REASONS: Array<[new (...args: never[]) => Error, string]> = [
  [JwtExpiredError, "JwtExpiredError"],
  [JwtNotBeforeError, "JwtNotBeforeError"],
  [CognitoJwtInvalidClientIdError, "CognitoJwtInvalidClientIdError"],
  [CognitoJwtInvalidTokenUseError, "CognitoJwtInvalidTokenUseError"],
  [JwtInvalidIssuerError, "UntrustedIssuer"],
  [JwtInvalidSignatureError, "JwtInvalidSignatureError"],
  [JwtParseError, "JwtParseError"],
];

function reasonOf(err: JwtBaseError): string {
  return REASONS.find(([cls]) => err instanceof cls)?.[1] ?? "JwtInvalid";
}

/** The unverified `iss` of a JWT, or undefined when it cannot be read (the verifier then says why). */
function issuerOf(token: string): string | undefined {
  try {
    // Stryker disable next-line StringLiteral: equivalent, for a token without a dot "" and the stand-in "Stryker was here!" both decode to non-JSON, so undefined either way (the "." mutant, silenced too, was killed by the untrusted-issuer tests)
    const iss: unknown = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).iss;
    return typeof iss === "string" ? iss : undefined;
  } /* Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined too */ catch {
    return undefined;
  }
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  if (opts.pools.length === 0) throw new Error("createTokenVerifier: at least one pool is required");
  const byIssuer = new Map<string, string>();
  for (const p of opts.pools) {
    const region = regionOfPool(p.userPoolId);
    // Both of Cognito's issuer formats (the pool's IssuerConfiguration: ORIGINAL, or UPDATED, which AWS
    // recommends); aws-jwt-verify accepts both, with the pool's keys.
    for (const host of ["cognito-idp", "issuer-cognito-idp"]) byIssuer.set(`https://${host}.${region}.amazonaws.com/${p.userPoolId}`, p.userPoolId);
  }
  const verifier = CognitoJwtVerifier.create(
    opts.pools.map((p) => ({
      userPoolId: p.userPoolId,
      clientId: p.clientId,
      tokenUse: opts.tokenUse,
      graceSeconds: opts.graceSeconds ?? 0,
    })),
  );

  return {
    cacheJwks(userPoolId, jwks) {
      verifier.cacheJwks(jwks, userPoolId);
    },
    async verify(token) {
      // Untrusted issuers are answered here, before any JWKS lookup for them.
      const claimedIssuer = issuerOf(token);
      if (claimedIssuer !== undefined && !byIssuer.has(claimedIssuer)) {
        throw new TokenRejectedError(`issuer ${claimedIssuer} is not a trusted pool`, "UntrustedIssuer");
      }
      let claims: Record<string, unknown>;
      try {
        claims = (await verifier.verify(token)) as unknown as Record<string, unknown>;
      } catch (err) {
        if (err instanceof JwtBaseError) throw new TokenRejectedError(err.message, reasonOf(err));
        throw err;
      }
      const poolId = byIssuer.get(String(claims.iss));
      if (!poolId) throw new TokenRejectedError(`issuer ${String(claims.iss)} is not a trusted pool`, "UntrustedIssuer");
      const canonicalId = canonicalIdFrom(claims);
      if (!canonicalId) {
        throw new TokenRejectedError(
          `token from ${poolId} carries no ${CANONICAL_ID_CLAIM} claim: is the pool's pre-token trigger deployed?`,
          "MissingCanonicalId",
        );
      }
      const tokenUse = claims.token_use as TokenUse;
      return {
        canonicalId,
        poolId,
        region: regionOfPool(poolId),
        tokenUse,
        sub: String(claims.sub),
        clientId: String(tokenUse === "id" ? claims.aud : claims.client_id),
        claims,
      };
    },
  };
}
