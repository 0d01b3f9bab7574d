// Tokens are signed here with local RSA keys, one per pool; the verifier gets the
// public keys through cacheJwks, so nothing touches the network.
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { JwtInvalidIssuerError } from "aws-jwt-verify/error";
import type { Jwks } from "aws-jwt-verify/jwk";
import { createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { canonicalIdFrom, createTokenVerifier, regionOfPool, TokenRejectedError, type TokenVerifier } from "./verify-token";

const PRIMARY = { userPoolId: "us-east-1_Primary01", clientId: "primaryclient0000000000000" };
const DR = { userPoolId: "us-west-2_DrPool001", clientId: "drclient000000000000000000" };
const THIRD = { userPoolId: "eu-west-1_Stranger1", clientId: "strangerclient000000000000" };
const CANONICAL = "6a7b8c9d-0000-4000-8000-000000000001";
const DR_SUB = "0f0e0d0c-0000-4000-8000-00000000dead";

interface PoolKeys {
  kid: string;
  privateKey: KeyObject;
  jwks: Jwks;
}

function poolKeys(kid: string): PoolKeys {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: "jwk" });
  return { kid, privateKey, jwks: { keys: [{ kty: "RSA", n: n!, e: e!, kid, alg: "RS256", use: "sig" }] } };
}

const keys = { [PRIMARY.userPoolId]: poolKeys("primary-key"), [DR.userPoolId]: poolKeys("dr-key"), [THIRD.userPoolId]: poolKeys("third-key") };

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

function sign(poolId: string, claims: Record<string, unknown>, signWith = poolId): string {
  const k = keys[signWith];
  // The kid always names the claimed pool's key (an unknown kid would make the verifier refetch the JWKS).
  const head = `${b64({ alg: "RS256", kid: keys[poolId].kid, typ: "JWT" })}.${b64(claims)}`;
  const sig = createSign("RSA-SHA256").update(head).sign(k.privateKey).toString("base64url");
  return `${head}.${sig}`;
}

const now = () => Math.floor(Date.now() / 1000);
const iss = (poolId: string) => `https://cognito-idp.${regionOfPool(poolId)}.amazonaws.com/${poolId}`;

function accessToken(pool: { userPoolId: string; clientId: string }, extra: Record<string, unknown> = {}): string {
  return sign(pool.userPoolId, {
    sub: pool === PRIMARY ? CANONICAL : DR_SUB,
    iss: iss(pool.userPoolId),
    client_id: pool.clientId,
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: now(),
    iat: now(),
    exp: now() + 3600,
    jti: "j1",
    username: "u1",
    canonical_id: CANONICAL,
    ...extra,
  });
}

function idToken(pool: { userPoolId: string; clientId: string }, extra: Record<string, unknown> = {}): string {
  return sign(pool.userPoolId, {
    sub: pool === PRIMARY ? CANONICAL : DR_SUB,
    iss: iss(pool.userPoolId),
    aud: pool.clientId,
    token_use: "id",
    auth_time: now(),
    iat: now(),
    exp: now() + 3600,
    "cognito:username": "u1",
    email: "alice@example.com",
    canonical_id: CANONICAL,
    ...extra,
  });
}

describe("policy: DR tokens are always accepted, outside a failover too (D9)", () => {
  it("a DR-pool token verifies with the same canonical id claim as the primary's for the same user, with no failover state read", async () => {
    const v = verifier();
    const primary = await v.verify(accessToken(PRIMARY));
    const dr = await v.verify(accessToken(DR));
    expect(dr).toMatchObject({ canonicalId: primary.canonicalId, poolId: DR.userPoolId, region: "us-west-2", sub: DR_SUB });
    expect(primary).toMatchObject({ canonicalId: CANONICAL, poolId: PRIMARY.userPoolId, sub: CANONICAL });
  });

  it("a user born in DR: its DR token and its primary copy's token carry the DR sub as the one canonical id", async () => {
    const v = verifier();
    const COPY_SUB = "c0c0c0c0-0000-4000-8000-0000000000c0";
    const dr = await v.verify(accessToken(DR, { canonical_id: DR_SUB }));
    const primary = await v.verify(accessToken(PRIMARY, { sub: COPY_SUB, canonical_id: DR_SUB }));
    expect([dr.canonicalId, primary.canonicalId]).toEqual([DR_SUB, DR_SUB]);
    expect([dr.sub, primary.sub]).toEqual([DR_SUB, COPY_SUB]);
  });
});

