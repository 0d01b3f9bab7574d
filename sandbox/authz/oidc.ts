// GitHub Actions' OpenID Connect tokens, as the sandbox's stand-in for GitHub: a workflow job that
// names a GitHub environment gets a token whose `sub` is `repo:<owner>/<repo>:environment:<name>`
// and whose `aud` is what the job asked for (`sts.amazonaws.com` with AWS's credential action).
// GitHub docs, "OpenID Connect reference" (token claims, subject formats).
//
// The sandbox signs its tokens with a secret of its own (HS256) instead of GitHub's RSA key and
// STS checks that signature: a token the sandbox did not mint, or one changed after minting, is
// refused as STS refuses a token its JWKS does not verify. That the key is a shared secret and not
// GitHub's published JWKS is the one thing this does not reproduce (sandbox/README.md).

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** GitHub's issuer; IAM's OIDC provider for it is `token.actions.githubusercontent.com`. */
export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const GITHUB_PROVIDER_HOST = "token.actions.githubusercontent.com";

export interface OidcClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  [claim: string]: string | number;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

export class OidcIssuer {
  private readonly secret = randomBytes(32);

  /** A token for `sub`, valid for `ttlSeconds` (GitHub's are valid for minutes). */
  mint(claims: { sub: string; aud?: string; ttlSeconds?: number; extra?: Record<string, string> }): string {
    const now = Math.floor(Date.now() / 1000);
    const body: OidcClaims = { ...(claims.extra ?? {}), iss: GITHUB_ISSUER, sub: claims.sub, aud: claims.aud ?? "sts.amazonaws.com", iat: now, exp: now + (claims.ttlSeconds ?? 300) };
    const unsigned = `${b64({ alg: "HS256", typ: "JWT", kid: "sandbox" })}.${b64(body)}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  /** The claims of a token this issuer minted, or why it is not one. */
  verify(token: string): { claims: OidcClaims } | { error: string } {
    const parts = token.split(".");
    if (parts.length !== 3) return { error: "the token is not a JWT" };
    const [h, p, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${h}.${p}`));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { error: "the token's signature does not verify" };
    try {
      return { claims: JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as OidcClaims };
    } catch {
      return { error: "the token's payload is not JSON" };
    }
  }

  private sign(data: string): string {
    return createHmac("sha256", this.secret).update(data).digest("base64url");
  }
}