function verifier(tokenUse: "id" | "access" | null = "access"): TokenVerifier {
  const v = createTokenVerifier({ pools: [PRIMARY, DR], tokenUse });
  v.cacheJwks(PRIMARY.userPoolId, keys[PRIMARY.userPoolId].jwks);
  v.cacheJwks(DR.userPoolId, keys[DR.userPoolId].jwks);
  return v;
}

async function rejection(p: Promise<unknown>): Promise<TokenRejectedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenRejectedError);
  return err as TokenRejectedError;
}

describe("token verifier (both pools)", () => {
  it("accepts a primary access token and returns the canonical id, pool and region", async () => {
    await expect(verifier().verify(accessToken(PRIMARY))).resolves.toMatchObject({
      canonicalId: CANONICAL,
      poolId: PRIMARY.userPoolId,
      region: "us-east-1",
      tokenUse: "access",
      sub: CANONICAL,
      clientId: PRIMARY.clientId,
    });
  });

  it("accepts a DR access token and returns the same canonical id (not the DR sub)", async () => {
    const id = await verifier().verify(accessToken(DR));
    expect(id).toMatchObject({ canonicalId: CANONICAL, poolId: DR.userPoolId, region: "us-west-2", sub: DR_SUB, clientId: DR.clientId });
  });

  it("accepts ID tokens from both pools when configured for ID tokens", async () => {
    const v = verifier("id");
    for (const pool of [PRIMARY, DR]) await expect(v.verify(idToken(pool))).resolves.toMatchObject({ canonicalId: CANONICAL, tokenUse: "id", clientId: pool.clientId });
  });

  it("falls back to custom:canonical_id in an ID token without the claim", async () => {
    const token = idToken(DR, { canonical_id: undefined, "custom:canonical_id": CANONICAL });
    await expect(verifier("id").verify(token)).resolves.toMatchObject({ canonicalId: CANONICAL });
  });

  it("rejects a token from a third pool, even one validly signed by that pool", async () => {
    const err = await rejection(verifier().verify(accessToken(THIRD)));
    expect(err.reason).toBe("UntrustedIssuer");
  });

  it("rejects a token claiming a trusted issuer but signed with another key", async () => {
    const forged = sign(DR.userPoolId, JSON.parse(Buffer.from(accessToken(DR).split(".")[1], "base64url").toString()), THIRD.userPoolId);
    expect((await rejection(verifier().verify(forged))).reason).toBe("JwtInvalidSignatureError");
  });

  it("rejects an expired token", async () => {
    const err = await rejection(verifier().verify(accessToken(DR, { iat: now() - 7200, exp: now() - 60 })));
    expect(err.reason).toBe("JwtExpiredError");
  });

  it("rejects a token for another app client", async () => {
    const err = await rejection(verifier().verify(accessToken(PRIMARY, { client_id: DR.clientId })));
    expect(err.reason).toBe("CognitoJwtInvalidClientIdError");
    const idErr = await rejection(verifier("id").verify(idToken(DR, { aud: "someoneelse000000000000000" })));
    expect(idErr.reason).toBe("CognitoJwtInvalidClientIdError");
  });

  it("rejects the wrong token use", async () => {
    expect((await rejection(verifier("access").verify(idToken(PRIMARY)))).reason).toBe("CognitoJwtInvalidTokenUseError");
    expect((await rejection(verifier("id").verify(accessToken(DR)))).reason).toBe("CognitoJwtInvalidTokenUseError");
  });

  it("rejects a valid token without a canonical id instead of falling back to the pool's sub", async () => {
    const err = await rejection(verifier().verify(accessToken(DR, { canonical_id: undefined })));
    expect(err.reason).toBe("MissingCanonicalId");
  });

  it("rejects garbage", async () => {
    expect((await rejection(verifier().verify("not.a.jwt"))).reason).toMatch(/Parse/);
  });

  it("validates its configuration", () => {
    expect(() => createTokenVerifier({ pools: [], tokenUse: "access" })).toThrow(/at least one pool/);
    expect(() => createTokenVerifier({ pools: [{ userPoolId: "nope", clientId: "x" }], tokenUse: "access" })).toThrow(/not a Cognito user pool id/);
  });
});

describe("token verifier: reasons, messages and options callers rely on", () => {
  afterEach(() => vi.restoreAllMocks());

  it("names the untrusted issuer in a TokenRejectedError", async () => {
    const err = await rejection(verifier().verify(accessToken(THIRD)));
    expect(err).toMatchObject({ name: "TokenRejectedError", reason: "UntrustedIssuer", message: `issuer ${iss(THIRD.userPoolId)} is not a trusted pool` });
  });

  it("accepts a trusted pool's tokens under Cognito's updated issuer format too", async () => {
    // IssuerConfiguration UPDATED, which AWS recommends for every pool: https://issuer-cognito-idp.<region>.amazonaws.com/<pool id>.
    const updated = `https://issuer-cognito-idp.us-west-2.amazonaws.com/${DR.userPoolId}`;
    await expect(verifier().verify(accessToken(DR, { iss: updated }))).resolves.toMatchObject({ canonicalId: CANONICAL, poolId: DR.userPoolId, region: "us-west-2" });
    const forged = sign(DR.userPoolId, JSON.parse(Buffer.from(accessToken(DR, { iss: updated }).split(".")[1], "base64url").toString()), THIRD.userPoolId);
    expect((await rejection(verifier().verify(forged))).reason).toBe("JwtInvalidSignatureError");
    const third = `https://issuer-cognito-idp.eu-west-1.amazonaws.com/${THIRD.userPoolId}`;
    expect((await rejection(verifier().verify(accessToken(THIRD, { iss: third })))).reason).toBe("UntrustedIssuer");
  });

  it("names the pool and the missing claim when a token has no canonical id", async () => {
    const err = await rejection(verifier().verify(accessToken(DR, { canonical_id: undefined })));
    expect(err.message).toBe(`token from ${DR.userPoolId} carries no canonical_id claim: is the pool's pre-token trigger deployed?`);
  });

  it("a blank canonical_id claim is no id: the custom:canonical_id attribute is used, trimmed", async () => {
    const token = idToken(DR, { canonical_id: "   ", "custom:canonical_id": ` ${CANONICAL} ` });
    await expect(verifier("id").verify(token)).resolves.toMatchObject({ canonicalId: CANONICAL });
    expect(canonicalIdFrom({ canonical_id: `\t${CANONICAL}\n` })).toBe(CANONICAL);
    expect(canonicalIdFrom({ canonical_id: " ", "custom:canonical_id": "" })).toBeUndefined();
  });

  it("rejects a token used before its nbf", async () => {
    expect((await rejection(verifier().verify(accessToken(DR, { nbf: now() + 600 })))).reason).toBe("JwtNotBeforeError");
  });

  it("rejects a token without an issuer (JwtInvalid)", async () => {
    expect((await rejection(verifier().verify(accessToken(DR, { iss: undefined })))).reason).toBe("JwtInvalid");
  });

  it("allows the configured clock skew on expiry, none by default", async () => {
    const justExpired = accessToken(DR, { iat: now() - 3600, exp: now() - 30 });
    expect((await rejection(verifier().verify(justExpired))).reason).toBe("JwtExpiredError");
    const lenient = createTokenVerifier({ pools: [PRIMARY, DR], tokenUse: "access", graceSeconds: 60 });
    lenient.cacheJwks(DR.userPoolId, keys[DR.userPoolId].jwks);
    await expect(lenient.verify(justExpired)).resolves.toMatchObject({ canonicalId: CANONICAL });
  });

  // The library answers these itself today; the checks below must hold whatever its version does.
  it("reports the library's own issuer rejection as UntrustedIssuer", async () => {
    vi.spyOn(CognitoJwtVerifier.prototype, "verify").mockRejectedValue(new JwtInvalidIssuerError("Issuer not allowed", iss(THIRD.userPoolId), iss(DR.userPoolId)));
    expect((await rejection(verifier().verify(accessToken(DR)))).reason).toBe("UntrustedIssuer");
  });

  it("never attributes verified claims from an issuer outside the pools to a pool", async () => {
    const claims = JSON.parse(Buffer.from(accessToken(THIRD).split(".")[1], "base64url").toString()) as Record<string, unknown>;
    vi.spyOn(CognitoJwtVerifier.prototype, "verify").mockResolvedValue(claims as never);
    const err = await rejection(verifier().verify(accessToken(DR)));
    expect(err).toMatchObject({ reason: "UntrustedIssuer", message: `issuer ${iss(THIRD.userPoolId)} is not a trusted pool` });
  });
});

describe("regionOfPool", () => {
  it("reads the region of a pool id, GovCloud included", () => {
    expect(regionOfPool("us-east-1_Primary01")).toBe("us-east-1");
    expect(regionOfPool("us-gov-west-1_AbC123")).toBe("us-gov-west-1");
  });

  it.each(["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Primary01", "us-east-1_Primary01/x", "us-east-1_Primary01 ", " us-east-1_Primary01", "xus-east-1_Primary01", "us-east-1_", "us-east-1"])(
    "rejects %o: an issuer URL or anything around the pool id is a misconfiguration",
    (id) => {
      expect(() => regionOfPool(id)).toThrow(`"${id}" is not a Cognito user pool id (<region>_<id>)`);
    },
  );
});
